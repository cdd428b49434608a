/**
 * The N-API addon (native/addon/*.c) against the real kernel: each test shows
 * the property joey relies on, not just that a call returns.
 * See openat2(2), memfd_create(2), pidfd_open(2), unix(7), waitid(2), flock(2),
 * bpf(2). Build first: `npm run build` (or node-gyp rebuild --directory native/addon).
 *
 * Runs as root on the dev VM; the bpf/cgroup tests need CAP_SYS_ADMIN and a
 * cgroup2 mount and are skipped without them (the reason is in their title).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addon,
  LOCK_EX,
  LOCK_NB,
  LOCK_UN,
  O_CREAT,
  O_DIRECTORY,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  PROC_SUPER_MAGIC,
  CGROUP2_SUPER_MAGIC,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_SYMLINKS,
} from '../../src/native/addon.js';
import { projectRoot } from '../../src/paths.js';

const AT_FDCWD = -100;
const SIGKILL = 9;
const O_CLOEXEC = 0o2000000;

const a = addon();
let tmp: string;
const opened: number[] = [];

/** remember an fd so afterAll closes it even when an assertion fails first */
function keep(fd: number): number {
  opened.push(fd);
  return fd;
}

/** the fd's open flags as the kernel reports them (octal in fdinfo) */
function fdFlags(fd: number): number {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /^flags:\s+([0-7]+)$/m.exec(info);
  if (!m?.[1]) throw new Error(`no flags line in fdinfo of ${fd}`);
  return parseInt(m[1], 8);
}

/** catch and return the error a function throws, so its fields can be checked */
function thrown(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected the call to throw');
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-addon-'));
});

