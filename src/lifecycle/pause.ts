/**
 * pause / resume — runc's `pause ID` and `resume ID` (runc-pause.8,
 * runc-resume.8); runtime-spec leaves pausing to the runtime.
 * Kernel: cgroup-v1/freezer-subsystem.rst (freezer.state), cgroup-v2.rst
 * (cgroup.freeze, cgroup.events)
 *
 * The manager freezes every hierarchy that can (v2 first on a hybrid host);
 * `state` then derives "paused" from the freezer (freezer.ts). As in runc, a
 * created container can be paused too, and only a paused one resumed.
 */
import { closeSync } from 'node:fs';
import { StateError } from '../errors.js';
import { lockDir, readState, stateDir } from './store.js';
import { statusOf } from './state.js';
import { managerOf } from './ps.js';
import type { Globals } from './context.js';

async function locked<T>(g: Globals, id: string, fn: () => Promise<T>): Promise<T> {
  readState(g.root, id); // "container does not exist" before anything else
  const lock = lockDir(stateDir(g.root, id));
  try {
    return await fn();
  } finally {
    closeSync(lock);
  }
}

export async function pauseContainer(g: Globals, id: string): Promise<void> {
  await locked(g, id, async () => {
    const s = readState(g.root, id);
    const status = statusOf(g.root, s);
    if (status !== 'running' && status !== 'created') throw new StateError('container not running');
    const m = await managerOf(s, 'pause');
    m.freeze();
    // The init may have exited between the status check and the freeze: a
    // frozen empty cgroup is not a paused container (runc checks the same).
    if (m.pids().length === 0) {
      m.thaw();
      throw new StateError('container process already exited');
    }
  });
}

export async function resumeContainer(g: Globals, id: string): Promise<void> {
  await locked(g, id, async () => {
    const s = readState(g.root, id);
    if (statusOf(g.root, s) !== 'paused') throw new StateError('container not paused');
    const m = await managerOf(s, 'resume');
    m.thaw();
  });
}
