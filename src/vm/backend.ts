/**
 * The --vm backend: the same bundle in a QEMU microVM, Kata-style —
 * docs/vm.md §6.6 (lifecycle mapping), §6.7 (stdio); design.md §7
 *
 * One QEMU per container; QEMU is the only long-lived host process and
 * `state.pid` is its pid. The guest's PID 1 is joey's own init in agent mode
 * (native/init/agent.c); it runs the plan compiled here, for a guest whose
 * rootfs is the 9p or virtio-fs share at /run/rootfs (src/vm/virtiofs.ts:
 * virtiofsd is then the second host process, recorded as `vm.virtiofsd`, and
 * exits with QEMU), whose host bind sources are 9p shares on /run/binds
 * (src/vm/binds.ts: the plan's bind sources are rewritten to them, so the
 * init binds them with each mount's own options), and whose state dir is /run/joey,
 * with the same op functions as on the host, and applies linux.resources on
 * the guest's own cgroup v2 hierarchy, linux.resources.devices included (the
 * host compiles the eBPF device program, the agent loads and attaches it).
 *
 * Two stdio modes:
 *  - detached (`create`, `run -d`): the container's fds 1 and 2 are the `out`
 *    and `err` virtio-serial ports, which QEMU writes to the caller's stdout
 *    and stderr; stdin is /dev/null. The agent powers the VM off when the
 *    container exits, so "QEMU gone" is "stopped".
 *  - relay (`run` in the foreground): stdin, stdout and stderr are pipes in
 *    the guest, multiplexed on the control channel; EXIT comes after the last
 *    output frame.
 * The status between create and start is kept like the host path's: an
 * exec.fifo in the state dir until `start` (lifecycle/status.ts).
 *
 * Terminals (process.terminal, `exec -t`): the guest init makes the pty in
 * the container's devpts and hands the master to the agent over a console
 * socket inside the guest, as it hands it to --console-socket on the host.
 *  - `run -t`, `exec -t` in the foreground: the master is relayed as O/I
 *    frames on the control channel; our terminal goes raw and SIGWINCH sends
 *    `W <rows> <cols>` (src/process/tty-relay.ts's part).
 *  - `create`/`run -d` with --console-socket: a `con` port is added and the
 *    host relay (`joey-init vm-relay`, native/init/vmrelay.c) makes a host
 *    pty, sends its master to the console socket and copies between that pty
 *    and the port. It is the one resident host process besides QEMU (as
 *    Kata 1.x's kata-shim): QEMU could copy the bytes, but only a process
 *    whose controlling terminal is the host pty learns of the client's
 *    resizes. Its pid is in state.json (`vm.console`); it exits with QEMU.
 *    `exec --tty --console-socket` would need a port per process: refused.
 *
 * Hooks (runtime.md#lifecycle, config.md#posix-platform-hooks), Kata's split:
 *  - prestart, createRuntime and createContainer run on the host, with the
 *    state JSON on stdin (pid: QEMU's), when the guest init reaches its
 *    sync-hooks barrier (the agent sends HOOKS during CREATE). Their paths
 *    are host paths, which the guest cannot see; createContainer therefore
 *    runs in the host's namespaces, not the container's (as in Kata).
 *  - startContainer runs in the guest, by the init, in the container's
 *    namespaces after `start`: its path is resolved in the container's rootfs,
 *    exactly as in namespace mode.
 *  - poststart after START, poststop after delete, on the host; failures are
 *    warnings (runtime.md).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import type * as tty from 'node:tty';
import { addon } from '../native/addon.js';
import { forwardSignals } from '../process/signals.js';
import { RuntimeError, StateError, UnsupportedError, UsageError } from '../errors.js';
import { ociState, runHooks } from '../lifecycle/hooks.js';
import { openBundle } from '../spec/open.js';
import type { Process, Spec } from '../spec/types.js';
import { compile, compileExec } from '../plan/compile.js';
import type { HostInfo } from '../plan/host.js';
import { encodePlan, initOps } from '../plan/encode.js';
import { describeOp } from '../plan/render.js';
import { compileSeccompCached } from '../linux/seccomp-cache.js';
import { resourcesToWrites, type LinuxResources } from '../cgroups/resources.js';
import { compileDeviceProgram, normalizeDeviceRules } from '../cgroups/devices.js';
import { cgroupDeviceRules } from '../linux/devices.js';
import { lockDir, readState, removeStateDir, stateDir, validateId, writeState, exists, type StoredState } from '../lifecycle/store.js';
import { isAlive, procStat } from '../lifecycle/status.js';
import { statusOf } from '../lifecycle/state.js';
import type { Globals } from '../lifecycle/context.js';
import type { CreateOptions, Created } from '../lifecycle/create.js';
import { writePidFile } from '../lifecycle/create.js';
import { INIT_BINARY } from './assets.js';
import type { AccelChoice } from './accel.js';
import { bootLog } from './qemu.js';
import { abandon, checkSupported, launchVm, sameLaunch, type Launched, type VmMode } from './launch.js';
import { Ctl, VmChannelError, agentError } from './protocol.js';
import type { GuestFs } from './virtiofs.js';
import { guestBindSpec, planBinds, type Binds } from './binds.js';

export const GUEST_ROOTFS = '/run/rootfs';
export const GUEST_STATE = '/run/joey';
/** where the agent receives the guest pty's master (native/init/agent.c) */
export const GUEST_CONSOLE = '/run/joey/console.sock';
/** every controller the guest kernel has (Debian's kernels build them all in) */
const GUEST_CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];

