/**
 * Reading the small files `state` and `list` touch per container — state.json,
 * /proc/<pid>/stat, freezer.state — with three syscalls (open, read, close).
 * fs.readFileSync also fstat()s and reads again for EOF: five syscalls, and
 * `list` costs per container is what runtime-spec clients scale with
 * (performance.md §6: crun ~0.04 ms, runc ~0.34 ms per container).
 * Kernel: open(2), read(2); proc(5) files report no size, so one read of up
 * to 64 KiB is the whole file for everything read here.
 */
import * as fs from 'node:fs';

const O_CLOEXEC = 0o2000000;
// Allocated at first use, not when a bundle loads: `run` and `create` carry
// this module but read through the addon (addon-read.ts).
let shared: Buffer | undefined;

/** The file's text (latin1 or utf8); throws Node's usual ENOENT & co. A file of 64 KiB or more is read whole, the slow way. */
export function readSmall(path: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  const buf = (shared ??= Buffer.allocUnsafe(64 * 1024));
  const fd = fs.openSync(path, fs.constants.O_RDONLY | O_CLOEXEC);
  try {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n < buf.length) return buf.toString(encoding, 0, n);
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(path, encoding);
}
