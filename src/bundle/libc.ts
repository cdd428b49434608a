/**
 * The two libc calls Node lacks for extraction — image-spec layer.md (device nodes, xattrs).
 * Kernel: mknod(2), makedev(3), lsetxattr(2)
 *
 * Loaded through koffi on first use only (most bundles need neither). Both calls act on a
 * path whose ancestors were just checked and never follow a final symlink
 * (mknod fails with EEXIST, lsetxattr acts on the link itself).
 */
import { constants } from 'node:os';
import { createRequire } from 'node:module';

interface Libc {
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  errno: () => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (!libc) {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as {
      load(name: string): { func(decl: string): (...args: unknown[]) => number };
      errno(): number;
    };
    const lib = koffi.load('libc.so.6');
    libc = {
      mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Libc['mknod'],
      lsetxattr: lib.func(
        'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
      ) as Libc['lsetxattr'],
      errno: () => koffi.errno(),
    };
  }
  return libc;
}

function fail(syscall: string, path: string, errno: number): never {
  const name = Object.entries(constants.errno).find(([, v]) => v === errno)?.[0] ?? `E${errno}`;
  const err = new Error(`${syscall} \`${path}\`: ${name}`) as NodeJS.ErrnoException;
  err.code = name;
  err.syscall = syscall;
  err.path = path;
  throw err;
}

/** glibc's gnu_dev_makedev: 12 bits of major and 20 of minor spread over 64 bits. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function mknod(path: string, mode: number, major: number, minor: number): void {
  const l = load();
  if (l.mknod(path, mode, makedev(major, minor)) !== 0) fail('mknod', path, l.errno());
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  const l = load();
  if (l.lsetxattr(path, name, value, value.length, 0) !== 0) fail('lsetxattr', path, l.errno());
}
