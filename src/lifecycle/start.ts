/**
 * start — runtime-spec runtime.md#start; runc's `start`
 *
 * Opening exec.fifo for reading releases the init blocked writing to it; we
 * read its one byte, remove the fifo (so `state` says running) and run the
 * poststart hooks. start never waits for the process to exit.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../errors.js';
import { addon } from '../native/addon.js';
import { mayHaveHooks, readSavedSpec, stateDir, lockDir, type StoredState } from './store.js';
import type { Spec } from '../spec/types.js';
import { statusFrom } from './status.js';
import { aliveByAddon, readStateByAddon } from './addon-read.js';
import { ociState, runHooks } from './hooks.js';
import type { Globals } from './context.js';

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;

/**
 * Release the init and wait until it has exec'd; throws if it died first.
 *
 * Opening the read end with O_NONBLOCK never waits, and completes the open(2)
 * the init is blocked in. The init writes one byte, runs the startContainer
 * hooks and execs; exec closes its write end (close-on-exec), which is EOF
 * here. One poll(2) on the fifo and the init's pidfd covers both outcomes, so
 * start needs no timer and no libuv pool round trip. EOF without the byte
 * means the init died before it was released.
 */
function releaseInit(fifo: string, pid: number, opened = -1): void {
  const a = addon();
  let fd = opened;
  let pidfd = -1;
  try {
    pidfd = a.pidfdOpen(pid);
    if (fd < 0) fd = openExecFifo(fifo);
    const buf = Buffer.alloc(16);
    let got = 0;
    for (;;) {
      const ready = a.pollEither(fd, pidfd, -1);
      let n = -1;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (n > 0) got += n;
      else if (n === 0) break; // EOF: the init exec'd, or died
      else if (ready & 2) break; // the init died without ever opening its end
    }
    if (got === 0) throw new StateError('cannot start a container that has stopped');
  } finally {
    if (fd >= 0) a.close(fd);
    if (pidfd >= 0) a.close(pidfd);
  }
}

/** The read end of exec.fifo: opening it releases an init blocked at wait-start (or about to get there). */
export function openExecFifo(fifo: string): number {
  // the addon's openat2 (O_CLOEXEC added): no first run of fs's validation
  return addon().openat2(AT_FDCWD, fifo, O_RDONLY | O_NONBLOCK, 0, 0);
}

/** Release the init, then remove exec.fifo: from then on `state` says running. */
function release(dir: string, pid: number, opened = -1): void {
  const fifo = join(dir, 'exec.fifo');
  releaseInit(fifo, pid, opened);
  // unlink, not rmSync: Node 20's rmSync loads its JS rimraf even for one file
  try {
    fs.unlinkSync(fifo);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function poststart(g: Globals, spec: Spec, s: StoredState): void {
  if (!spec.hooks?.poststart?.length) return;
  try {
    runHooks('poststart', spec.hooks.poststart, ociState(s, 'running'));
  } catch (err) {
    g.warn((err as Error).message);
  }
}

export async function startContainer(g: Globals, id: string): Promise<void> {
  // start loads the addon anyway (lock, pidfd): its reads are cheaper than fs's first ones (addon-read.ts)
  const s = readStateByAddon(g.root, id);
  if (s.vm) return (await import('../vm/backend.js')).vmStart(g, id);
  const dir = stateDir(g.root, id);
  const lock = lockDir(dir);
  try {
    const fifo = join(dir, 'exec.fifo');
    const status = statusFrom(s, aliveByAddon(s), () => addon().pathsExist([fifo])[0] === true, () => false);
    if (status === 'stopped') throw new StateError('cannot start a container that has stopped');
    if (status !== 'created') throw new StateError(`cannot start an already running container`);
    release(dir, s.pid);
  } finally {
    fs.closeSync(lock);
  }
  if (mayHaveHooks(s, 'poststart')) poststart(g, readSavedSpec(dir), s);
}

/**
 * `run`'s start of the container it has just created, from what create
 * returned: no second read of state.json and config.json, and no status
 * check, since it was created a moment ago (an init that died meanwhile is
 * still caught by releaseInit). `fifo`: the read end create opened already
 * (CreateOptions.release), whose byte and EOF are read here.
 */
export function startCreated(g: Globals, c: { dir: string; pid: number; spec: Spec; state: StoredState; fifo?: number }): void {
  release(c.dir, c.pid, c.fifo);
  poststart(g, c.spec, c.state);
}
