/**
 * Every open inside a cgroup filesystem: openat2(2) beneath a verified mount handle.
 *
 * Kernel: openat2(2) (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV,
 * RESOLVE_NO_MAGICLINKS), statfs(2) (CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC).
 *
 * SECURITY(runc issue 4103, cgroup path traversal): no path is ever built as
 * '/sys/fs/cgroup/' + something and handed to fs. A mount point is opened once, checked
 * to be a cgroup filesystem by its f_type, and everything below it is reached with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV|RESOLVE_NO_MAGICLINKS, so neither
 * `..` nor a symlink nor another mount can take a write outside it.
 */
import {
  addon,
  CGROUP2_SUPER_MAGIC,
  CGROUP_SUPER_MAGIC,
  O_DIRECTORY,
  O_PATH,
  RESOLVE_BENEATH,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_NO_XDEV,
} from '../native/addon.js';
import { CgroupError, errnoText } from '../errors.js';

const AT_FDCWD = -100;
const BENEATH = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;

export { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC };

/** A cgroup directory: a verified mount plus a clean relative path below it ('' is the mount root). */
export interface CgroupDir {
  mount: string;
  magic: number;
  rel: string;
}

/** Absolute path, for messages and state.json only: never used to open anything. */
export function dirPath(d: CgroupDir): string {
  return d.rel ? `${d.mount}/${d.rel}` : d.mount;
}

const mountFds = new Map<string, number>();

/** The mount point's O_PATH handle, opened once per process and checked by f_type. */
export function mountFd(mount: string, magic: number): number {
  const key = `${mount}\0${magic}`;
  const have = mountFds.get(key);
  if (have !== undefined) return have;
  let fd: number;
  try {
    fd = addon().openat2(AT_FDCWD, mount, O_PATH | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
  } catch (err) {
    throw wrap(err, 'open', mount);
  }
  const type = addon().fstatfsType(fd);
  if (type !== magic) {
    addon().close(fd);
    throw new CgroupError(`\`${mount}\` is not a ${magic === CGROUP2_SUPER_MAGIC ? 'cgroup2' : 'cgroup'} filesystem (f_type 0x${type.toString(16)})`, { path: mount });
  }
  mountFds.set(key, fd);
  return fd;
}

/** One path component that cannot climb or descend: the only names mkdir/rmdir accept. */
export function checkName(name: string): void {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new CgroupError(`invalid cgroup name ${JSON.stringify(name)}`);
  }
}

function rel(d: CgroupDir, file?: string): string {
  if (file !== undefined) checkName(file);
  const r = file === undefined ? d.rel : d.rel ? `${d.rel}/${file}` : file;
  return r || '.';
}

export function openBeneath(d: CgroupDir, file: string | undefined, flags: number): number {
  try {
    return addon().openat2(mountFd(d.mount, d.magic), rel(d, file), flags, 0, BENEATH);
  } catch (err) {
    throw wrap(err, 'open', file === undefined ? dirPath(d) : `${dirPath(d)}/${file}`);
  }
}

// The reads, writes, mkdirs, rmdirs and listings below are one addon call
// each (native/addon/safe_open.c): the same syscalls as openBeneath plus fs, at
// a fraction of the first-call cost of fs's and Buffer's functions, which
// `create` and `delete` pay in every process. A failed open reports syscall
// "openat2", worded here as `open`, like openBeneath's own errors.
function fail(err: unknown, op: string, path: string, openPath = path, value?: string): CgroupError {
  return (err as { syscall?: string }).syscall === 'openat2' ? wrap(err, 'open', openPath) : wrap(err, op, path, value);
}

export function readFile(d: CgroupDir, file: string): string {
  const r = rel(d, file);
  const fd = mountFd(d.mount, d.magic);
  try {
    return addon().readBeneath(fd, r, BENEATH);
  } catch (err) {
    throw fail(err, 'read', `${dirPath(d)}/${file}`);
  }
}

/**
 * Values written in order through one open of `file`, one write(2) each (the
 * device rules of devices.allow). A failure names the value and has `index`.
 */
export function writeEach(d: CgroupDir, file: string, values: readonly string[]): void {
  write(d, file, values);
}

/** One write(2) of the whole value: cgroupfs parses each write as one command. */
export function writeFile(d: CgroupDir, file: string, value: string): void {
  write(d, file, value);
}

function write(d: CgroupDir, file: string, value: string | readonly string[]): void {
  const r = rel(d, file);
  const fd = mountFd(d.mount, d.magic);
  try {
    addon().writeBeneath(fd, r, value, BENEATH);
  } catch (err) {
    const index = (err as { index?: number }).index;
    const v = typeof value === 'string' ? value : index === undefined ? undefined : value[index];
    const e = fail(err, 'write', `${dirPath(d)}/${file}`, undefined, v);
    if (index !== undefined && typeof value !== 'string') (e as { index?: number }).index = index;
    throw e;
  }
}

export function exists(d: CgroupDir, file?: string): boolean {
  try {
    addon().close(openBeneath(d, file, O_PATH));
    return true;
  } catch (err) {
    if ((err as CgroupError).errno === 'ENOENT') return false;
    throw err;
  }
}

/** mkdir of one component in `parent`, through the parent's fd opened beneath the mount. Returns false when it existed. */
export function mkdirIn(parent: CgroupDir, name: string): boolean {
  checkName(name);
  const fd = mountFd(parent.mount, parent.magic);
  try {
    return addon().mkdirBeneath(fd, parent.rel, name, 0o755, BENEATH);
  } catch (err) {
    throw fail(err, 'mkdir', `${dirPath(parent)}/${name}`, dirPath(parent));
  }
}

export function rmdirIn(parent: CgroupDir, name: string): void {
  checkName(name);
  const fd = mountFd(parent.mount, parent.magic);
  try {
    addon().rmdirBeneath(fd, parent.rel, name, BENEATH);
  } catch (err) {
    throw fail(err, 'rmdir', `${dirPath(parent)}/${name}`, dirPath(parent));
  }
}

/** Names of the child cgroups of `d`. */
export function childDirs(d: CgroupDir): string[] {
  const r = rel(d);
  const fd = mountFd(d.mount, d.magic);
  try {
    return addon().dirsBeneath(fd, r, BENEATH);
  } catch (err) {
    throw fail(err, 'readdir', dirPath(d));
  }
}

/** A file in a mount root (cgroup.controllers) — used by layout detection. */
export function readMountFile(mount: string, magic: number, file: string): string {
  return readFile({ mount, magic, rel: '' }, file);
}

export function wrap(err: unknown, op: string, path: string, value?: string): CgroupError {
  if (err instanceof CgroupError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const what = value === undefined ? '' : ` ${JSON.stringify(value)}`;
  return new CgroupError(`${op} \`${path}\`${what}: ${code ? errnoText(code) : String(e?.message ?? e)}`, { errno: code, path, cause: err });
}

