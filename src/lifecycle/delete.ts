/**
 * delete — runtime-spec runtime.md#delete; runc's `delete [--force] ID`
 *
 * Removes what create made: the cgroups it created (never one that existed
 * before: runtime-tools delete_only_create_resources), the state dir, then
 * runs poststop hooks. --force kills first and waits exactly (pidfds, no
 * sleep), and succeeds for a container that does not exist.
 */
import { closeSync } from 'node:fs';
import { StateError } from '../errors.js';
import { addon } from '../native/addon.js';
import { exists, readSavedSpec, readState, removeStateDir, stateDir, lockDir } from './store.js';
import { statusOf } from './state.js';
import { openSaved } from './cgroup.js';
import { ociState, runHooks } from './hooks.js';
import type { CgroupHandle, CgroupManagerState } from '../cgroups/handle.js';
import type { Globals } from './context.js';
import { procStat } from './status.js';
import { vmStateOf } from '../vm/dispatch.js';

/**
 * SIGKILL the container's init at once, through a pidfd checked against its
 * start time (never a reused pid): the kernel tears the pid namespace down
 * while delete opens the cgroups. Returns the pidfd for killAll to wait on.
 */
function killInit(pid: number, startTime: number): number | undefined {
  if (!pid) return undefined;
  const a = addon();
  let fd: number;
  try {
    fd = a.pidfdOpen(pid);
  } catch {
    return undefined; // gone
  }
  if (procStat(pid)?.startTime !== startTime) {
    a.close(fd);
    return undefined;
  }
  try {
    a.pidfdSendSignal(fd, 9);
  } catch {
    /* exited meanwhile */
  }
  return fd;
}

/** SIGKILL every other process of the container's cgroup, then wait until each, and the init, is gone. */
function killAll(m: CgroupHandle | undefined, pid: number, initFd: number | undefined): void {
  const a = addon();
  const fds: number[] = initFd === undefined ? [] : [initFd];
  try {
    for (const p of m?.pids() ?? []) {
      if (p === pid) continue;
      try {
        const fd = a.pidfdOpen(p);
        fds.push(fd);
        a.pidfdSendSignal(fd, 9);
      } catch {
        /* exited meanwhile */
      }
    }
  } catch {
    /* no cgroup left */
  }
  try {
    m?.thaw();
  } catch {
    /* not frozen, or no freezer */
  }
  for (const fd of fds) {
    a.pidfdExited(fd, 5000);
    a.close(fd);
  }
}

export async function deleteContainer(g: Globals, id: string, force: boolean): Promise<void> {
  if (vmStateOf(g.root, id)) return (await import('../vm/backend.js')).vmDelete(g, id, force);
  if (!exists(g.root, id)) {
    if (force) return;
    throw new StateError('container does not exist');
  }
  const dir = stateDir(g.root, id);
  const lock = lockDir(dir);
  try {
    await deleteLocked(g, id, dir, force);
  } finally {
    closeSync(lock);
  }
}

async function deleteLocked(g: Globals, id: string, dir: string, force: boolean): Promise<void> {
  const s = readState(g.root, id);
  const status = statusOf(g.root, s);
  if ((status === 'running' || status === 'paused') && !force) {
    throw new StateError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  const initFd = status === 'stopped' ? undefined : killInit(s.pid, s.startTime);
  const m = s.cgroup ? openSaved(s.id, s.cgroup as CgroupManagerState) : undefined;
  // a stopped init can leave processes in its cgroup when the pod shares its pid namespace
  // (they were reparented to the pause process): kill them too, or the cgroup cannot go
  if (initFd !== undefined || m) killAll(m, s.pid, initFd);
  try {
    m?.destroy();
  } finally {
    let spec;
    try {
      spec = readSavedSpec(dir);
    } catch {
      spec = undefined;
    }
    removeStateDir(dir);
    if (spec?.hooks?.poststop?.length) {
      try {
        runHooks('poststop', spec.hooks.poststop, ociState(s, 'stopped'));
      } catch (err) {
        g.warn((err as Error).message);
      }
    }
  }
}
