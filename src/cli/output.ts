/**
 * A command's answer on standard output (state's JSON, list's table), with
 * write(2) on fd 1.
 *
 * Why not process.stdout: it is a lazy getter whose first use builds a stream
 * for whatever fd 1 is; for a pipe (how containerd, podman and the bench read
 * `state`) that loads node:net and switches the fd to non-blocking mode.
 * Measured here: 8-19 ms for the first write to a pipe and ~5 ms to a file,
 * against ~0.5 ms for writeSync: more than the rest of `joey state` costs.
 * Kernel: write(2) (partial writes; EAGAIN on a non-blocking pipe someone else
 * set up).
 */
import { writeSync } from 'node:fs';

const cell = new Int32Array(new SharedArrayBuffer(4));

export function writeOut(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (err) {
      // a full non-blocking pipe: wait for the reader (1 ms steps), as a blocking write would
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(cell, 0, 0, 1);
    }
  }
}
