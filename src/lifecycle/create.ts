/**
 * create — runtime-spec runtime.md#create; runc's `create`
 *
 * Lock <root>/<id>, set up the cgroup, compile the plan, spawn the init from a
 * sealed copy with the caller's stdio, feed it the plan, answer its requests,
 * and return once it is blocked on exec.fifo with the pid file written. The
 * init is then reparented to the caller's subreaper (containerd-shim,
 * conmon): no joey process stays alive. On any failure nothing is left: no
 * state dir, cgroup, mount or process.
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { openBundle, type Bundle } from '../spec/open.js';
import type { Spec } from '../spec/types.js';
import { compile, compileStage1, hasHooks, SYNC_HOOKS } from '../plan/compile.js';
import type { HostInfo } from '../plan/host.js';
import type { Plan } from '../plan/ops.js';
import { spawnInit, startInit, writeIdMaps, type StartedInit } from '../process/spawn-init.js';
import { directSpawn } from '../linux/namespaces.js';
import { addon } from '../native/addon.js';
import { UsageError, fromNodeError } from '../errors.js';
import { lockDir, makeStateDir, newState, removeStateDir, validateId, writeAtomic, writePidFile, writeState, type StoredState } from './store.js';

export { writePidFile };
import { procStatByAddon } from './addon-read.js';
import { ociState, runHooks } from './hooks.js';
import { cgroupDirs, layoutInfo, openManager } from './cgroup.js';
import type { CgroupHandle, CgroupManager } from '../cgroups/manager.js';
import type { Globals } from './context.js';
import { sendSeccompListener } from '../process/seccomp-notify.js';
import { compileSeccompCached } from '../linux/seccomp-cache.js';
import { cgroupDeviceRules } from '../linux/devices.js';
import { bundleMode } from '../vm/dispatch.js';
import { openExecFifo } from './start.js';
import { hostLsms, kernelCapLast } from '../linux/capabilities.js';

export interface CreateOptions {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  noPivot?: boolean;
  /**
   * `run`: open exec.fifo's read end while the init sets up, so that it does
   * not stop at wait-start but goes on to exec right after READY, while we
   * record the state. Created.fifo is that fd; startCreated reads it.
   */
  release?: boolean;
  /**
   * `run`: called with the container's pid once stage 2 has joined its
   * cgroups, while Node waits for READY with nothing else to do (run installs
   * its signal forwarding there, as runc's handler exists before the start).
   */
  onInitPid?: (pid: number) => void;
}

export interface Created {
  id: string;
  pid: number;
  dir: string;
  spec: Spec;
  state: StoredState;
  /** the container's cgroups as create made them: `run` deletes through them, not a reopening */
  cgroups?: CgroupHandle;
  /** exec.fifo's read end, with CreateOptions.release */
  fifo?: number;
}

const AT_FDCWD = -100;