export interface VmState {
  accel: AccelChoice['accel'];
  tier: string;
  mode: VmMode;
  guestPid: number;
  memMiB: number;
  cpus: number;
  /** relay mode: the `joey run` process holding the control channel */
  relayPid?: number;
  /** process.terminal */
  tty?: boolean;
  /** --console-socket: the host relay (vmrelay.c) holding the host pty */
  console?: { pid: number; startTime: number };
  /** how the rootfs is shared; with virtio-fs, the daemon (it exits when QEMU does) */
  fs?: GuestFs;
  virtiofsd?: { pid: number; startTime: number };
}

/** --vm, `run.oci.handler: vm` (crun's spelling) or `io.github.joey.vm: "true"` */
export function wantsVm(g: Pick<Globals, 'vm'>, spec: Pick<Spec, 'annotations'> | undefined): boolean {
  const a = spec?.annotations;
  return g.vm || a?.['run.oci.handler'] === 'vm' || a?.['io.github.joey.vm'] === 'true';
}

function bootTimeoutMs(accel: AccelChoice): number {
  const env = Number(process.env.JOEY_VM_BOOT_TIMEOUT_MS);
  if (Number.isFinite(env) && env > 0) return env;
  return accel.accel === 'tcg' ? 90_000 : 15_000;
}

/**
 * What the plan compiler needs to know about the guest: a pure cgroup v2
 * host, whose file bind sources are the copies in the binds share.
 */
function guestHost(files: readonly string[] = []): HostInfo {
  return {
    cgroup: { mode: 'v2', v1Hierarchies: {}, v2Root: '/sys/fs/cgroup' },
    cgroupPaths: { '': '/sys/fs/cgroup/container' },
    sourceKind: (p) => (files.includes(p) ? 'file' : 'dir'),
    lsms: [],
  };
}

/** linux.resources → `<file> <value>` lines for the guest's cgroup v2 (devices: guestDeviceProgram). */
export function guestCgroupWrites(resources: LinuxResources | undefined): string {
  if (!resources) return '';
  const { devices: _devices, ...rest } = resources;
  return resourcesToWrites(rest, 'v2', { v2Controllers: GUEST_CONTROLLERS, hugePageSizes: ['2MB'] })
    .filter((w) => w.driver === 'v2')
    .map((w) => `${w.file} ${w.value}`)
    .join('\n');
}

/**
 * linux.resources.devices plus runc's default set and linux.devices, as the
 * host's create applies them, compiled to the cgroup v2 eBPF program the
 * agent attaches to the guest's container cgroup.
 */
export function guestDeviceProgram(spec: Spec): Buffer {
  const rules = cgroupDeviceRules(spec.linux?.resources?.devices, spec.linux?.devices);
  return compileDeviceProgram(normalizeDeviceRules(rules as Parameters<typeof normalizeDeviceRules>[0]));
}

