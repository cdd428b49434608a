/**
 * In-root paths — image-spec layer.md (changesets, whiteouts) and the safe-extraction rules
 * of `joey bundle create`.
 * Kernel: lstat(2), open(2) O_NOFOLLOW, path_resolution(7), symlink(7)
 * Security: CVE-2021-30465 / CVE-2024-45310 class (a symlink planted by an earlier member
 * redirects a later write out of the tree); tar's own CVE-2021-32803/32804 (symlink
 * poisoning, `..` and absolute names).
 *
 * Nobody else writes to a bundle while it is being made, so an lstat walk of every
 * ancestor before each write is exact: a step never follows a symlink, because every
 * component it goes through was seen to be a real directory just before.
 */
import { closeSync, constants as C, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { refuse } from './errors.js';

/** PATH_MAX and NAME_MAX of Linux (limits.h): longer names can never be created anyway. */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

/**
 * `./usr//bin/` → `usr/bin`; the archive root itself → ''. Refuses what could leave the tree:
 * absolute names, any `..` component, NUL bytes, names longer than PATH_MAX or NAME_MAX.
 */
export function normalizeMember(raw: string, member = raw, what = 'path'): string {
  if (raw.includes('\0')) throw refuse(member, `${what} contains a NUL byte`);
  if (Buffer.byteLength(raw) >= PATH_MAX) throw refuse(member, `${what} is longer than ${PATH_MAX - 1} bytes`);
  // SECURITY(CVE-2021-32804): an absolute name would be written over the host's file.
  if (raw.startsWith('/')) throw refuse(member, `${what} is absolute: path escapes the rootfs`);
  const parts: string[] = [];
  for (const c of raw.split('/')) {
    if (c === '' || c === '.') continue;
    // SECURITY(CVE-2021-37713): `..` anywhere is refused, not resolved, as GNU tar does.
    if (c === '..') throw refuse(member, `${what} escapes the rootfs`);
    if (Buffer.byteLength(c) > NAME_MAX) throw refuse(member, `${what} has a component longer than ${NAME_MAX} bytes`);
    parts.push(c);
  }
  return parts.join('/');
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** lstat that returns undefined for a missing path instead of throwing. */
export function lstatOrNull(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * A directory tree written only through checked relative paths. Directories already
 * verified are cached; anything removed or replaced is forgotten, so a directory swapped
 * for a symlink by a later member is checked again.
 */
export class Tree {
  private readonly dirs = new Set<string>(['']);

  constructor(readonly root: string) {}

  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /**
   * Makes sure every ancestor of `rel` is a real directory (not a symlink). Missing ones are
   * created 0755 when `create`, else false is returned.
   */
  parents(rel: string, member: string, create: boolean): boolean {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const c of parts) {
      cur = cur ? `${cur}/${c}` : c;
      if (this.dirs.has(cur)) continue;
      const st = lstatOrNull(this.abs(cur));
      if (!st) {
        if (!create) return false;
        mkdirSync(this.abs(cur), 0o755);
        this.dirs.add(cur);
        continue;
      }
      // SECURITY(CVE-2021-32803): `a -> /etc` then `a/passwd` must not write /etc/passwd.
      if (st.isSymbolicLink()) throw refuse(member, `\`${cur}\` is a symlink; extraction would follow it`);
      if (!st.isDirectory()) throw refuse(member, `\`${cur}\` is not a directory`);
      this.dirs.add(cur);
    }
    return true;
  }

  /** Records that `rel` is now a real directory made by us. */
  isDir(rel: string): void {
    this.dirs.add(rel);
  }

  /** Forget `rel` and everything below it (it was removed or replaced). */
  forget(rel: string): void {
    if (rel === '') {
      this.dirs.clear();
      this.dirs.add('');
      return;
    }
    const prefix = `${rel}/`;
    for (const d of this.dirs) if (d === rel || d.startsWith(prefix)) this.dirs.delete(d);
  }

  /** rm -rf of `rel` (its ancestors must have been checked); never follows symlinks. */
  remove(rel: string): void {
    // rmSync lstat()s each entry and unlinks symlinks rather than descending into them.
    rmSync(this.abs(rel), { recursive: true, force: true });
    this.forget(rel);
  }
}

/**
 * Resolves `path` as if `root` were `/` (chroot semantics, like openat2 RESOLVE_IN_ROOT):
 * absolute symlinks restart at `root`, `..` stops at it. Returns a host path whose
 * components are all real, or undefined when it does not exist.
 */
export function resolveInRoot(root: string, path: string): string | undefined {
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '..') {
      done.pop();
      continue;
    }
    const cur = `${root}/${[...done, c].join('/')}`;
    const st = lstatOrNull(cur);
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      // SECURITY(CVE-2021-30465 class): follow links ourselves, clamped to the root.
      if (++links > 40) return undefined;
      const target = readlinkSync(cur);
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
      continue;
    }
    if (pending.length > 0 && !st.isDirectory()) return undefined;
    done.push(c);
  }
  return done.length === 0 ? root : `${root}/${done.join('/')}`;
}

/** Reads a regular file inside `root` (symlinks resolved in-root); undefined when absent. */
export function readFileInRoot(root: string, path: string): Buffer | undefined {
  const real = resolveInRoot(root, path);
  if (real === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(real, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ELOOP') return undefined;
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens a regular file inside `root` for reading (symlinks resolved in-root). */
export function openInRoot(root: string, path: string): number | undefined {
  const real = resolveInRoot(root, path);
  if (real === undefined) return undefined;
  const fd = openSync(real, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}
