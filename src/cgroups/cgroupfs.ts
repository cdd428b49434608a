/**
 * Every open inside a cgroup filesystem: openat2(2) beneath a verified mount handle.
 *
 * Kernel: openat2(2) (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV,
 * RESOLVE_NO_MAGICLINKS), statfs(2) (CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC), proc(5)
 * (/proc/self/fd as the fd-relative way to reach mkdir/rmdir/readdir from Node).
 *
 * SECURITY(runc issue 4103, cgroup path traversal): no path is ever built as
 * '/sys/fs/cgroup/' + something and handed to fs. A mount point is opened once, checked
 * to be a cgroup filesystem by its f_type, and everything below it is reached with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV|RESOLVE_NO_MAGICLINKS, so neither
 * `..` nor a symlink nor another mount can take a write outside it.
 */
import * as fs from 'node:fs';
import {
  addon,
  CGROUP2_SUPER_MAGIC,
  CGROUP_SUPER_MAGIC,
  O_DIRECTORY,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
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

// one read buffer for every cgroupfs read of the process (most files are a line)
let readBuf: Buffer | undefined;

export function readFile(d: CgroupDir, file: string): string {
  const fd = openBeneath(d, file, O_RDONLY);
  try {
    const chunks: Buffer[] = [];
    const buf = (readBuf ??= Buffer.allocUnsafe(65536));
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw wrap(err, 'read', `${dirPath(d)}/${file}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** One write(2) of the whole value: cgroupfs parses each write as one command. */
export function writeFile(d: CgroupDir, file: string, value: string): void {
  const fd = openBeneath(d, file, O_WRONLY);
  try {
    fs.writeSync(fd, value);
  } catch (err) {
    throw wrap(err, 'write', `${dirPath(d)}/${file}`, value);
  } finally {
    fs.closeSync(fd);
  }
}

export function exists(d: CgroupDir, file?: string): boolean {
  try {
    const fd = openBeneath(d, file, O_PATH);
    fs.closeSync(fd);
    return true;
  } catch (err) {
    if ((err as CgroupError).errno === 'ENOENT') return false;
    throw err;
  }
}

/** mkdir of one component in `parent`, through the parent's fd (the addon's mkdirat). Returns false when it existed. */
export function mkdirIn(parent: CgroupDir, name: string): boolean {
  checkName(name);
  const pfd = openBeneath(parent, undefined, O_PATH | O_DIRECTORY);
  try {
    return addon().mkdirat(pfd, name, 0o755);
  } catch (err) {
    throw wrap(err, 'mkdir', `${dirPath(parent)}/${name}`);
  } finally {
    fs.closeSync(pfd);
  }
}

export function rmdirIn(parent: CgroupDir, name: string): void {
  checkName(name);
  const pfd = openBeneath(parent, undefined, O_PATH | O_DIRECTORY);
  try {
    addon().rmdirat(pfd, name);
  } catch (err) {
    throw wrap(err, 'rmdir', `${dirPath(parent)}/${name}`);
  } finally {
    fs.closeSync(pfd);
  }
}

/** Names of the child cgroups of `d`. */
export function childDirs(d: CgroupDir): string[] {
  const fd = openBeneath(d, undefined, O_RDONLY | O_DIRECTORY);
  try {
    return fs.readdirSync(`/proc/self/fd/${fd}`, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    throw wrap(err, 'readdir', dirPath(d));
  } finally {
    fs.closeSync(fd);
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