function waitGone(pid: number, startTime: number, ms: number): boolean {
  const a = addon();
  let fd = -1;
  try {
    fd = a.pidfdOpen(pid);
  } catch {
    return true;
  }
  try {
    if (procStat(pid)?.startTime !== startTime) return true;
    return a.pidfdExited(fd, ms);
  } finally {
    a.close(fd);
  }
}

function killQemu(pid: number, startTime: number): void {
  if (!pid || !isAlive({ pid, startTime })) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  waitGone(pid, startTime, 5000);
}

interface Booted {
  id: string;
  dir: string;
  spec: Spec;
  state: StoredState;
  ctl: Ctl;
}

/**
 * The spec the guest plan is compiled from: createContainer hooks are host
 * binaries, so they run on the host with createRuntime (at the same barrier)
 * and the init in the guest does not try to exec them.
 */
export function guestSpec(spec: Spec): Spec {
  const h = spec.hooks;
  if (!h?.createContainer?.length) return spec;
  return { ...spec, hooks: { ...h, createRuntime: [...(h.createRuntime ?? []), ...h.createContainer], createContainer: undefined } };
}

/** The host's part of the init's sync-hooks barrier; returns the state JSON for startContainer. */
function hostHooks(spec: Spec, state: StoredState): string {
  const st = ociState(state, 'creating');
  runHooks('prestart', spec.hooks?.prestart, st);
  runHooks('createRuntime', spec.hooks?.createRuntime, st);
  runHooks('createContainer', spec.hooks?.createContainer, st);
  return JSON.stringify({ ...st, status: 'created' });
}

/** CREATE, answering the agent's HOOKS request on the way. */
async function createInGuest(ctl: Ctl, line: string, spec: Spec, state: StoredState, describe: (i: number) => string): Promise<number> {
  ctl.send(line);
  let hookError: Error | undefined;
  for (;;) {
    const r = await ctl.next(60_000, 'CREATE');
    if (r.verb === 'HOOKS') {
      try {
        ctl.send('HOOKS', Buffer.from(hostHooks(spec, state)));
      } catch (err) {
        hookError = err as Error;
        ctl.send('HOOKFAIL');
      }
      continue;
    }
    if (hookError) throw hookError;
    if (r.verb === 'ERROR') throw agentError(r, describe);
    if (r.verb !== 'CREATED') throw new VmChannelError(`the VM answered \`${r.verb}\` to \`CREATE\``);
    return Number(r.args[0]);
  }
}

/** `joey-init vm-relay`: the host pty for --console-socket (vmrelay.c); returns its pid. */
function startConsoleRelay(dir: string, consoleSocket: string, size: { height: number; width: number } | undefined): { pid: number; startTime: number } {
  const r = spawnSync(INIT_BINARY, ['vm-relay', resolve(consoleSocket), join(dir, 'con.sock'), String(size?.height ?? 0), String(size?.width ?? 0)], {
    argv0: 'joey:[vm-relay]',
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  });
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isSafeInteger(pid) || pid <= 0) {
    throw new RuntimeError(`--console-socket: ${(r.stderr || r.error?.message || `vm-relay exit status ${r.status}`).trim()}`, { code: 'EVMCONSOLE' });
  }
  return { pid, startTime: procStat(pid)?.startTime ?? 0 };
}

/**
 * create: boot the VM, send the plan, CREATE; the container waits at the
 * start barrier. `early` is the QEMU launchEarly started from the raw
 * config.json (src/vm/launch.ts); it is used only when the validated bundle
 * asks for exactly what it was started with, and killed otherwise.
 */
