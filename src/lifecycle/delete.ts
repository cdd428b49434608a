/**
 * delete — runtime-spec runtime.md#delete; runc's `delete [--force] ID`
 *
 * Removes what create made: the cgroups it created (never one that existed
 * before: runtime-tools delete_only_create_resources), the state dir, then
 * runs poststop hooks. --force kills first and waits exactly (pidfds, no
 * sleep), and succeeds for a container that does not exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../errors.js';
import { addon } from '../native/addon.js';
import { mayHaveHooks, stateDir, lockDir, type StoredState } from './store.js';
import { statusOf } from './state.js';
import { openSaved } from './saved-cgroup.js';
import { ociState, runHooks } from './hooks.js';
import type { CgroupHandle, CgroupManagerState } from '../cgroups/handle.js';
import type { Globals } from './context.js';
import type { Hook, Spec } from '../spec/types.js';
import { initPidfd, readStateByAddon, removeStateDirByAddon } from './addon-read.js';

/**
 * SIGKILL the container's init at once, through a pidfd checked against its
 * start time (never a reused pid) and its state (not a zombie): the kernel
 * tears the pid namespace down while delete opens the cgroups. Returns the
 * pidfd for killAll to wait on; undefined when there is no live init.
 * SECURITY(pid reuse, security.md row 18): the pidfd is opened before the
 * check, so the signal cannot reach a process that took the pid later.
 */
function killInit(s: StoredState): number | undefined {
  const fd = initPidfd(s);
  if (fd === undefined) return undefined;
  try {
    addon().pidfdSendSignal(fd, 9);
  } catch {
    /* exited meanwhile */
  }
  return fd;
}

/** SIGKILL every other process of the container's cgroup, then wait until each, and the init, is gone. */
function killAll(m: CgroupHandle | undefined, pid: number, initFd: number | undefined): void {
  const a = addon();
  const fds: number[] = initFd === undefined ? [] : [initFd];
  let any = initFd !== undefined;
  try {
    for (const p of m?.pids() ?? []) {
      any = true;
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
  // A frozen process cannot die until thawed; an empty cgroup needs no thaw
  // to be removed (two cgroupfs writes fewer for every stopped container).
  try {
    if (any) m?.thaw();
  } catch {
    /* not frozen, or no freezer */
  }
  for (const fd of fds) {
    a.pidfdExited(fd, 5000);
    a.close(fd);
  }
}

/**
 * What state.json says before the lock: missing, a --vm container, or one of
 * ours. One read, where `vmStateOf` and `exists` made two plus an access(2);
 * through the addon, which delete loads for its pidfds anyway (addon-read.ts).
 * Anything unreadable or malformed is "ours": the locked path reads it again
 * and reports the error.
 */
function peek(dir: string): 'missing' | 'vm' | 'native' {
  const path = join(dir, 'state.json');
  const text = addon().readFiles([path])[0];
  // null: missing, unreadable or 64 KiB or more; exists() answered with access(F_OK)
  if (text === null || text === undefined) return addon().pathsExist([path])[0] ? 'native' : 'missing';
  try {
    return (JSON.parse(text) as StoredState).vm ? 'vm' : 'native';
  } catch {
    return 'native';
  }
}

export async function deleteContainer(g: Globals, id: string, force: boolean): Promise<void> {
  const dir = stateDir(g.root, id);
  const what = peek(dir);
  if (what === 'vm') return (await import('../vm/backend.js')).vmDelete(g, id, force);
  if (what === 'missing') {
    if (force) return;
    throw new StateError('container does not exist');
  }
  const lock = lockDir(dir);
  try {
    await deleteLocked(g, id, dir, force);
  } finally {
    addon().close(lock);
  }
}

/**
 * The saved spec's poststop hooks. config.json is not read when state.json
 * records no poststop hooks (store.ts mayHaveHooks), and an older state file's
 * config.json is parsed only when it mentions them (joey wrote it with
 * JSON.stringify, which never escapes a letter).
 */
function poststopHooks(dir: string, s: StoredState): Hook[] | undefined {
  if (!mayHaveHooks(s, 'poststop')) return undefined;
  const path = join(dir, 'config.json');
  try {
    const text = addon().readFiles([path])[0] ?? readFileSync(path, 'utf8'); // missing, or 64 KiB or more
    if (!text.includes('"poststop"')) return undefined;
    return (JSON.parse(text) as Spec).hooks?.poststop;
  } catch {
    return undefined;
  }
}

/**
 * `run`'s delete of the container it created and waited for, from the state
 * create returned (as startCreated does for the start): no peek and no second
 * read of state.json, and the cgroups create opened, not reopened: ~0.5 ms.
 * Still under the lock; a container someone deleted meanwhile (`delete
 * --force` from another shell) is left alone, as deleteContainer's --force
 * leaves a missing one.
 */
export async function deleteCreated(g: Globals, c: { id: string; dir: string; state: StoredState; cgroups?: CgroupHandle }): Promise<void> {
  let lock: number;
  try {
    lock = lockDir(c.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    if (addon().pathsExist([join(c.dir, 'state.json')])[0] !== true) return;
    await deleteLocked(g, c.id, c.dir, true, c.state, c.cgroups);
  } finally {
    addon().close(lock);
  }
}

async function deleteLocked(g: Globals, id: string, dir: string, force: boolean, known?: StoredState, cgroups?: CgroupHandle): Promise<void> {
  const s = known ?? readStateByAddon(g.root, id);
  let initFd: number | undefined;
  if (force) {
    // every status but stopped means a live init, and killInit tells that by itself:
    // no exec.fifo or freezer read for a container that is killed either way
    initFd = killInit(s);
  } else {
    const status = statusOf(g.root, s);
    if (status === 'running' || status === 'paused') {
      throw new StateError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    initFd = status === 'stopped' ? undefined : killInit(s);
  }
  const m = cgroups ?? (s.cgroup ? openSaved(s.id, s.cgroup as CgroupManagerState) : undefined);
  // a stopped init can leave processes in its cgroup when the pod shares its pid namespace
  // (they were reparented to the pause process): kill them too, or the cgroup cannot go
  if (initFd !== undefined || m) killAll(m, s.pid, initFd);
  try {
    m?.destroy();
  } finally {
    const poststop = poststopHooks(dir, s);
    removeStateDirByAddon(dir);
    if (poststop?.length) {
      try {
        runHooks('poststop', poststop, ociState(s, 'stopped'));
      } catch (err) {
        g.warn((err as Error).message);
      }
    }
  }
}
