/**
 * The N-API addon — native/addon/*.c, built by node-gyp at `npm install`.
 *
 * Only thread-safe, process-local helpers that Node lacks (docs/design.md §2):
 * openat2 with RESOLVE_*, fstatfs magic checks, sealed memfds, pidfds,
 * SCM_RIGHTS fd passing, flock, mkfifoat, bpf() for the cgroup v2 device filter.
 * It never exports unshare, setns, pivot_root, chroot or chdir: Node never
 * changes its own namespaces.
 *
 * Every function throws an Error with `code` set to the errno name (`ENOENT`)
 * and `syscall` set, like Node's own fs errors, on failure. Every fd it
 * returns is O_CLOEXEC.
 */
import { projectRoot } from '../paths.js';
import { join } from 'node:path';

export interface RecvResult {
  /** the message; an empty buffer with `eof` true when the peer closed */
  data: Buffer;
  fds: number[];
  eof: boolean;
}

export interface WaitResult {
  /** exit status when the process exited, else null */
  code: number | null;
  /** signal number when it was killed, else null */
  signal: number | null;
}

export interface Addon {
  /** openat2(2); `resolve` is a RESOLVE_* mask. O_CLOEXEC is always added. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  /** fstatfs(2) f_type of an fd */
  fstatfsType(fd: number): number;
  /** a memfd holding a copy of `path`, sealed against every change (CVE-2019-5736) */
  sealedCopy(path: string, name: string): number;
  /**
   * an O_PATH fd of `dir`/`name` seen through a private read-only overlayfs
   * over `emptyDir` (CVE-2019-5736 without a copy; native/addon/overlay.c)
   */
  sealedOverlay(dir: string, name: string, emptyDir: string): number;
  /** the 64-bit FNV-1a of `s`'s UTF-8 bytes as 16 hex digits: a file name, not a proof (native/addon/hash.c) */
  fnv1a64(s: string): string;
  /** memfd holding `data`, sealed */
  sealedData(data: Buffer, name: string): number;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** true once the process behind the pidfd has exited (poll, no wait) */
  pidfdExited(pidfd: number, timeoutMs: number): boolean;
  /** AF_UNIX SOCK_SEQPACKET pair, both ends O_CLOEXEC, 1 MiB send buffers */
  socketpair(): [number, number];
  /** one sendmsg; `fds` go as one SCM_RIGHTS cmsg */
  sendmsg(fd: number, data: Buffer, fds: number[]): void;
  /** one recvmsg with a poll timeout (-1: none); throws ETIMEDOUT on timeout */
  recvmsg(fd: number, maxlen: number, timeoutMs: number): RecvResult;
  /** connect an AF_UNIX stream socket to `path` (console and seccomp listeners) */
  connectUnix(path: string): number;
  /**
   * clone(CLONE_VM|CLONE_VFORK) + execveat(execFd): the child gets fds[i] as
   * fd i, default signal dispositions, an empty mask and environment. Returns
   * its pid; the caller reaps it (waitExit).
   */
  /** cloneFlags: CLONE_NEWPID or 0 (spawn.c) */
  spawnInit(execFd: number, argv: string[], fds: number[], cloneFlags?: number): number;
  /** poll(2) two fds for input or hang-up: bit 1 = a, bit 2 = b, 0 on timeout (-1: none) */
  pollEither(a: number, b: number, timeoutMs: number): number;
  /** flock(2) */
  flock(fd: number, op: number): void;
  /**
   * Each file's text, or null (missing, unreadable, 64 KiB or more): one call for a batch (files.c). Never a FIFO.
   * `oneRead`: the first read(2)'s bytes are the whole text (regular files, small proc and cgroupfs files).
   * `stopAt`: a text holding it ends before its first occurrence, with `append` put in its place.
   */
  readFiles(paths: string[], opts?: { oneRead?: boolean; stopAt?: string; append?: string }): (string | null)[];
  /** `data` written to a new file `tmp` (O_EXCL, `mode`), which then replaces `path` atomically (renameat2 RENAME_EXCHANGE, else rename; native/addon/replace.c) */
  writeReplacing(tmp: string, path: string, data: string | Buffer, mode: number): void;
  /** the file as a read-only Buffer over a private mapping (map.c); only for files replaced by rename(2) */
  mapBuffer(path: string): Buffer;
  /** the file's text, an external string over a mapping when it is ASCII (map.c); only for files replaced by rename(2) */
  mapSource(path: string): string;
  /** _exit(2) with `code` (0-255): no atexit handlers, no teardown (exit.c) */
  exitNow(code: number): never;
  /** mkdirat(2); false when it already existed (no exception for the common case) */
  mkdirat(dirfd: number, name: string, mode: number): boolean;
  /** unlinkat(2) with AT_REMOVEDIR */
  rmdirat(dirfd: number, name: string): void;
  /** unlink every entry of a directory without subdirectories, then rmdir it (EISDIR on a subdirectory) */
  removeFlatDir(path: string): void;
  /** faccessat(F_OK) for each path: nothing is opened, so safe for exec.fifo */
  pathsExist(paths: string[]): boolean[];
  /** mkfifoat(2), then fchmodat(2): the FIFO gets exactly `mode`, whatever the umask */
  mkfifoat(dirfd: number, path: string, mode: number): void;
  /** clear (false) or set (true) FD_CLOEXEC */
  setCloexec(fd: number, on: boolean): void;
  close(fd: number): void;
  /**
   * Resolves with a child's exit, watching its pidfd on the event loop (no
   * pool thread); the pending wait keeps the process alive. Rejects with
   * ECHILD at once for a pid that is not our child.
   */
  waitExit(pid: number): Promise<WaitResult>;
  /** waitid(P_PID, WNOHANG|WEXITED); null when still running */
  waitNoHang(pid: number): WaitResult | null;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1) */
  setChildSubreaper(): void;
  /** TIOCSWINSZ on a tty fd */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** BPF_PROG_LOAD of a BPF_PROG_TYPE_CGROUP_DEVICE program (8-byte insns) */
  bpfLoadDeviceProgram(insns: Buffer, license: string): number;
  /** BPF_PROG_ATTACH with BPF_CGROUP_DEVICE to a cgroup dir fd */
  bpfAttachDevice(progFd: number, cgroupFd: number, flags: number): void;
  // One call per file operation below a directory fd, each path through
  // openat2 with `resolve` (safe_open.c); a failed open throws with syscall "openat2".
  /** the whole file as UTF-8 text */
  readBeneath(dirfd: number, path: string, resolve: number): string;
  /** one write(2) of the whole value */
  /** one open, one write(2) per value; a failed write's error has `index` */
  writeBeneath(dirfd: number, path: string, value: string | readonly string[], resolve: number): void;
  /** mkdirat(name) in `parent` ('' = dirfd itself); false when it existed */
  mkdirBeneath(dirfd: number, parent: string, name: string, mode: number, resolve: number): boolean;
  /** unlinkat(name, AT_REMOVEDIR) in `parent` ('' = dirfd itself) */
  rmdirBeneath(dirfd: number, parent: string, name: string, resolve: number): void;
  /** names of the subdirectories of `path` */
  dirsBeneath(dirfd: number, path: string, resolve: number): string[];
}

// One instance per process: joey.cjs and the verb bundle each carry a copy
// of this module (scripts/bundle.mjs), and both use the addon for a `run`.
const shared = globalThis as { __joeyAddon?: Addon };

/** Loaded lazily: `state`, `list` and friends should not pay for it unless they need it. */
export function addon(): Addon {
  let cached = shared.__joeyAddon;
  if (!cached) {
    // process.dlopen, not require(): the CommonJS loader's resolution,
    // realpath and Module bookkeeping cost several times the dlopen itself
    // (~0.7 ms against 2-4 ms here), and every lifecycle call loads the addon.
    const mod = { exports: {} as Addon };
    process.dlopen(mod, join(projectRoot(), 'native', 'addon', 'build', 'Release', 'joey_addon.node'));
    cached = shared.__joeyAddon = mod.exports;
  }
  return cached;
}

// Constants from <linux/openat2.h>, <fcntl.h>, <sys/file.h>.
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_PATH = 0o10000000;
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const TMPFS_MAGIC = 0x01021994;
export const PROC_SUPER_MAGIC = 0x9fa0;