async function boot(g: Globals, idArg: string, o: CreateOptions, mode: VmMode, early?: Launched): Promise<Booted> {
  let l = early;
  let spec: Spec;
  let bundle: string;
  let rootfs: string;
  let binds: Binds;
  try {
    const id = validateId(idArg);
    ({ bundle, config: spec, rootfs } = await openBundle(resolve(o.bundle ?? '.')));
    checkSupported(spec, o, mode);
    binds = planBinds(spec, bundle, stateDir(g.root, id));
    if (l && (l.id !== id || l.bundle !== bundle || !sameLaunch(l, spec, rootfs, mode, binds))) {
      abandon(l);
      l = undefined;
    }
  } catch (err) {
    if (l) abandon(l);
    throw err;
  }
  l ??= launchVm(g, idArg, bundle, spec, rootfs, mode, binds);
  const { id, dir, lock, state, q } = l;
  const { accel } = l.opts;
  const vm = state.vm as VmState;
  const terminal = !!spec.process?.terminal;
  // state.json was written from the raw config before it was validated
  state.ociVersion = spec.ociVersion;
  state.annotations = spec.annotations;
  let ctl: Ctl | undefined;
  try {
    writeState(dir, state);
    fs.writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
    // The guest takes about a second to boot under TCG: compile what the
    // agent needs meanwhile, not before QEMU starts. A compile error still
    // leaves nothing behind (the catch below kills QEMU and removes the dir).
    const seccomp = spec.linux?.seccomp ? await compileSeccompCached(spec.linux.seccomp, g.root) : undefined;
    const plan = compile(guestBindSpec(guestSpec(spec), l.binds), {
      id,
      bundle,
      rootfs: GUEST_ROOTFS,
      stateDir: GUEST_STATE,
      host: guestHost(l.binds.files),
      seccomp,
      consoleSocket: terminal ? GUEST_CONSOLE : undefined,
    });
    const cgroupText = guestCgroupWrites(spec.linux?.resources as LinuxResources | undefined);
    // The set-up the agent acknowledges one by one, sent behind PING at once:
    // the agent reads its port only once it has booted, and until then QEMU
    // leaves our bytes in the socket (a port the guest has not opened takes
    // no input), so no round trip waits on another. CREATE waits for every OK.
    const setup: [string, Buffer][] = [];
    if (cgroupText) setup.push(['CGROUP', Buffer.from(cgroupText)]);
    setup.push(['DEVICES', guestDeviceProgram(spec)], ['PLAN', encodePlan(plan, 0)]);
    const alive = () => !q.exited();
    const timeout = bootTimeoutMs(accel);
    const t0 = Date.now();
    try {
      ctl = await Ctl.connect(join(dir, 'ctl.sock'), 10_000, alive);
      const onExit = setInterval(() => q.exited() && ctl?.close(), 50);
      try {
        ctl.send('PING');
        for (const [verb, body] of setup) ctl.send(verb, body);
        const r = await ctl.next(timeout, 'PING');
        if (r.verb !== 'READY') throw new VmChannelError(`the VM answered \`${r.verb}\` to \`PING\``);
      } finally {
        clearInterval(onExit);
      }
    } catch (err) {
      // the child's exit event may lag the socket's reset: give it a moment
      if (!q.exited() && err instanceof VmChannelError && err.code !== 'ETIMEDOUT') await new Promise((r) => setTimeout(r, 200));
      if (q.exited() || (err instanceof VmChannelError && err.code !== 'ETIMEDOUT')) {
        throw new RuntimeError(`the microVM exited while booting (qemu ${q.exitInfo()}): ${bootLog(dir) || (err as Error).message}`, { code: 'EVMBOOT' });
      }
      if (err instanceof VmChannelError && err.code === 'ETIMEDOUT') {
        throw new RuntimeError(
          `the microVM did not boot within ${timeout / 1000}s under ${accel.accel.toUpperCase()} (${accel.why}); try --vm-accel=${accel.accel === 'kvm' ? 'tcg' : 'kvm'} or a faster kernel (\`joey vm kernel build\`)`,
          { code: 'EVMBOOT' },
        );
      }
      throw err;
    }
    g.trace?.(`vm: booted in ${Date.now() - t0} ms`);
    const ops = initOps(plan);
    const describe = (i: number) => (ops[i] ? `op ${i} ${describeOp(ops[i])}` : `op ${i}`);
    for (const [verb] of setup) {
      const r = await ctl.next(30_000, verb);
      if (r.verb === 'ERROR') throw agentError(r, describe);
      if (r.verb !== 'OK') throw new VmChannelError(`the VM answered \`${r.verb}\` to \`${verb}\``);
    }
    vm.guestPid = await createInGuest(ctl, `CREATE ${mode}${terminal ? ' tty' : ''}`, spec, state, describe);
    if (terminal && o.consoleSocket) {
      vm.console = startConsoleRelay(dir, o.consoleSocket, spec.process?.consoleSize);
      writeState(dir, state);
    }
    addon().mkfifoat(-100, join(dir, 'exec.fifo'), 0o600);
    state.phase = 'created';
    writeState(dir, state);
    if (o.pidFile) writePidFile(o.pidFile, state.pid);
    return { id, dir, spec, state, ctl };
  } catch (err) {
    ctl?.close();
    killQemu(state.pid, state.startTime);
    if (vm.console) killQemu(vm.console.pid, vm.console.startTime);
    if (vm.virtiofsd) killQemu(vm.virtiofsd.pid, vm.virtiofsd.startTime);
    removeStateDir(dir);
    throw err;
  } finally {
    fs.closeSync(lock);
  }
}

