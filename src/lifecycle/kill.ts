/**
 * kill — runtime-spec runtime.md#kill; runc's `kill [--all] ID [SIGNAL]`
 * Kernel: pidfd_open(2), pidfd_send_signal(2)
 * Security: pid reuse (security.md row 18) — the pidfd is opened first, then
 * the start time is checked, so the signal can only reach our process
 */
import { StateError, UsageError } from '../errors.js';
import { addon } from '../native/addon.js';
import { parseSignal } from '../linux/signals.js';
import type { StoredState } from './store.js';
import { initPidfd, readStateByAddon } from './addon-read.js';
import type { Globals } from './context.js';

export function signalNumber(text: string | undefined): number {
  if (text === undefined) return 15;
  const n = parseSignal(text);
  if (n === undefined) throw new UsageError(`unknown signal "${text}"`);
  return n;
}

/**
 * Signal the container's init, only if it is still the process that started
 * at `startTime` and not a zombie: false when there is no live init (the
 * status `stopped`, for which runtime.md#kill wants an error).
 * SECURITY(pid reuse, security.md row 18): open the pidfd first, then check
 * the start time: from then on the pidfd cannot name another process.
 */
export function signalPid(s: Pick<StoredState, 'pid' | 'startTime'>, sig: number): boolean {
  const fd = initPidfd(s);
  if (fd === undefined) return false;
  const a = addon();
  try {
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
  // through the addon, which the pidfds need anyway: no fs reader runs (addon-read.ts)
  const s = readStateByAddon(g.root, id);
  if (s.vm) return (await import('../vm/backend.js')).vmKill(g, s, sig, all);
  // --all: the cgroup's processes, from a cold module (scripts/bundle.mjs), so that
  // `kill ID SIGNAL`, what containerd and CRI-O send, never loads the cgroup code
  if (all && (await import('./kill-all.js')).killCgroup(g, s, sig)) return;
  // signalPid itself tells a live init from a stopped container: no exec.fifo or freezer read
  if (!signalPid(s, sig)) throw new StateError('container not running');
}