afterAll(() => {
  for (const fd of opened) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed by the test itself
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('errors', () => {
  it('throws Node-style errno errors', () => {
    const e = thrown(() => a.openat2(AT_FDCWD, path.join(tmp, 'missing'), O_RDONLY, 0, 0));
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('ENOENT');
    expect(e.errno).toBe(-2);
    expect(e.syscall).toBe('openat2');
    expect(e.message).toBe('openat2: No such file or directory');
  });

  it('rejects bad argument types with TypeError and bad ranges with RangeError', () => {
    // deliberately ill-typed calls, as plain JS callers could make them
    const loose = a as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(() => loose.openat2!('3', '/', 0, 0, 0)).toThrow(TypeError);
    expect(() => loose.openat2!(1.5, '/', 0, 0, 0)).toThrow(TypeError);
    expect(() => loose.openat2!(AT_FDCWD, '/\0etc', 0, 0, 0)).toThrow(TypeError);
    expect(() => loose.close!()).toThrow(TypeError);
    expect(() => loose.setCloexec!(0, 1)).toThrow(TypeError);
    expect(() => loose.sendmsg!(0, 'x', [])).toThrow(TypeError);
    expect(() => loose.sendmsg!(0, Buffer.from('x'), ['1'])).toThrow(TypeError);
    expect(() => a.openat2(-5, '/', 0, 0, 0)).toThrow(RangeError);
    expect(() => a.close(-1)).toThrow(RangeError);
    expect(() => a.setWinsize(0, 70000, 80)).toThrow(RangeError);
  });
});

describe('openat2', () => {
  it('returns O_CLOEXEC fds', () => {
    const fd = keep(a.openat2(AT_FDCWD, tmp, O_DIRECTORY, 0, 0));
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
  });

  it('RESOLVE_IN_ROOT keeps absolute and `..` symlinks inside the root', () => {
    const root = path.join(tmp, 'rootfs');
    fs.mkdirSync(root);
    // the classic escapes: an absolute symlink and one that climbs with `..`
    fs.symlinkSync('/etc', path.join(root, 'link'));
    fs.symlinkSync('../../../../../../etc/passwd', path.join(root, 'up'));
    const rootFd = keep(a.openat2(AT_FDCWD, root, O_DIRECTORY | O_PATH, 0, 0));

    // without a rootfs /etc, the host's /etc/passwd must not be found
    expect(thrown(() => a.openat2(rootFd, 'link/passwd', O_RDONLY, 0, RESOLVE_IN_ROOT)).code).toBe('ENOENT');
    expect(thrown(() => a.openat2(rootFd, 'up', O_RDONLY, 0, RESOLVE_IN_ROOT)).code).toBe('ENOENT');

    // with one, both links land on the rootfs's file, never the host's
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'inside the root\n');
    for (const p of ['link/passwd', 'up', '/etc/../../etc/passwd']) {
      const fd = keep(a.openat2(rootFd, p, O_RDONLY, 0, RESOLVE_IN_ROOT));
      expect(fs.readFileSync(fd, 'utf8')).toBe('inside the root\n');
      a.close(fd);
    }
    // a plain open of the same name does escape: that is what the flag prevents
    expect(fs.readFileSync(path.join(root, 'link', 'passwd'), 'utf8')).toBe(fs.readFileSync('/etc/passwd', 'utf8'));
  });

  it('RESOLVE_NO_SYMLINKS refuses any symlink with ELOOP', () => {
    const root = path.join(tmp, 'nosym');
    fs.mkdirSync(root);
    fs.symlinkSync('/etc', path.join(root, 'link'));
    const rootFd = keep(a.openat2(AT_FDCWD, root, O_DIRECTORY | O_PATH, 0, 0));
    const e = thrown(() => a.openat2(rootFd, 'link/passwd', O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    expect(e.code).toBe('ELOOP');
    expect(e.errno).toBe(-40);
  });

  it('RESOLVE_BENEATH refuses to climb out with EXDEV', () => {
    const fd = keep(a.openat2(AT_FDCWD, tmp, O_DIRECTORY | O_PATH, 0, 0));
    expect(thrown(() => a.openat2(fd, '../etc/passwd', O_RDONLY, 0, RESOLVE_BENEATH)).code).toBe('EXDEV');
  });

  it('creates files with the mode when O_CREAT is given, and ignores it otherwise', () => {
    const dirFd = keep(a.openat2(AT_FDCWD, tmp, O_DIRECTORY | O_PATH, 0, 0));
    const fd = keep(a.openat2(dirFd, 'created', O_CREAT | O_WRONLY, 0o640, RESOLVE_BENEATH));
    a.close(fd);
    expect(fs.statSync(path.join(tmp, 'created')).mode & 0o777).toBe(0o640 & ~process.umask());
    a.close(keep(a.openat2(dirFd, 'created', O_RDONLY, 0o640, RESOLVE_BENEATH)));
  });
});

describe('fstatfsType', () => {
  it('reports PROC_SUPER_MAGIC for /proc', () => {
    const fd = keep(a.openat2(AT_FDCWD, '/proc', O_DIRECTORY | O_PATH, 0, 0));
    expect(a.fstatfsType(fd)).toBe(0x9fa0);
    expect(a.fstatfsType(fd)).toBe(PROC_SUPER_MAGIC);
  });

  it('fails with EBADF on a closed fd', () => {
    const fd = a.openat2(AT_FDCWD, '/proc', O_DIRECTORY | O_PATH, 0, 0);
    a.close(fd);
    expect(thrown(() => a.fstatfsType(fd)).code).toBe('EBADF');
  });
});

/** exec the file behind `fd` (a copy or an overlay of `true`) through /proc/self/fd: it runs and exits 0 */
function expectRunsTrue(fd: number): void {
  a.setCloexec(fd, false);
  try {
    const r = spawnSync(`/proc/self/fd/${fd}`, [], { stdio: 'ignore' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
  } finally {
    a.setCloexec(fd, true);
  }
}

describe('sealed memfds (CVE-2019-5736)', () => {
  it('sealedCopy holds the file and refuses every write', () => {
    const src = path.join(tmp, 'binary');
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    fs.writeFileSync(src, bytes);
    const fd = keep(a.sealedCopy(src, 'joey-init'));

    expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe('/memfd:joey-init (deleted)');
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
    expect(fs.readFileSync(fd).equals(bytes)).toBe(true);
    // F_SEAL_WRITE: even the fd's own O_RDWR does not allow a write
    expect(thrown(() => fs.writeSync(fd, Buffer.from('x'), 0, 1, 0)).code).toBe('EPERM');
    // F_SEAL_SHRINK/F_SEAL_GROW
    expect(thrown(() => fs.ftruncateSync(fd, 0)).code).toBe('EPERM');
    expect(thrown(() => fs.ftruncateSync(fd, bytes.length + 1)).code).toBe('EPERM');
    // the CVE's path: a fresh writable open through /proc succeeds, but the write does not
    const reopened = keep(fs.openSync(`/proc/self/fd/${fd}`, 'r+'));
    expect(thrown(() => fs.writeSync(reopened, Buffer.from('x'), 0, 1, 0)).code).toBe('EPERM');
    expect(fs.readFileSync(`/proc/self/fd/${fd}`).equals(bytes)).toBe(true);
  });

  it('sealedCopy of a real executable can be run', () => {
    expectRunsTrue(keep(a.sealedCopy('/bin/true', 'true')));
  });

  it('sealedCopy refuses a missing file and a directory', () => {
    const missing = thrown(() => a.sealedCopy(path.join(tmp, 'missing'), 'x'));
    expect(missing.code).toBe('ENOENT');
    expect(missing.syscall).toBe('open');
    expect(thrown(() => a.sealedCopy(tmp, 'x')).code).toBe('EISDIR');
  });

  it('sealedData holds the buffer, sealed', () => {
    const data = Buffer.from('{"plan":true}');
    const fd = keep(a.sealedData(data, 'joey-plan'));
    expect(fs.readFileSync(fd).equals(data)).toBe(true);
    expect(thrown(() => fs.writeSync(fd, Buffer.from('x'), 0, 1, 0)).code).toBe('EPERM');
    expect(thrown(() => fs.ftruncateSync(fd, 1)).code).toBe('EPERM');
  });
});

// fsopen("overlay") needs CAP_SYS_ADMIN: these run as root (`sudo npm test`);
// as another user joey takes sealedCopy instead (spawn-init.test.ts).
describe.runIf(process.geteuid?.() === 0)('a read-only overlay of the init (CVE-2019-5736, no copy)', () => {
  let lower = '';
  let empty = '';
  const bytes = Buffer.alloc(200_000);
  beforeAll(() => {
    lower = path.join(tmp, 'lower');
    empty = path.join(tmp, 'empty');
    fs.mkdirSync(lower);
    fs.mkdirSync(empty);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13) & 0xff;
    fs.writeFileSync(path.join(lower, 'joey-init'), bytes, { mode: 0o755 });
    // a same-named file in the empty layer must not mask the top one
    fs.writeFileSync(path.join(empty, 'joey-init'), 'masked');
  });

  it('sealedOverlay gives an O_PATH fd of the same bytes, on another device, that nobody can open for writing', () => {
    const fd = keep(a.sealedOverlay(lower, 'joey-init', empty));
    expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe('/joey-init');
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
    expect(fdFlags(fd) & 0o10000000).toBe(0o10000000); // O_PATH
    expect(fs.readFileSync(`/proc/self/fd/${fd}`).equals(bytes)).toBe(true);
    // the overlay, not the file on disk: its own device
    expect(fs.statSync(`/proc/self/fd/${fd}`).dev).not.toBe(fs.statSync(path.join(lower, 'joey-init')).dev);
    // the CVE's path: a writable open through /proc fails, whatever our privilege
    expect(thrown(() => fs.openSync(`/proc/self/fd/${fd}`, 'r+')).code).toBe('EROFS');
    expect(thrown(() => fs.openSync(`/proc/self/fd/${fd}`, 'w')).code).toBe('EROFS');
    expect(fs.readFileSync(path.join(lower, 'joey-init')).equals(bytes)).toBe(true);
  });

  it('sealedOverlay of a real executable can be run', () => {
    expectRunsTrue(keep(a.sealedOverlay('/usr/bin', 'true', empty)));
  });

  it('sealedOverlay refuses what it cannot express or find, for the caller to fall back to a copy', () => {
    // lowerdir's separator and escape are refused, not escaped
    expect(thrown(() => a.sealedOverlay(`${lower}:x`, 'joey-init', empty)).code).toBe('EINVAL');
    expect(thrown(() => a.sealedOverlay(lower, 'joey-init', `${empty}\\x`)).code).toBe('EINVAL');
    expect(thrown(() => a.sealedOverlay(lower, '../joey-init', empty)).code).toBe('EINVAL');
    expect(thrown(() => a.sealedOverlay(lower, 'missing', empty)).code).toBe('ENOENT');
    // overlapping layers (the empty one inside the other) are the kernel's ELOOP
    expect(thrown(() => a.sealedOverlay(tmp, 'lower', empty)).code).toBe('ELOOP');
    // a directory is not an executable
    fs.mkdirSync(path.join(lower, 'dir'), { recursive: true });
    expect(thrown(() => a.sealedOverlay(lower, 'dir', empty)).code).toBe('EINVAL');
  });
});

describe('SCM_RIGHTS over a SEQPACKET socketpair', () => {
  it('carries an fd that reads the same file', () => {
    const [x, y] = a.socketpair().map(keep) as [number, number];
    expect(fdFlags(x) & O_CLOEXEC).toBe(O_CLOEXEC);
    expect(fdFlags(y) & O_CLOEXEC).toBe(O_CLOEXEC);

    const file = path.join(tmp, 'passed');
    fs.writeFileSync(file, 'sent over scm_rights');
    const fileFd = keep(fs.openSync(file, 'r'));
    a.sendmsg(x, Buffer.from('console'), [fileFd]);
    a.close(fileFd);

    const msg = a.recvmsg(y, 64, 1000);
    expect(msg.data.toString()).toBe('console');
    expect(msg.eof).toBe(false);
    expect(msg.fds).toHaveLength(1);
    const got = keep(msg.fds[0]!);
    expect(fdFlags(got) & O_CLOEXEC).toBe(O_CLOEXEC);
    const buf = Buffer.alloc(64);
    const n = fs.readSync(got, buf, 0, buf.length, 0);
    expect(buf.subarray(0, n).toString()).toBe('sent over scm_rights');
  });

  it('keeps message boundaries and reports eof once the peer closes', () => {
    const [x, y] = a.socketpair() as [number, number];
    keep(y);
    a.sendmsg(x, Buffer.from('one'), []);
    a.sendmsg(x, Buffer.from('two'), []);
    expect(a.recvmsg(y, 64, 1000).data.toString()).toBe('one');
    expect(a.recvmsg(y, 64, 1000).data.toString()).toBe('two');
    a.close(x);
    const end = a.recvmsg(y, 64, 1000);
    expect(end).toEqual({ data: Buffer.alloc(0), fds: [], eof: true });
  });

  it('sends a message far larger than the default socket buffer', () => {
    const [x, y] = a.socketpair().map(keep) as [number, number];
    const big = Buffer.alloc(512 * 1024, 0x61);
    a.sendmsg(x, big, []);
    expect(a.recvmsg(y, big.length, 1000).data.equals(big)).toBe(true);
  });

  it('refuses a message that does not fit maxlen with EMSGSIZE', () => {
    const [x, y] = a.socketpair().map(keep) as [number, number];
    a.sendmsg(x, Buffer.from('too long'), []);
    expect(thrown(() => a.recvmsg(y, 3, 1000)).code).toBe('EMSGSIZE');
  });

  it('throws ETIMEDOUT when nothing arrives in time', () => {
    const [, y] = a.socketpair().map(keep) as [number, number];
    const start = Date.now();
    const e = thrown(() => a.recvmsg(y, 64, 50));
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.errno).toBe(-110);
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);
  });

  it('reports EPIPE, not SIGPIPE, when the peer is gone', () => {
    const [x, y] = a.socketpair() as [number, number];
    keep(x);
    a.close(y);
    expect(thrown(() => a.sendmsg(x, Buffer.from('x'), [])).code).toBe('EPIPE');
  });
});

describe('connectUnix', () => {
  it('connects to a listening stream socket', async () => {
    const sock = path.join(tmp, 'console.sock');
    const server = net.createServer();
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const fd = keep(a.connectUnix(sock));
      expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
      a.sendmsg(fd, Buffer.from('hello'), []);
      const conn = await accepted;
      const data = await new Promise<Buffer>((resolve) => conn.once('data', resolve));
      expect(data.toString()).toBe('hello');
      conn.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails with ENOENT / ENAMETOOLONG', () => {
    expect(thrown(() => a.connectUnix(path.join(tmp, 'nobody.sock'))).code).toBe('ENOENT');
    expect(thrown(() => a.connectUnix('/' + 'x'.repeat(200))).code).toBe('ENAMETOOLONG');
  });
});

describe('pidfd', () => {
  it('kills a child through its pidfd and sees it exit', () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pidfd = keep(a.pidfdOpen(child.pid!));
    try {
      expect(fdFlags(pidfd) & O_CLOEXEC).toBe(O_CLOEXEC);
      expect(a.pidfdExited(pidfd, 0)).toBe(false);
      a.pidfdSendSignal(pidfd, SIGKILL);
      expect(a.pidfdExited(pidfd, 5000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fails with ESRCH for a pid that does not exist', () => {
    // pid_max is at most 2^22, so this pid can never exist
    expect(thrown(() => a.pidfdOpen(2 ** 22 + 1)).code).toBe('ESRCH');
  });
});

describe('waitid', () => {
  // WHY: libuv reaps the children child_process spawned itself, racing any
  // waitid of ours. To be deterministic, make this worker a subreaper and
  // wait for a *grandchild*: its parent `sh` exits at once, the grandchild is
  // reparented to us, and libuv, which only waitpid()s its own pids, never
  // touches it. (vitest runs each test file in its own forked worker.)
  beforeAll(() => {
    a.setChildSubreaper();
  });

  /** start `script` as an orphan that becomes our child; returns its pid */
  function orphan(script: string): number {
    const r = spawnSync('sh', ['-c', `sh -c '${script}' >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return Number(r.stdout.trim());
  }

  it('waitExit resolves with the exit status', async () => {
    const pid = orphan('sleep 0.2; exit 3');
    await expect(a.waitExit(pid)).resolves.toEqual({ code: 3, signal: null });
    // reaped, not just noticed: nothing is left to wait for
    expect(thrown(() => a.waitNoHang(pid)).code).toBe('ECHILD');
  });

  it('waitExit resolves with the signal that killed it', async () => {
    const pid = orphan('sleep 30');
    const waiting = a.waitExit(pid);
    process.kill(pid, 'SIGKILL');
    await expect(waiting).resolves.toEqual({ code: null, signal: SIGKILL });
  });

  it('waitExit reaps a child that exited before the call', async () => {
    const pid = orphan('exit 5');
    const pidfd = keep(a.pidfdOpen(pid));
    expect(a.pidfdExited(pidfd, 5000)).toBe(true);
    await expect(a.waitExit(pid)).resolves.toEqual({ code: 5, signal: null });
  });

  it('waitExit rejects with ECHILD at once for a process that is not our child', async () => {
    await expect(a.waitExit(1)).rejects.toMatchObject({ code: 'ECHILD', syscall: 'waitid', errno: -10 });
  });

  it('waitExit waits for two children at once, each with its own status', async () => {
    const slow = orphan('sleep 0.4; exit 7');
    const fast = orphan('sleep 0.1; exit 8');
    const order: number[] = [];
    const track = (pid: number) => a.waitExit(pid).then((r) => (order.push(pid), r));
    await expect(Promise.all([track(slow), track(fast)])).resolves.toEqual([
      { code: 7, signal: null },
      { code: 8, signal: null },
    ]);
    expect(order).toEqual([fast, slow]);
  });

  it('waitExit twice for one child: one wait reaps, the other rejects with ECHILD', async () => {
    const pid = orphan('sleep 0.2; exit 6');
    const results = await Promise.allSettled([a.waitExit(pid), a.waitExit(pid)]);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => r.value)).toEqual([{ code: 6, signal: null }]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => r.reason.code)).toEqual(['ECHILD']);
  });

  it('waitExit keeps Node alive until the child exits', () => {
    // Nothing but the pending wait is left: were the watch unreferenced,
    // Node would exit at once and print nothing.
    const script = `
      const m = { exports: {} };
      process.dlopen(m, ${JSON.stringify(path.join(projectRoot(), 'native/addon/build/Release/joey_addon.node'))});
      m.exports.setChildSubreaper();
      const r = require('node:child_process').spawnSync('sh', ['-c', "sh -c 'sleep 0.3; exit 4' >/dev/null 2>&1 & echo $!"], { encoding: 'utf8' });
      const t0 = Date.now();
      m.exports.waitExit(Number(r.stdout)).then((s) => console.log(JSON.stringify({ ...s, ms: Date.now() - t0 })));
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { code: number; signal: null; ms: number };
    expect(out).toMatchObject({ code: 4, signal: null });
    expect(out.ms).toBeGreaterThanOrEqual(200);
  });

  it('waitNoHang returns null while running, then the status once', async () => {
    const pid = orphan('sleep 30');
    expect(a.waitNoHang(pid)).toBeNull();
    const pidfd = keep(a.pidfdOpen(pid));
    a.pidfdSendSignal(pidfd, 15);
    expect(a.pidfdExited(pidfd, 5000)).toBe(true);
    expect(a.waitNoHang(pid)).toEqual({ code: null, signal: 15 });
    // reaped: it is gone
    expect(thrown(() => a.waitNoHang(pid)).code).toBe('ECHILD');
  });
});

describe('fds', () => {
  it('flock conflicts between two open file descriptions of one file', () => {
    const file = path.join(tmp, 'lock');
    fs.writeFileSync(file, '');
    const fd1 = keep(fs.openSync(file, 'r'));
    const fd2 = keep(fs.openSync(file, 'r'));
    a.flock(fd1, LOCK_EX | LOCK_NB);
    const e = thrown(() => a.flock(fd2, LOCK_EX | LOCK_NB));
    expect(e.code).toBe('EAGAIN'); // EWOULDBLOCK, the same number on Linux
    expect(e.syscall).toBe('flock');
    a.flock(fd1, LOCK_UN);
    a.flock(fd2, LOCK_EX | LOCK_NB);
  });

  it('mkfifoat makes a FIFO relative to a dir fd', () => {
    const dirFd = keep(a.openat2(AT_FDCWD, tmp, O_DIRECTORY | O_PATH, 0, 0));
    a.mkfifoat(dirFd, 'exec.fifo', 0o600);
    const st = fs.statSync(path.join(tmp, 'exec.fifo'));
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600 & ~process.umask());
    expect(thrown(() => a.mkfifoat(dirFd, 'exec.fifo', 0o600)).code).toBe('EEXIST');
  });

  it('setCloexec clears and sets FD_CLOEXEC', () => {
    const fd = keep(a.openat2(AT_FDCWD, tmp, O_DIRECTORY, 0, 0));
    a.setCloexec(fd, false);
    expect(fdFlags(fd) & O_CLOEXEC).toBe(0);
    a.setCloexec(fd, true);
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
  });

  it('close closes, and a second close is EBADF', () => {
    const fd = a.openat2(AT_FDCWD, tmp, O_DIRECTORY, 0, 0);
    a.close(fd);
    expect(thrown(() => a.close(fd)).code).toBe('EBADF');
  });
});

describe('setWinsize', () => {
  it('sets the size a process on the pty sees', () => {
    const master = keep(fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY));
    a.setWinsize(master, 33, 101);
    // master and slave share one winsize; stty reads it through the master
    const r = spawnSync('stty', ['size'], { stdio: [master, 'pipe', 'pipe'], encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('33 101');
  });

  it('fails with ENOTTY on a regular file', () => {
    const fd = keep(a.openat2(AT_FDCWD, path.join(tmp, 'tty-not'), O_CREAT | O_RDWR, 0o600, 0));
    expect(thrown(() => a.setWinsize(fd, 24, 80)).code).toBe('ENOTTY');
  });
});

// BPF_PROG_TYPE_CGROUP_DEVICE programs, two instructions each:
// `r0 = <verdict>; exit` (BPF_ALU64|BPF_MOV|BPF_K, then BPF_JMP|BPF_EXIT)
function verdictProgram(verdict: 0 | 1): Buffer {
  return Buffer.from([0xb7, 0x00, 0x00, 0x00, verdict, 0x00, 0x00, 0x00, 0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
}
const BPF_F_ALLOW_MULTI = 2;
const unified = '/sys/fs/cgroup/unified';
const haveCgroup2 = (() => {
  try {
    return process.getuid?.() === 0 && fs.statfsSync(unified).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveCgroup2)('bpf device filter (needs root and cgroup2 at /sys/fs/cgroup/unified)', () => {
  const cg = path.join(unified, `joey-addon-test-${process.pid}`);

  beforeAll(() => {
    fs.mkdirSync(cg);
  });

  afterAll(() => {
    // an attached program does not keep a cgroup alive; the dir must go
    fs.rmdirSync(cg);
    expect(fs.existsSync(cg)).toBe(false);
  });

  it('loads `r0 = 1; exit` and attaches it with BPF_F_ALLOW_MULTI', () => {
    const prog = keep(a.bpfLoadDeviceProgram(verdictProgram(1), 'Apache-2.0'));
    expect(fdFlags(prog) & O_CLOEXEC).toBe(O_CLOEXEC);
    const cgFd = keep(a.openat2(AT_FDCWD, cg, O_DIRECTORY | O_RDONLY, 0, 0));
    expect(a.fstatfsType(cgFd)).toBe(CGROUP2_SUPER_MAGIC);
    a.bpfAttachDevice(prog, cgFd, BPF_F_ALLOW_MULTI);
  });

  it('a program returning 0 denies device opens in the cgroup', () => {
    const sub = path.join(cg, 'deny');
    fs.mkdirSync(sub);
    try {
      const cgFd = keep(a.openat2(AT_FDCWD, sub, O_DIRECTORY | O_RDONLY, 0, 0));
      a.bpfAttachDevice(keep(a.bpfLoadDeviceProgram(verdictProgram(0), 'GPL')), cgFd, BPF_F_ALLOW_MULTI);
      // the shell moves itself in, then opens /dev/null (a device) for reading
      const r = spawnSync('sh', ['-c', `echo $$ > ${sub}/cgroup.procs && exec cat /dev/null`], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Operation not permitted/);
    } finally {
      fs.rmdirSync(sub);
    }
  });

  it('puts the verifier log in the error', () => {
    // `exit` alone returns an uninitialised r0: the verifier refuses it
    const bad = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]);
    const e = thrown(() => a.bpfLoadDeviceProgram(bad, 'GPL'));
    expect(e.code).toBe('EACCES');
    expect(e.syscall).toBe('bpf(BPF_PROG_LOAD)');
    expect(e.message).toMatch(/^bpf\(BPF_PROG_LOAD\): Permission denied: .*R0 !read_ok/s);
  });

  it('refuses instructions that are not a multiple of 8 bytes', () => {
    expect(() => a.bpfLoadDeviceProgram(Buffer.alloc(12), 'GPL')).toThrow(RangeError);
    expect(() => a.bpfLoadDeviceProgram(Buffer.alloc(0), 'GPL')).toThrow(RangeError);
  });
});

describe('batched small reads (files.c, for list)', () => {
  it('readFiles returns each text or null, in order, without opening FIFOs for good', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-files-'));
    try {
      fs.writeFileSync(path.join(dir, 'a'), '{"x":"é"}');
      fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(64 * 1024, 'x'));
      fs.writeFileSync(path.join(dir, 'empty'), '');
      const got = a.readFiles([path.join(dir, 'a'), path.join(dir, 'missing'), '/proc/self/stat', path.join(dir, 'big'), path.join(dir, 'empty'), dir]);
      expect(got[0]).toBe('{"x":"é"}');
      expect(got[1]).toBeNull();
      expect(got[2]).toMatch(new RegExp(`^${process.pid} \\(`));
      expect(got[3]).toBeNull(); // 64 KiB or more is not a file list reads
      expect(got[4]).toBe('');
      expect(got[5]).toBeNull(); // a directory cannot be read
      expect(a.readFiles([])).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('readFiles with oneRead gives the same texts from regular, proc and cgroupfs files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-files-'));
    try {
      fs.writeFileSync(path.join(dir, 'a'), 'x'.repeat(5000));
      fs.writeFileSync(path.join(dir, 'empty'), '');
      const cg = ['/sys/fs/cgroup/cgroup.controllers', '/sys/fs/cgroup/freezer/freezer.state', '/sys/fs/cgroup/unified/cgroup.controllers'].filter((p) => fs.existsSync(p));
      const paths = [path.join(dir, 'a'), path.join(dir, 'empty'), '/proc/1/stat', '/proc/self/cmdline', ...cg, path.join(dir, 'missing')];
      const one = a.readFiles(paths, { oneRead: true });
      expect(one).toEqual(a.readFiles(paths));
      expect(one[0]).toBe('x'.repeat(5000));
      expect(one[1]).toBe('');
      expect(one.at(-1)).toBeNull();
      // the limit it rests on: a seq_file longer than a page comes in several reads
      const maps = a.readFiles(['/proc/self/maps'])[0]!;
      const mapsOne = a.readFiles(['/proc/self/maps'], { oneRead: true })[0]!;
      expect(maps.length).toBeGreaterThan(4096);
      expect(mapsOne.length).toBeLessThanOrEqual(4096);
      expect(maps.startsWith(mapsOne.slice(0, mapsOne.indexOf('\n')))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('readFiles with stopAt keeps what precedes the first occurrence, then append; a text without it comes whole', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-files-'));
    try {
      fs.writeFileSync(path.join(dir, 'cut'), '{"a":"é","cgroup":{"b":1},"cgroup":2}');
      fs.writeFileSync(path.join(dir, 'whole'), '{"a":1}');
      fs.writeFileSync(path.join(dir, 'first'), ',"cgroup":{}');
      const paths = ['cut', 'whole', 'first', 'missing'].map((n) => path.join(dir, n));
      expect(a.readFiles(paths, { stopAt: ',"cgroup":', append: '}' })).toEqual(['{"a":"é"}', '{"a":1}', '}', null]);
      expect(a.readFiles(paths, { oneRead: true, stopAt: ',"cgroup":' })).toEqual(['{"a":"é"', '{"a":1}', '', null]);
      // append may be longer than what it replaces
      expect(a.readFiles([paths[2]!], { stopAt: '{}', append: 'x'.repeat(100) })).toEqual([`,"cgroup":${'x'.repeat(100)}`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('readFiles refuses bad options', () => {
    expect(() => a.readFiles([], 'x' as unknown as object)).toThrow(TypeError);
    expect(() => a.readFiles([], { oneRead: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => a.readFiles([], { stopAt: '' })).toThrow(TypeError);
    expect(() => a.readFiles([], { append: '}' })).toThrow(TypeError);
    expect(() => a.readFiles([], { stopAt: 'x', append: 'y'.repeat(5000) })).toThrow(RangeError);
  });

  it('pathsExist answers without opening (a writer blocked on a FIFO stays blocked)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-files-'));
    const fifo = path.join(dir, 'exec.fifo');
    a.mkfifoat(AT_FDCWD, fifo, 0o622);
    // like a created container's init: blocked opening exec.fifo for writing
    const writer = spawn('sh', ['-c', `echo x > ${fifo}`]);
    const done = new Promise((res) => writer.on('exit', res));
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(a.pathsExist([fifo, path.join(dir, 'nope'), dir])).toEqual([true, false, true]);
      const settled = await Promise.race([done.then(() => 'released'), new Promise((r) => setTimeout(() => r('blocked'), 300))]);
      expect(settled).toBe('blocked');
    } finally {
      writer.kill('SIGKILL');
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a non-array and non-string entries', () => {
    expect(() => a.readFiles('x' as unknown as string[])).toThrow(TypeError);
    expect(() => a.pathsExist([1 as unknown as string])).toThrow(TypeError);
  });
});

describe('mkdirat / rmdirat', () => {
  it('makes a dir under a dirfd, answers false for an existing one, and removes it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-mkdirat-'));
    const dfd = a.openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, 0);
    try {
      expect(a.mkdirat(dfd, 'c1', 0o750)).toBe(true);
      expect(fs.statSync(path.join(dir, 'c1')).mode & 0o777).toBe(0o750 & ~process.umask());
      expect(a.mkdirat(dfd, 'c1', 0o750)).toBe(false);
      fs.writeFileSync(path.join(dir, 'c1', 'f'), '');
      expect(thrown(() => a.rmdirat(dfd, 'c1')).code).toBe('ENOTEMPTY');
      fs.unlinkSync(path.join(dir, 'c1', 'f'));
      a.rmdirat(dfd, 'c1');
      expect(fs.existsSync(path.join(dir, 'c1'))).toBe(false);
      expect(thrown(() => a.mkdirat(dfd, 'missing/deeper', 0o755)).code).toBe('ENOENT');
    } finally {
      a.close(dfd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('operations beneath a dir fd (safe_open.c, for cgroupfs)', () => {
  const BENEATH = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  it('reads a whole file, however long, and writes a value in one write', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-beneath-'));
    const dfd = keep(a.openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, 0));
    try {
      fs.mkdirSync(path.join(dir, 'sub'));
      const long = 'é'.repeat(70_000); // past the first buffer and its doublings
      fs.writeFileSync(path.join(dir, 'sub', 'f'), long);
      expect(a.readBeneath(dfd, 'sub/f', BENEATH)).toBe(long);
      fs.writeFileSync(path.join(dir, 'g'), '');
      a.writeBeneath(dfd, 'g', 'c 1:3 rwm', BENEATH);
      expect(fs.readFileSync(path.join(dir, 'g'), 'utf8')).toBe('c 1:3 rwm');
      // O_WRONLY alone, as the JS it replaces opened cgroup files: no O_TRUNC, so a
      // regular file is overwritten in place (cgroupfs takes the write as a command)
      a.writeBeneath(dfd, 'g', 'a *:* m', BENEATH);
      expect(a.readBeneath(dfd, 'g', BENEATH)).toBe('a *:* mwm');
      // /proc/self/... files report no size: read to EOF all the same
      const proc = keep(a.openat2(AT_FDCWD, '/proc/self', O_PATH | O_DIRECTORY, 0, 0));
      expect(a.readBeneath(proc, 'status', BENEATH)).toMatch(/^Name:/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every path beneath the fd: `..`, an absolute path and a symlink fail, with syscall openat2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-beneath-'));
    const dfd = keep(a.openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, 0));
    try {
      fs.writeFileSync(path.join(tmp, 'outside'), 'secret');
      fs.symlinkSync(path.join(tmp, 'outside'), path.join(dir, 'link'));
      for (const p of ['../outside', path.join(tmp, 'outside')]) {
        const e = thrown(() => a.readBeneath(dfd, p, BENEATH));
        expect([e.code, e.syscall]).toEqual(['EXDEV', 'openat2']);
        expect(thrown(() => a.writeBeneath(dfd, p, 'x', BENEATH)).code).toBe('EXDEV');
      }
      expect(thrown(() => a.readBeneath(dfd, 'link', BENEATH)).code).toBe('ELOOP');
      expect(thrown(() => a.writeBeneath(dfd, 'link', 'x', BENEATH)).code).toBe('ELOOP');
      expect(fs.readFileSync(path.join(tmp, 'outside'), 'utf8')).toBe('secret');
      expect(thrown(() => a.readBeneath(dfd, 'missing', BENEATH)).code).toBe('ENOENT');
      // a directory opens but cannot be read: the error names read(2)
      fs.mkdirSync(path.join(dir, 'd'));
      const e = thrown(() => a.readBeneath(dfd, 'd', BENEATH));
      expect([e.code, e.syscall]).toEqual(['EISDIR', 'read']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mkdirBeneath / rmdirBeneath work in the fd itself ("") or a parent below it, never through a symlink', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-beneath-'));
    const dfd = keep(a.openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, 0));
    try {
      expect(a.mkdirBeneath(dfd, '', 'p', 0o755, BENEATH)).toBe(true);
      expect(a.mkdirBeneath(dfd, '', 'p', 0o755, BENEATH)).toBe(false);
      expect(a.mkdirBeneath(dfd, 'p', 'c', 0o750, BENEATH)).toBe(true);
      expect(fs.statSync(path.join(dir, 'p', 'c')).mode & 0o777).toBe(0o750 & ~process.umask());
      fs.mkdirSync(path.join(tmp, 'elsewhere'), { recursive: true });
      fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(dir, 'ln'));
      const e = thrown(() => a.mkdirBeneath(dfd, 'ln', 'x', 0o755, BENEATH));
      expect([e.code, e.syscall]).toEqual(['ELOOP', 'openat2']);
      expect(fs.existsSync(path.join(tmp, 'elsewhere', 'x'))).toBe(false);
      expect(thrown(() => a.mkdirBeneath(dfd, 'missing', 'x', 0o755, BENEATH)).syscall).toBe('openat2');
      fs.writeFileSync(path.join(dir, 'p', 'c', 'f'), '');
      const busy = thrown(() => a.rmdirBeneath(dfd, 'p', 'c', BENEATH));
      expect([busy.code, busy.syscall]).toEqual(['ENOTEMPTY', 'rmdir']);
      fs.unlinkSync(path.join(dir, 'p', 'c', 'f'));
      a.rmdirBeneath(dfd, 'p', 'c', BENEATH);
      a.rmdirBeneath(dfd, '', 'p', BENEATH);
      expect(fs.readdirSync(dir)).toEqual(['ln']);
      expect(thrown(() => a.rmdirBeneath(dfd, '', 'p', BENEATH)).code).toBe('ENOENT');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dirsBeneath lists subdirectories only, like readdir withFileTypes + isDirectory()', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-beneath-'));
    const dfd = keep(a.openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, 0));
    try {
      for (const d of ['a', 'b', 'a/deeper']) fs.mkdirSync(path.join(dir, d));
      fs.writeFileSync(path.join(dir, 'file'), '');
      fs.symlinkSync('a', path.join(dir, 'link-to-dir'));
      expect(a.dirsBeneath(dfd, '.', BENEATH).sort()).toEqual(['a', 'b']);
      expect(a.dirsBeneath(dfd, 'a', BENEATH)).toEqual(['deeper']);
      expect(a.dirsBeneath(dfd, 'b', BENEATH)).toEqual([]);
      const expected = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      expect(a.dirsBeneath(dfd, '.', BENEATH).sort()).toEqual(expected);
      expect(thrown(() => a.dirsBeneath(dfd, 'file', BENEATH)).code).toBe('ENOTDIR');
      expect(thrown(() => a.dirsBeneath(dfd, 'link-to-dir', BENEATH)).code).toBe('ELOOP');
      // cgroupfs (kernfs), where joey uses it: the children of the root cgroup
      const root = fs.existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
      const cg = keep(a.openat2(AT_FDCWD, root, O_PATH | O_DIRECTORY, 0, 0));
      const want = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      expect(a.dirsBeneath(cg, '.', BENEATH).sort()).toEqual(want);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mapped files (map.c, for the verb bundles and their code cache)', () => {
  const mappedPaths = (): string[] => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('/')).map((l) => l.slice(l.indexOf('/')));

  it('mapSource gives an ASCII file as a string over the mapping, and other text decoded as UTF-8', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-map-'));
    try {
      const ascii = path.join(dir, 'ascii.js');
      const text = `module.exports = ${JSON.stringify('x'.repeat(100_000))};\n`;
      fs.writeFileSync(ascii, text);
      const s = a.mapSource(ascii);
      expect(s).toBe(text);
      // the witness that nothing was copied: the file stays mapped while the string lives
      expect(mappedPaths()).toContain(ascii);
      // replaced by rename(2), as scripts/bundle.mjs does: the string keeps the old inode's text
      fs.writeFileSync(`${ascii}.tmp`, text.replace(/x/g, 'y'));
      fs.renameSync(`${ascii}.tmp`, ascii);
      expect(s).toBe(text);
      const utf8 = path.join(dir, 'utf8.js');
      fs.writeFileSync(utf8, '"é ✓"');
      expect(a.mapSource(utf8)).toBe('"é ✓"');
      expect(mappedPaths()).not.toContain(utf8);
      fs.writeFileSync(path.join(dir, 'empty'), '');
      expect(a.mapSource(path.join(dir, 'empty'))).toBe('');
      expect(thrown(() => a.mapSource(path.join(dir, 'missing'))).code).toBe('ENOENT');
      expect(thrown(() => a.mapSource(dir)).code).toBe('EINVAL');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mapBuffer gives the bytes as a Buffer over a read-only mapping', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-map-'));
    try {
      const file = path.join(dir, 'data.bin');
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      fs.writeFileSync(file, bytes);
      const b = a.mapBuffer(file);
      expect(b.equals(bytes)).toBe(true);
      expect(mappedPaths()).toContain(file);
      fs.writeFileSync(path.join(dir, 'empty'), '');
      expect(a.mapBuffer(path.join(dir, 'empty')).length).toBe(0);
      expect(thrown(() => a.mapBuffer(path.join(dir, 'missing'))).code).toBe('ENOENT');
      // a write through the Buffer faults: the file is never changed through it
      const script = `import { addon } from ${JSON.stringify(path.join(projectRoot(), 'dist', 'native', 'addon.js'))}; addon().mapBuffer(process.argv[1])[0] = 1;`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { encoding: 'utf8' });
      expect(r.signal).toBe('SIGSEGV');
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('writeReplacing (replace.c, for store.ts writeAtomic)', () => {
  it('writes a new file and puts it in place over nothing and over an old one, leaving no temporary name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-replace-'));
    try {
      const file = path.join(dir, 'state.json');
      a.writeReplacing(`${file}.tmp`, file, 'first', 0o640); // no target yet: a rename
      expect(fs.readFileSync(file, 'utf8')).toBe('first');
      expect(fs.statSync(file).mode & 0o777).toBe(0o640 & ~process.umask());
      const old = fs.openSync(file, 'r');
      try {
        a.writeReplacing(`${file}.tmp`, file, Buffer.from('second é'), 0o600); // over the old one: exchanged, the old one unlinked
        expect(fs.readFileSync(file, 'utf8')).toBe('second é');
        expect(fs.readdirSync(dir)).toEqual(['state.json']);
        expect(fs.fstatSync(old).nlink).toBe(0); // the old version is gone, not left under another name
        expect(fs.readFileSync(old, 'utf8')).toBe('first');
      } finally {
        fs.closeSync(old);
      }
      // a string is written as UTF-8, and an empty one makes an empty file
      a.writeReplacing(`${file}.tmp`, file, 'ünïcode', 0o600);
      expect(fs.readFileSync(file, 'utf8')).toBe('ünïcode');
      // file contents, not a path: a NUL is written as it is
      a.writeReplacing(`${file}.tmp`, file, 'a\0b', 0o600);
      expect(fs.readFileSync(file).equals(Buffer.from([0x61, 0, 0x62]))).toBe(true);
      a.writeReplacing(`${file}.tmp`, file, '', 0o600);
      expect(fs.readFileSync(file, 'utf8')).toBe('');
      // the temporary name is made with O_EXCL: one already there is an error, and both files stay
      fs.writeFileSync(`${file}.tmp`, 'someone else');
      const busy = thrown(() => a.writeReplacing(`${file}.tmp`, file, 'third', 0o600));
      expect(busy.code).toBe('EEXIST');
      expect(busy.syscall).toBe('open');
      expect(fs.readFileSync(`${file}.tmp`, 'utf8')).toBe('someone else');
      expect(fs.readFileSync(file, 'utf8')).toBe('');
      fs.unlinkSync(`${file}.tmp`);
      // no directory: nothing written, no temporary left
      expect(thrown(() => a.writeReplacing(path.join(dir, 'no', 'x.tmp'), path.join(dir, 'no', 'x'), 'y', 0o600)).code).toBe('ENOENT');
      expect(fs.readdirSync(dir)).toEqual(['state.json']);
      expect(() => a.writeReplacing(`${file}.tmp`, file, 42 as unknown as string, 0o600)).toThrow(TypeError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exitNow (exit.c, for fast.ts exitIfIdle)', () => {
  it('ends the process with the code, output kept, and none of Node\'s teardown (a --cpu-prof profile is never written)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joey-exit-'));
    try {
      const file = path.join(projectRoot(), 'native', 'addon', 'build', 'Release', 'joey_addon.node');
      const script = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(file)}); process.stdout.write('x'.repeat(200000)); m.exports.exitNow(7); console.log('after');`;
      const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
      expect(r.status).toBe(7);
      expect(r.stdout).toBe('x'.repeat(200000)); // a pipe: Node wrote it synchronously
      expect(fs.readdirSync(dir)).toEqual([]);
      const plain = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', 'process.exit(7)']);
      expect(plain.status).toBe(7);
      expect(fs.readdirSync(dir)).toHaveLength(1); // the witness works: Node's own exit writes it
      expect(thrown(() => a.exitNow(256)).code).toBe('ERR_OUT_OF_RANGE');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spawnInit: a clone that shares our memory until its exec, without stopping us', () => {
  const probe = path.join(projectRoot(), 'native/build/probe');
  const CLONE_NEWPID = 0x20000000;

  /** spawn `probe args` with stdout into a file; its status and what it printed */
  async function run(args: string[], cloneFlags?: number): Promise<{ pid: number; out: string; code: number | null; sock: number }> {
    const out = path.join(tmp, `spawn-${args.join('-')}-${cloneFlags ?? 0}`);
    const file = keep(fs.openSync(out, 'w'));
    const exe = keep(a.openat2(AT_FDCWD, probe, O_PATH, 0, 0));
    const [ours, theirs] = a.socketpair();
    keep(ours);
    const pid = a.spawnInit(exe, ['probe', ...args], [0, file, 2, theirs], cloneFlags);
    // the child has its own copy of our fd table from the clone on
    a.close(theirs);
    const { code } = await a.waitExit(pid);
    return { pid, out: fs.readFileSync(out, 'utf8'), code, sock: ours };
  }

  it('runs the program as our child, with the fds it was given in place', async () => {
    const r = await run(['pid']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`pid ${r.pid}\n`);
  });

  it.skipIf(process.getuid?.() !== 0)('with CLONE_NEWPID, starts it as PID 1 of a new pid namespace (the init without a stage 1; needs root)', async () => {
    const r = await run(['pid'], CLONE_NEWPID);
    expect(r.code).toBe(0);
    expect(r.out).toBe('pid 1\n');
  });

  it('refuses any other clone flag (a new user namespace must not share our memory), and an argument past 4 KiB', () => {
    expect(thrown(() => a.spawnInit(0, ['x'], [0], 0x10000000)).message).toMatch(/cloneFlags/);
    expect(thrown(() => a.spawnInit(0, ['x'.repeat(5000)], [0])).message).toMatch(/under 4096 bytes/);
  });

  it('reports a failed exec on the sync socket, as an ERROR message the init would send, and exits 127', async () => {
    const notExec = path.join(tmp, 'not-executable');
    fs.writeFileSync(notExec, 'not a program', { mode: 0o644 });
    const exe = keep(a.openat2(AT_FDCWD, notExec, O_PATH, 0, 0));
    const [ours, theirs] = a.socketpair();
    keep(ours);
    const pid = a.spawnInit(exe, ['joey:[1:CHILD]', '3', '0'], [0, 1, 2, theirs]);
    a.close(theirs);
    const msg = a.recvmsg(ours, 4096, 5000);
    expect(msg.data.readUInt32LE(0)).toBe(11); // MSG.ERROR
    expect(msg.data.readUInt32LE(4)).toBe(0xffffffff); // before any op
    expect(msg.data.readInt32LE(8)).toBe(os.constants.errno.EACCES);
    expect(msg.data.subarray(12, msg.data.indexOf(0, 12)).toString()).toBe('spawn joey-init');
    expect((await a.waitExit(pid)).code).toBe(127);
  });
});

describe('writeBeneath with a list: one open, one write(2) per value', () => {
  it('writes the values in order, each as its own write', () => {
    const dir = keep(a.openat2(AT_FDCWD, tmp, O_PATH | O_DIRECTORY, 0, 0));
    fs.writeFileSync(path.join(tmp, 'rules'), '');
    a.writeBeneath(dir, 'rules', ['a *:* rwm\n', 'c 1:3 rwm\n', 'c 1:5 rwm\n'], RESOLVE_BENEATH);
    expect(fs.readFileSync(path.join(tmp, 'rules'), 'utf8')).toBe('a *:* rwm\nc 1:3 rwm\nc 1:5 rwm\n');
  });

  it('a failed write throws with the index of its value; the ones before it were written', () => {
    // oom_score_adj takes each write as a number: our own value again, then one it refuses
    const self = keep(a.openat2(AT_FDCWD, '/proc/self', O_PATH | O_DIRECTORY, 0, 0));
    const mine = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
    const err = thrown(() => a.writeBeneath(self, 'oom_score_adj', [mine, 'not a number', mine], RESOLVE_BENEATH)) as NodeJS.ErrnoException & { index?: number };
    expect(err.code).toBe('EINVAL');
    expect(err.index).toBe(1);
    expect(fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim()).toBe(mine);
  });
});