export async function vmCreate(g: Globals, id: string, o: CreateOptions, early?: Launched): Promise<Created> {
  const b = await boot(g, id, o, 'ports', early);
  b.ctl.close();
  return { id: b.id, pid: b.state.pid, dir: b.dir, spec: b.spec, state: b.state };
}

function vmOf(s: StoredState): VmState {
  return s.vm as VmState;
}

async function connect(dir: string, what: string): Promise<Ctl> {
  try {
    return await Ctl.connect(join(dir, 'ctl.sock'), 2000);
  } catch (err) {
    throw new StateError(`${what}: cannot reach the microVM: ${(err as Error).message}`);
  }
}

export async function vmStart(g: Globals, id: string): Promise<void> {
  const dir = stateDir(g.root, id);
  const lock = lockDir(dir);
  try {
    const s = readState(g.root, id);
    const status = statusOf(g.root, s);
    if (status !== 'created') throw new StateError(`cannot start a container that is ${status}`);
    if (vmOf(s).mode === 'relay') throw new StateError('this container is started by the `joey run` that created it');
    const ctl = await connect(dir, 'start');
    try {
      await ctl.request('START', ['STARTED'], 30_000);
    } finally {
      ctl.close();
    }
    fs.rmSync(join(dir, 'exec.fifo'), { force: true });
  } finally {
    fs.closeSync(lock);
  }
  poststart(g, dir, readState(g.root, id));
}

function poststart(g: Globals, dir: string, s: StoredState, spec?: Spec): void {
  const hooks = (spec ?? savedSpec(dir))?.hooks?.poststart;
  if (!hooks?.length) return;
  try {
    runHooks('poststart', hooks, ociState(s, 'running'));
  } catch (err) {
    g.warn((err as Error).message);
  }
}

function savedSpec(dir: string): Spec | undefined {
  try {
    return JSON.parse(fs.readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
  } catch {
    return undefined;
  }
}

export async function vmKill(g: Globals, s: StoredState, sig: number, all = false): Promise<void> {
  const status = statusOf(g.root, s);
  if (status === 'stopped') {
    if (all) return; // Kubernetes' StopPodSandbox: `kill --all` of a stopped sandbox is fine
    throw new StateError('container not running');
  }
  const vm = vmOf(s);
  if (sig === 9 && status === 'created') return killQemu(s.pid, s.startTime);
  if (vm.mode === 'relay') {
    // the `joey run` process holds the channel and forwards what it receives
    if (sig === 9 || !vm.relayPid) return killQemu(s.pid, s.startTime);
    process.kill(vm.relayPid, sig);
    return;
  }
  const ctl = await connect(stateDir(g.root, s.id), 'kill');
  try {
    await ctl.request(`KILL ${sig}`, ['OK'], 10_000);
  } finally {
    ctl.close();
  }
}

/** delete: SHUTDOWN, then SIGKILL after 2 s; the state dir (ctl.sock, logs) goes too. */
export async function vmDelete(g: Globals, id: string, force: boolean): Promise<void> {
  if (!exists(g.root, id)) {
    if (force) return;
    throw new StateError('container does not exist');
  }
  const dir = stateDir(g.root, id);
  const lock = lockDir(dir);
  try {
    const s = readState(g.root, id);
    const status = statusOf(g.root, s);
    if ((status === 'running' || status === 'paused') && !force) {
      throw new StateError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    const spec = savedSpec(dir);
    const relay = vmOf(s).console;
    if (isAlive(s)) {
      if (vmOf(s).mode === 'ports') {
        try {
          const ctl = await Ctl.connect(join(dir, 'ctl.sock'), 500);
          ctl.send('SHUTDOWN');
          await ctl.next(2000, 'SHUTDOWN').catch(() => undefined);
          ctl.close();
        } catch {
          /* SIGKILL below */
        }
        waitGone(s.pid, s.startTime, 2000);
      }
      killQemu(s.pid, s.startTime);
    }
    // it exits when QEMU closes the port; this is for one that hangs in a write
    if (relay) killQemu(relay.pid, relay.startTime);
    // it exits when QEMU closes its socket, but need not have yet
    const vfsd = vmOf(s).virtiofsd;
    if (vfsd) killQemu(vfsd.pid, vfsd.startTime);
    removeStateDir(dir);
    if (spec?.hooks?.poststop?.length) {
      try {
        runHooks('poststop', spec.hooks.poststop, ociState(s, 'stopped'));
      } catch (err) {
        g.warn((err as Error).message);
      }
    }
  } finally {
    fs.closeSync(lock);
  }
}


function writeFully(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
      throw err;
    }
  }
}

