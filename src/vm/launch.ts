/**
 * Starting the microVM's QEMU, as early as possible — docs/vm.md §6.4, §6.6
 *
 * WHY early: under TCG the guest takes most of a second to boot, while
 * loading the --vm backend (cold-vm.cjs), validating config.json and
 * compiling the plan take Node ~30 ms. `joey --vm run|create` therefore
 * spawns QEMU from the verb bundle (launchEarly), reading only what QEMU's
 * command line needs from the raw config.json, and the backend does the rest
 * while the guest boots. The backend then validates the bundle and compares
 * the validated values with the ones QEMU was started with (sameLaunch); a
 * difference, or a validation error, kills that QEMU and removes its state
 * directory, so an invalid bundle still leaves nothing behind and reports
 * the same error as before. Anything unusual in the raw config (a value of
 * the wrong type, an unsupported feature, an existing id) makes launchEarly
 * start nothing, and the backend takes the ordinary order: validate, then
 * start QEMU. The host bind sources' shares (src/vm/binds.ts) are part of
 * that first command line, and compared like the rest.
 *
 * Light on purpose: this module is part of the `run` and `create` verb
 * bundles (loaded only for --vm), so no backend, no plan compiler.
 */
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { UnsupportedError, UsageError } from '../errors.js';
import { lockDir, makeStateDir, newState, removeStateDir, stateDir, validateId, writeState, type StoredState } from '../lifecycle/store.js';
import { procStat } from '../lifecycle/status.js';
import type { CreateOptions } from '../lifecycle/create.js';
import type { Globals } from '../lifecycle/context.js';
import { locateRootfs, readBundleConfig } from '../spec/open.js';
import type { Spec } from '../spec/types.js';
import { chooseAccel } from './accel.js';
import { requireKernel, requireQemu } from './assets.js';
import { spawnQemu, vmSize, type QemuOptions, type QemuProcess } from './qemu.js';
import type { VmState } from './backend.js';
import { chooseFs, startVirtiofsd } from './virtiofs.js';
import { copyBindFiles, planBinds, sameBinds, type Binds } from './binds.js';

export type VmMode = 'ports' | 'relay';

/** A QEMU started for container `id`, with its state directory, locked. */
export interface Launched {
  id: string;
  dir: string;
  /** the state directory's lock (lockDir), held until the container is created */
  lock: number;
  bundle: string;
  rootfs: string;
  opts: QemuOptions;
  /** the host bind sources QEMU shares (src/vm/binds.ts) */
  binds: Binds;
  q: QemuProcess;
  state: StoredState;
}

/** What --vm cannot run yet, or only with other options (checked before QEMU starts). */
export function checkSupported(spec: Spec, o: CreateOptions, mode: VmMode): void {
  const terminal = !!spec.process?.terminal;
  // Someone must own the pty master, as in lifecycle/create.ts.
  if (terminal && mode === 'ports' && !o.consoleSocket) {
    throw new UsageError('process.terminal: a terminal needs --console-socket to receive the pty master when the runtime detaches (config.md#process)');
  }
  if (o.consoleSocket && !terminal) throw new UsageError('--console-socket: process.terminal is false, there is no pty to send (config.md#process)');
  if (o.consoleSocket && mode === 'relay') throw new UnsupportedError('--console-socket: with --vm only for a detached container (create, run --detach)');
  if (o.preserveFds) throw new UnsupportedError('--preserve-fds: not supported with --vm');
  if ((spec.linux?.namespaces ?? []).some((n) => n.type === 'user')) {
    throw new UnsupportedError('linux.namespaces: a user namespace is not supported with --vm yet');
  }
}

/** The part of QEMU's command line that comes from config.json. */
function specPart(spec: Spec, rootfs: string, mode: VmMode): Pick<QemuOptions, 'rootfs' | 'readonly' | 'size' | 'ports' | 'console'> {
  const terminal = !!spec.process?.terminal;
  return { rootfs, readonly: !!spec.root?.readonly, size: vmSize(spec), ports: mode === 'ports', console: terminal && mode === 'ports' };
}

/** QEMU was started with what the validated spec asks for. */
export function sameLaunch(l: Launched, spec: Spec, rootfs: string, mode: VmMode, binds: Binds): boolean {
  const want = specPart(spec, rootfs, mode);
  const had = l.opts;
  return (
    sameBinds(l.binds, binds) &&
    had.rootfs === want.rootfs &&
    had.readonly === want.readonly &&
    had.size.memMiB === want.size.memMiB &&
    had.size.cpus === want.size.cpus &&
    had.ports === want.ports &&
    !!had.console === !!want.console &&
    (l.state.vm as VmState).tty === (spec.process?.terminal || undefined)
  );
}

