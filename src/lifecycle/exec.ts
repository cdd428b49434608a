/**
 * exec — runc's `exec`: a new process in a running container
 * (runc libcontainer/setns_init_linux.go). The init joins every namespace of
 * the container through /proc/<pid>/ns/*, the runtime puts it in the
 * container's cgroup first, and the process gets its own process spec's
 * credentials, capabilities, no_new_privs, rlimits and the container's
 * seccomp filter. Foreground: exit with its status; --detach: pid file, exit 0.
 */
import * as fs from 'node:fs';
import { StateError, UsageError, fromNodeError } from '../errors.js';
import { resolve } from 'node:path';
import { addon } from '../native/addon.js';
import type { Process } from '../spec/types.js';
import { compileExec } from '../plan/compile.js';
import { spawnInit } from '../process/spawn-init.js';
import { readSavedSpec, readState, stateDir, writePidFile } from './store.js';
import { statusOf } from './state.js';
import { openManager } from './cgroup.js';
import { exitStatus, forwardSignals } from '../process/signals.js';
import type { CgroupManagerState } from '../cgroups/manager.js';
import type { Globals } from './context.js';
import { compileSeccompCached } from '../linux/seccomp-cache.js';
import { hostLsms, kernelCapLast } from '../linux/capabilities.js';
import { sendSeccompListener } from '../process/seccomp-notify.js';
import { listenConsole, type ConsoleReceiver } from '../process/console.js';
import { relayTerminal, type TerminalRelay } from '../process/tty-relay.js';

export interface ExecOptions {
  process?: string;
  args: string[];
  tty?: boolean;
  cwd?: string;
  env?: string[];
  user?: string;
  additionalGids?: string[];
  cap?: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
}

/** The process to run: --process FILE, or the container's process with flags on top (runc's getProcess). */
async function execProcess(base: Process | undefined, o: ExecOptions): Promise<Process> {
  if (o.process) {
    // zod is loaded only if the file is invalid, to word the error (issue #7)
    const { parseProcess } = await import('../spec/open.js');
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(o.process, 'utf8'));
    } catch (err) {
      throw fromNodeError(err, 'read process file', o.process);
    }
    return parseProcess(raw);
  }
  if (!o.args.length) throw new UsageError('exec: a command to run is required');
  const p: Process = JSON.parse(JSON.stringify(base ?? { user: { uid: 0, gid: 0 }, cwd: '/', args: o.args }));
  p.args = o.args;
  p.terminal = o.tty ?? false;
  if (o.cwd) p.cwd = o.cwd;
  if (o.env?.length) p.env = [...(p.env ?? []).filter((e) => !o.env!.some((n) => n.split('=')[0] === e.split('=')[0])), ...o.env];
  if (o.user) {
    const [uid, gid] = o.user.split(':');
    p.user = { ...p.user, uid: Number(uid), gid: gid !== undefined ? Number(gid) : 0 };
  }
  if (o.additionalGids?.length) p.user.additionalGids = o.additionalGids.map(Number);
  if (o.cap?.length) {
    const caps = p.capabilities ?? {};
    // SECURITY(CVE-2022-29162): --cap adds to bounding, effective and
    // permitted, never to inheritable; so (as runc) to ambient only where the
    // process already has it inheritable, the kernel refuses it otherwise.
    for (const set of ['bounding', 'effective', 'permitted'] as const) {
      caps[set] = [...new Set([...(caps[set] ?? []), ...o.cap])] as typeof caps.bounding;
    }
    const inheritable = new Set<string>(caps.inheritable ?? []);
    const ambient = o.cap.filter((c) => inheritable.has(c));
    if (ambient.length) caps.ambient = [...new Set([...(caps.ambient ?? []), ...ambient])] as typeof caps.bounding;
    p.capabilities = caps;
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  return p;
}

export async function execInContainer(g: Globals, id: string, o: ExecOptions): Promise<number> {
  const s = readState(g.root, id);
  const status = statusOf(g.root, s);
  if (status === 'stopped') throw new StateError('cannot exec in a stopped container');
  if (status === 'paused' && !o.ignorePaused) throw new StateError('cannot exec in a paused container (use --ignore-paused to override)');
  const dir = stateDir(g.root, id);
  const spec = readSavedSpec(dir);
  const proc = await execProcess(spec.process, o);
  if (s.vm) return (await import('../vm/backend.js')).vmExec(g, s, spec, proc, o);
  const seccomp = spec.linux?.seccomp ? await compileSeccompCached(spec.linux.seccomp, g.root) : undefined;
  // A terminal with nobody to receive its master: joey receives and relays
  // it (foreground only, like runc).
  let receiver: ConsoleReceiver | undefined;
  if (proc.terminal && !o.consoleSocket) {
    if (o.detach) throw new UsageError('exec: cannot allocate a terminal for a detached process without --console-socket (config.md#process)');
    receiver = await listenConsole();
  }
  if (o.consoleSocket && !proc.terminal) throw new UsageError('exec: --console-socket needs a terminal (--tty or "terminal": true)');
  try {
    const plan = compileExec(spec, proc, {
      id,
      bundle: s.bundle,
      rootfs: s.rootfs,
      initPid: s.pid,
      consoleSocket: receiver?.path ?? (o.consoleSocket ? resolve(o.consoleSocket) : undefined),
      preserveFds: o.preserveFds,
      seccomp,
      lsms: hostLsms(),
      capLast: kernelCapLast(),
    });
    for (const w of plan.warnings) g.warn(w);
    const manager = s.cgroup ? await openManager(id, undefined, s.cgroup as CgroupManagerState) : undefined;
    let execPid = 0;
    const init = await spawnInit(plan, { preserveFds: o.preserveFds, beforePlan: (p) => manager?.join(p), trace: g.trace !== undefined }, {
      pid: (p) => {
        execPid = p;
      },
      // runc's setns init also hands a notify fd to the listener
      seccompFd: (fd) => sendSeccompListener(spec, s, fd, { pid: execPid, status: 'running' }),
      trace: g.trace ? (ev) => g.trace!(`op ${ev.index} ${ev.kind} ${(ev.ns / 1e6).toFixed(3)}ms${ev.errno ? ` errno ${ev.errno}` : ''}`) : undefined,
    });
    await init.stage1Reaped;
    if (o.pidFile) writePidFile(o.pidFile, init.pid);
    if (o.detach) return 0;
    let relay: TerminalRelay | undefined;
    if (receiver) {
      const master = await receiver.master();
      receiver.close();
      relay = relayTerminal(master, { consoleSize: proc.consoleSize });
    }
    const stop = forwardSignals(init.pid);
    const r = await addon().waitExit(init.pid);
    stop();
    await relay?.finish();
    return exitStatus(r);
  } finally {
    receiver?.close();
  }
}