/** run: create + start; in the foreground relay stdio and exit with the container's status. */
export async function vmRun(g: Globals, id: string, o: CreateOptions & { detach?: boolean; keep?: boolean }, early?: Launched): Promise<number> {
  if (o.detach) {
    await vmCreate(g, id, o, early);
    try {
      await vmStart(g, id);
    } catch (err) {
      await vmDelete(g, id, true);
      throw err;
    }
    return 0;
  }
  const b = await boot(g, id, o, 'relay', early);
  const { ctl, dir, state, spec } = b;
  ctl.onOutput = (stream, data) => writeFully(stream === 'out' ? 1 : 2, data);
  // first: on SIGWINCH the new size (W) goes out before the forwarded signal
  const stopTerminal = spec.process?.terminal ? hostTerminal(ctl, spec.process.consoleSize) : () => {};
  const stopSignals = forwardSignals((_sig, signo) => ctl.send(`KILL ${signo}`));
  let stopStdin = () => {};
  try {
    // WAIT right behind START (one round trip less): the agent answers it
    // only when the process has exited, after STARTED
    ctl.send('START');
    ctl.send('WAIT');
    const s = await ctl.next(30_000, 'START');
    if (s.verb === 'ERROR') throw agentError(s);
    if (s.verb !== 'STARTED') throw new VmChannelError(`the VM answered \`${s.verb}\` to \`START\``);
    fs.rmSync(join(dir, 'exec.fifo'), { force: true });
    poststart(g, dir, state, spec);
    stopStdin = relayStdin(ctl);
    let r;
    try {
      r = await ctl.next(0, 'WAIT');
    } catch (err) {
      const q = procStat(state.pid);
      throw new RuntimeError(`the microVM went away while the container ran${q && q.state !== 'Z' ? '' : ' (QEMU exited)'}: ${(err as Error).message}`, { code: 'EVMGONE' });
    }
    if (r.verb !== 'EXIT') throw new VmChannelError(`the VM answered \`${r.verb}\` to WAIT`);
    const code = Number(r.args[0]);
    try {
      ctl.send('SHUTDOWN');
      await ctl.next(2000, 'SHUTDOWN');
    } catch {
      /* killed below */
    }
    return code;
  } finally {
    stopStdin();
    stopTerminal();
    stopSignals();
    ctl.close();
    waitGone(state.pid, state.startTime, 2000);
    if (!o.keep) await vmDelete(g, id, true);
  }
}

/**
 * `run -t` / `exec -t` in the foreground: our terminal goes raw (the guest
 * pty does the line discipline) and its size follows us as `W` frames, as
 * src/process/tty-relay.ts does for a local pty. Returns the restorer.
 */
function hostTerminal(ctl: Ctl, consoleSize: { height: number; width: number } | undefined): () => void {
  const input = process.stdin as tty.ReadStream;
  const size = () => {
    for (const s of [process.stdout, process.stderr]) {
      const t = s as tty.WriteStream;
      if (t.isTTY && typeof t.getWindowSize === 'function') {
        const [cols, rows] = t.getWindowSize();
        if (rows > 0 && cols > 0) return { rows, cols };
      }
    }
    return undefined;
  };
  const resize = () => {
    const z = size();
    try {
      if (z) ctl.send(`W ${z.rows} ${z.cols}`);
    } catch {
      /* the VM is gone */
    }
  };
  // process.consoleSize wins until the first SIGWINCH (as tty-relay.ts)
  if (!consoleSize) resize();
  process.on('SIGWINCH', resize);
  const raw = input.isTTY === true;
  if (raw) input.setRawMode(true);
  return () => {
    process.off('SIGWINCH', resize);
    if (raw) {
      try {
        input.setRawMode(false);
      } catch {
        /* the terminal is gone */
      }
    }
  };
}