/**
 * Make the state directory, lock it, write state.json, copy the file bind
 * sources and spawn QEMU. `binds` is planBinds' answer when the caller has it.
 */
export function launchVm(g: Globals, idArg: string, bundle: string, spec: Spec, rootfs: string, mode: VmMode, binds?: Binds): Launched {
  const id = validateId(idArg);
  // before anything exists: a missing bind source leaves nothing behind
  binds ??= planBinds(spec, bundle, stateDir(g.root, id));
  const qemu = requireQemu();
  const assets = requireKernel();
  const accel = chooseAccel(g.vmAccel);
  const opts: QemuOptions = { qemu, assets, accel, dir: '', ...specPart(spec, rootfs, mode), shares: binds.shares };
  const share = chooseFs(assets.tier, opts.readonly);
  const dir = makeStateDir(g.root, id);
  opts.dir = dir;
  let lock = -1;
  let pid = 0;
  let vfsd: VmState['virtiofsd'];
  try {
    lock = lockDir(dir);
    const terminal = !!spec.process?.terminal;
    const vm: VmState = { accel: accel.accel, tier: assets.tier, mode, guestPid: 0, memMiB: opts.size.memMiB, cpus: opts.size.cpus, tty: terminal || undefined, fs: share.fs };
    if (mode === 'relay') vm.relayPid = process.pid;
    const state: StoredState = { ...newState(spec, id, bundle, rootfs), vm };
    writeState(dir, state);
    g.trace?.(`vm: accel ${accel.accel} (${accel.why}); kernel ${assets.tier} ${assets.kernel}; ${opts.size.memMiB} MiB, ${opts.size.cpus} vCPU; rootfs ${share.fs} (${share.why})${binds.shares.length ? `; ${binds.shares.length} bind share(s)` : ''}`);
    copyBindFiles(binds, dir);
    // virtiofsd first, its socket already connected (src/vm/virtiofs.ts)
    let virtiofsFd: number | undefined;
    if (share.virtiofsd) {
      const d = startVirtiofsd(share.virtiofsd, dir, rootfs);
      vm.virtiofsd = vfsd = { pid: d.pid, startTime: d.startTime };
      virtiofsFd = d.fd;
      writeState(dir, state);
    }
    let q: QemuProcess;
    try {
      q = spawnQemu(virtiofsFd === undefined ? opts : { ...opts, virtiofsFd });
    } finally {
      if (virtiofsFd !== undefined) fs.closeSync(virtiofsFd); // QEMU has its copy
    }
    pid = q.pid;
    state.pid = q.pid;
    state.startTime = procStat(q.pid)?.startTime ?? 0;
    writeState(dir, state);
    return { id, dir, lock, bundle, rootfs, opts, binds, q, state };
  } catch (err) {
    if (pid) killQemu(pid, procStat(pid)?.startTime ?? 0);
    if (vfsd) killQemu(vfsd.pid, vfsd.startTime);
    removeStateDir(dir);
    if (lock >= 0) fs.closeSync(lock);
    throw err;
  }
}

/**
 * `joey --vm run|create`: start QEMU from the raw config.json, before the
 * backend is loaded; undefined when anything is unusual (the backend then
 * validates first and reports it, exactly as without this step).
 */
export function launchEarly(g: Globals, id: string, o: CreateOptions, mode: VmMode): Launched | undefined {
  try {
    const { bundle, raw } = readBundleConfig(resolve(o.bundle ?? '.'));
    const spec = raw as Spec;
    if (typeof spec?.root?.path !== 'string') return undefined;
    checkSupported(spec, o, mode);
    return launchVm(g, id, bundle, spec, locateRootfs(bundle, spec), mode);
  } catch {
    return undefined;
  }
}

/** Undo launchVm: QEMU killed and gone, the state directory removed, the lock released. */
export function abandon(l: Launched): void {
  try {
    killQemu(l.state.pid, l.state.startTime);
    const vfsd = (l.state.vm as VmState).virtiofsd;
    if (vfsd) killQemu(vfsd.pid, vfsd.startTime); // it exits with QEMU, but need not have yet
  } finally {
    removeStateDir(l.dir);
    fs.closeSync(l.lock);
  }
}

/** SIGKILL and wait (≤ 5 s) until the process is gone or a zombie (vm.md §4 item 4). */
export function killQemu(pid: number, startTime: number): void {
  const alive = () => {
    const st = procStat(pid);
    return st !== null && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
  };
  if (!pid || !alive()) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const end = Date.now() + 5000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (alive() && Date.now() < end) Atomics.wait(nap, 0, 0, 5);
}