function sourceKind(path: string): 'file' | 'dir' | 'missing' | 'other' {
  try {
    const st = fs.statSync(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/**
 * runc skips the cgroups a rootless user cannot write; one warning says so,
 * instead of one per hierarchy.
 */
export function rootlessCgroupWarnings(warnings: readonly string[]): string[] {
  const prefix = 'rootless: cannot use ';
  const skipped = warnings.filter((w) => w.startsWith(prefix));
  if (skipped.length < 2) return [...warnings];
  const dirs = skipped.map((w) => /^rootless: cannot use `([^`]*)`/.exec(w)?.[1] ?? w.slice(prefix.length));
  const why = / \(([A-Z]+)\)$/.exec(skipped[0]!)?.[1] ?? 'not writable';
  return [`rootless: cgroups skipped, the container runs in the caller's cgroup (${why}): ${dirs.join(', ')}`, ...warnings.filter((w) => !w.startsWith(prefix))];
}

/** Wait (exactly, through pidfds) until every process in the cgroup is gone. */
function killAndWait(manager: CgroupManager | undefined, pid: number): void {
  const a = addon();
  const pids = new Set<number>();
  if (pid) pids.add(pid);
  try {
    for (const p of manager?.pids() ?? []) pids.add(p);
  } catch {
    /* no hierarchy to ask */
  }
  for (const p of pids) {
    let fd = -1;
    try {
      fd = a.pidfdOpen(p);
      a.pidfdSendSignal(fd, 9);
      a.pidfdExited(fd, 2000);
    } catch {
      /* already gone */
    } finally {
      if (fd >= 0) a.close(fd);
    }
  }
}

/** `opened`: the bundle `run` already read and validated (namespace mode), so it is not read again. */
export async function createContainer(g: Globals, idArg: string, o: CreateOptions, opened?: Bundle): Promise<Created> {
  const mode = opened ? { vm: false } : bundleMode(g, o.bundle);
  if (mode.vm) return (await import('../vm/backend.js')).vmCreate(g, idArg, o);
  const id = validateId(idArg);
  const { bundle, config: spec, rootfs } = opened ?? (await openBundle(resolve(o.bundle ?? '.'), mode.read));
  // Someone must own the pty master: the caller's socket, or `run`'s own one.
  if (spec.process?.terminal && !o.consoleSocket) {
    throw new UsageError('process.terminal: a terminal needs --console-socket to receive the pty master when the runtime detaches (config.md#process)');
  }
  if (o.consoleSocket && spec.process && !spec.process.terminal) {
    throw new UsageError('--console-socket: process.terminal is false, there is no pty to send (config.md#process)');
  }
  // The filter is looked up while stage 2 mounts and sent to it then
  // (SECCOMP_FILTER), unless the init asks for hooks: their exchange could
  // meet it on the sync socket.
  const profile = spec.linux?.seccomp;
  const later = profile !== undefined && !hasHooks(spec, SYNC_HOOKS);
  const seccomp = profile && !later ? await compileSeccompCached(profile, g.root) : undefined;
  const dir = makeStateDir(g.root, id);
  const lock = lockDir(dir);

  let manager: CgroupManager | undefined;
  let pid = 0;
  let fifo = -1;
  const state: StoredState = newState(spec, id, bundle, rootfs);
  // Started now, fed its plan below: its exec and start-up overlap the work
  // in between (spawn-init.ts, StartedInit).
  let started: StartedInit | undefined;
  try {
    // The init opens it first thing (its first op, in stage 1 or 2): made before the init exists.
    addon().mkfifoat(AT_FDCWD, join(dir, 'exec.fifo'), 0o622);
    // Without a user or time namespace the init is cloned straight into
    // its pid namespace, as stage 2; otherwise stage 1 runs from its own
    // part of the plan while the rest is compiled.
    const consoleSocket = o.consoleSocket ? resolve(o.consoleSocket) : undefined;
    const cloneFlags = directSpawn(spec.linux?.namespaces);
    const direct = cloneFlags !== undefined;
    const first = direct ? undefined : compileStage1(spec, { id, bundle, rootfs, stateDir: dir, consoleSocket });
    started = startInit(o.preserveFds ?? 0, first, g.trace !== undefined, cloneFlags);
    const userns = (spec.linux?.namespaces ?? []).some((n) => n.type === 'user');
    const rootless = process.getuid?.() !== 0;
    // Opening finds the layout and the container's paths, which the plan
    // needs; the directories are made once the plan is sent (afterPlan).
    manager = await openManager(id, spec, undefined, rootless);
    const host: HostInfo = {
      cgroup: layoutInfo(manager.layout),
      cgroupPaths: cgroupDirs(manager.layout, manager.paths),
      sourceKind,
      lsms: hostLsms(),
    };
    const plan: Plan = compile(spec, {
      id,
      bundle,
      rootfs,
      stateDir: dir,
      host,
      noPivot: o.noPivot,
      consoleSocket,
      preserveFds: o.preserveFds,
      seccomp: later ? 'later' : seccomp,
      capLast: kernelCapLast(),
      direct,
    });
    for (const w of plan.warnings) g.warn(w);

    const m = manager;
    // The hooks that run before the process does see the state "creating".
    const hooksBeforeStart = hasHooks(spec, ['prestart', 'createRuntime', 'createContainer']);
    const finish = () => {
      state.phase = 'created';
      state.rootless = rootless && userns;
    };
    const handover = started;
    started = undefined; // spawnInit owns it now, and kills it if anything fails
    const init = await spawnInit(
      plan,
      {
        preserveFds: o.preserveFds,
        lateSeccomp: later ? () => compileSeccompCached(profile, g.root) : undefined,
        trace: g.trace !== undefined,
        // While stage 2 mounts, on the other core: the cgroups and their
        // limits, then the join; stage 2 waits for it at sync-cgroup. The
        // state files come after, as stage 2 needs nothing of them.
        afterPlan: () => {
          m.create();
          state.cgroup = m.toJSON();
          // The config's device rules plus the defaults every container needs (runc's AllowedDevices).
          // Rootless: the default device rules are the runtime's, not the user's;
          // without privilege there is no devices cgroup to put them in (as runc).
          const devices = rootless && !spec.linux?.resources?.devices ? undefined : cgroupDeviceRules(spec.linux?.resources?.devices, spec.linux?.devices);
          m.apply({ ...(spec.linux?.resources ?? {}), devices });
          for (const w of rootlessCgroupWarnings(m.warnings)) g.warn(w);
        },
        joinInit: (p) => m.join(p),
        afterJoin: () => {
          // stage 2's start time is fixed since its clone: read now, not after READY
          state.startTime = procStatByAddon(pid)?.startTime ?? 0;
          // Without hooks that could look, the state is written as it will be
          // once READY comes, while Node waits for it: nothing else may act
          // on the container before create returns (start, delete and exec
          // wait for our lock), and if READY never comes, the dir goes.
          if (!hooksBeforeStart) finish();
          writeState(dir, state);
          writeAtomic(join(dir, 'config.json'), JSON.stringify(spec), 0o644);
          if (o.release) fifo = openExecFifo(join(dir, 'exec.fifo'));
          o.onInitPid?.(pid);
        },
      },
      {
        usermap: (p) => writeIdMaps(p, spec.linux?.uidMappings ?? [], spec.linux?.gidMappings ?? [], rootless),
        pid: (p) => {
          pid = p;
          state.pid = p;
        },
        hooks: () => {
          const st = ociState(state, 'creating');
          runHooks('prestart', spec.hooks?.prestart, st);
          runHooks('createRuntime', spec.hooks?.createRuntime, st);
          return JSON.stringify({ ...st, status: 'created' });
        },
        seccompFd: (fd) => sendSeccompListener(spec, state, fd),
        trace: g.trace ? (ev) => g.trace!(`op ${ev.index} ${ev.kind} stage ${ev.stage} ${(ev.ns / 1e6).toFixed(3)}ms${ev.errno ? ` errno ${ev.errno}` : ''}`) : undefined,
      },
      handover,
    );
    pid = init.pid;
    await init.stage1Reaped;
    if (state.phase !== 'created') {
      state.pid = pid;
      if (!state.startTime) state.startTime = procStatByAddon(pid)?.startTime ?? 0;
      finish();
      writeState(dir, state);
    }
    if (o.pidFile) writePidFile(o.pidFile, pid);
    return { id, pid, dir, spec, state, cgroups: manager, fifo: fifo >= 0 ? fifo : undefined };
  } catch (err) {
    if (fifo >= 0) addon().close(fifo);
    started?.abandon();
    killAndWait(manager, pid);
    try {
      manager?.destroy();
    } catch {
      /* the error that brought us here matters more */
    }
    removeStateDir(dir);
    throw err;
  } finally {
    addon().close(lock);
  }
}