/**
 * exec: an exec plan (compileExec: join the container's namespaces) run by
 * the agent. Foreground: stdio (or, with --tty, the guest pty) relayed on the
 * control channel, our exit status is the process's. --detach: its output
 * goes where the container's does (the out/err ports), stdin is /dev/null.
 */
export async function vmExec(
  g: Globals,
  s: StoredState,
  spec: Spec,
  proc: Process,
  o: { detach?: boolean; consoleSocket?: string; preserveFds?: number; pidFile?: string },
): Promise<number> {
  if (o.consoleSocket) throw new UnsupportedError('exec --console-socket: not supported with --vm (use exec --tty in the foreground)');
  if (proc.terminal && o.detach) throw new UsageError('exec: cannot allocate a terminal for a detached process without --console-socket (config.md#process)');
  if (o.preserveFds) throw new UnsupportedError('exec --preserve-fds: not supported with --vm');
  const vm = vmOf(s);
  if (vm.mode === 'relay') throw new StateError('exec: this microVM\'s channel is held by the `joey run` that started it; exec needs a detached container');
  const status = statusOf(g.root, s);
  if (status !== 'running') throw new StateError(`cannot exec in a ${status} container`);
  const seccomp = spec.linux?.seccomp ? await compileSeccompCached(spec.linux.seccomp, g.root) : undefined;
  const plan = compileExec(spec, proc, {
    id: s.id,
    bundle: s.bundle,
    rootfs: GUEST_ROOTFS,
    initPid: vm.guestPid,
    seccomp,
    lsms: [],
    consoleSocket: proc.terminal ? GUEST_CONSOLE : undefined,
  });
  const ops = initOps(plan);
  const describe = (i: number) => (ops[i] ? `op ${i} ${describeOp(ops[i])}` : `op ${i}`);
  const ctl = await connect(stateDir(g.root, s.id), 'exec');
  try {
    await ctl.request('PLAN', ['OK'], 30_000, encodePlan(plan, 0));
    const r = await ctl.request(`EXEC${o.detach ? ' detach' : proc.terminal ? ' tty' : ''}`, ['EXECED'], 60_000, undefined, describe);
    if (o.pidFile) writePidFile(o.pidFile, Number(r.args[0]));
    if (o.detach) return 0;
    const stopTerminal = proc.terminal ? hostTerminal(ctl, proc.consoleSize) : () => {};
    try {
      return await relayToExit(ctl, false);
    } finally {
      stopTerminal();
    }
  } finally {
    ctl.close();
  }
}

/**
 * Our stdin to the container as `I` frames, and `I 0` at its end; returns
 * the function that stops relaying (and lets the process exit).
 */
function relayStdin(ctl: Ctl): () => void {
  const stdin = process.stdin;
  const send = (verb: string, data?: Buffer) => {
    try {
      ctl.send(verb, data);
    } catch {
      /* the VM is gone */
    }
  };
  const onData = (d: Buffer) => send('I', d);
  const onEnd = () => send('I 0');
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.on('error', onEnd);
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.off('error', onEnd);
    stdin.pause();
    stdin.destroy();
  };
}

/** Relay stdin and the O/E frames until EXIT; forward our signals as KILL when `signals`. */
async function relayToExit(ctl: Ctl, signals: boolean): Promise<number> {
  ctl.onOutput = (stream, data) => writeFully(stream === 'out' ? 1 : 2, data);
  const stopSignals = signals ? forwardSignals((_sig, signo) => ctl.send(`KILL ${signo}`)) : () => {};
  let stopStdin = () => {};
  try {
    stopStdin = relayStdin(ctl);
    ctl.send('WAIT');
    const r = await ctl.next(0, 'WAIT');
    if (r.verb !== 'EXIT') throw new VmChannelError(`the VM answered \`${r.verb}\` to WAIT`);
    return Number(r.args[0]);
  } finally {
    stopStdin();
    stopSignals();
  }
}
