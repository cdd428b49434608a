/**
 * kill — runtime-spec runtime.md#kill; runc's `kill [--all] ID [SIGNAL]`
 * Kernel: pidfd_open(2), pidfd_send_signal(2)
 * Security: pid reuse (security.md row 18) — the pidfd is opened first, then
 * the start time is checked, so the signal can only reach our process
 */
import { StateError, UsageError } from '../errors.js';
import { addon } from '../native/addon.js';
import { parseSignal } from '../linux/flags.js';
import { readState } from './store.js';
import { procStat } from './status.js';
import { statusOf } from './state.js';
import { openSaved } from './cgroup.js';
import type { CgroupManagerState } from '../cgroups/handle.js';
import type { Globals } from './context.js';

export function signalNumber(text: string | undefined): number {
  if (text === undefined) return 15;
  const n = parseSignal(text);
  if (n === undefined) throw new UsageError(`unknown signal "${text}"`);
  return n;
}

/**
 * Signal one process by pid, only if it is still the one that started at `startTime`.
 * SECURITY(pid reuse, security.md row 18): open the pidfd first, then check
 * the start time: from then on the pidfd cannot name another process.
 */
export function signalPid(pid: number, startTime: number, sig: number): boolean {
  const a = addon();
  let fd: number;
  try {
    fd = a.pidfdOpen(pid);
  } catch {
    return false;
  }
  try {
    if (procStat(pid)?.startTime !== startTime) return false;
    a.pidfdSendSignal(fd, sig);
    return true;
  } catch {
    return false;
  } finally {
    a.close(fd);
  }
}

export async function killContainer(g: Globals, id: string, signal: string | undefined, all: boolean): Promise<void> {
  const sig = signalNumber(signal);
  const s = readState(g.root, id);
  if (s.vm) return (await import('../vm/backend.js')).vmKill(g, s, sig, all);
  const status = statusOf(g.root, s);
  if (status === 'stopped') {
    if (!all) throw new StateError('container not running');
    // Kubernetes' StopPodSandbox sends `kill --all` to stopped sandboxes and expects 0. In a pod
    // that shares its pid namespace the init's children outlive it inside the cgroup; the shim
    // kills them with this call (runc signals the cgroup here too) and then waits for them to
    // close the container's stdio, so skipping it left StopContainer hanging.
    if (s.cgroup) {
      try {
        openSaved(s.id, s.cgroup as CgroupManagerState).kill(sig);
      } catch {
        /* the cgroup is already gone */
      }
    }
    return;
  }
  if (all && s.cgroup) {
    const m = openSaved(s.id, s.cgroup as CgroupManagerState);
    m.kill(sig);
    if (sig === 9 && status === 'paused') m.thaw();
    return;
  }
  if (!signalPid(s.pid, s.startTime, sig)) throw new StateError('container not running');
}
