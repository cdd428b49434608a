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
import { readSavedSpec, readState, stateDir, lockDir } from './store.js';
import { deriveStatus } from './status.js';
import { ociState, runHooks } from './hooks.js';
import type { Globals } from './context.js';

/** Resolves when the init is released; rejects if it dies first. */
async function releaseInit(fifo: string, pid: number): Promise<void> {
  const a = addon();
  const pidfd = a.pidfdOpen(pid);
  let watching = true;
  let opened = false;
  try {
    // The open runs on libuv's pool (it blocks until the writer is there,
    // which it is: the init is blocked in open(O_WRONLY)). If the init died in
    // between, nobody will ever open the other end: notice through the pidfd.
    const opening = fs.promises.open(fifo, fs.constants.O_RDONLY);
    opening.then(
      () => (opened = true),
      () => {},
    );
    const death = (async () => {
      while (watching) {
        // Once the fifo is open the init has been released; its exit after
        // that is the container's business, not a failed start. The open may
        // have completed on the pool with its callback still queued behind
        // this timer: give it a moment before calling the init dead.
        if (!opened && a.pidfdExited(pidfd, 0)) {
          const released = await Promise.race([opening.then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
          if (!released) throw new StateError('cannot start a container that has stopped');
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const open = (async () => {
      const fh = await opening;
      opened = true;
      try {
        // Read to EOF: the init holds the write end (close-on-exec) until it
        // has run the startContainer hooks and exec'd the process.
        const buf = Buffer.alloc(16);
        while ((await fh.read(buf, 0, buf.length, null)).bytesRead > 0);
      } finally {
        await fh.close();
      }
    })();
    death.catch(() => {});
    await Promise.race([open, death]);
  } finally {
    watching = false;
    a.close(pidfd);
  }
}

export async function startContainer(g: Globals, id: string): Promise<void> {
  const s = readState(g.root, id);
  if (s.vm) return (await import('../vm/backend.js')).vmStart(g, id);
  const dir = stateDir(g.root, id);
  const lock = lockDir(dir);
  try {
    const status = deriveStatus(dir, s, () => false);
    if (status === 'stopped') throw new StateError('cannot start a container that has stopped');
    if (status !== 'created') throw new StateError(`cannot start an already running container`);
    const fifo = join(dir, 'exec.fifo');
    await releaseInit(fifo, s.pid);
    fs.rmSync(fifo, { force: true });
  } finally {
    fs.closeSync(lock);
  }
  const spec = readSavedSpec(dir);
  if (spec.hooks?.poststart?.length) {
    try {
      runHooks('poststart', spec.hooks.poststart, ociState(s, 'running'));
    } catch (err) {
      g.warn((err as Error).message);
    }
  }
}
