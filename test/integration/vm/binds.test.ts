/**
 * `joey --vm` with bind mounts of host paths (src/vm/binds.ts): a 9p share
 * per source directory (read-only on the host side when every mount of it
 * is), file sources copied into <state>/binds and shared once, the plan's
 * bind sources rewritten to the guest's /run/binds/<n>. Needs root, QEMU and
 * a guest kernel.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cid, isRoot, JOEY, joey, leftovers } from '../helpers.js';
import { kernel, qemu, T, vmReason as reason, vmSuite } from './env.js';

const { root, bundle, vm } = vmSuite('vm-binds');

/** host directories the tests bind, removed after the file */
const hostDirs: string[] = [];
afterAll(() => {
  for (const d of hostDirs) fs.rmSync(d, { recursive: true, force: true });
});
function hostDir(): string {
  const d = fs.mkdtempSync(join(tmpdir(), 'joey-bind-'));
  hostDirs.push(d);
  return d;
}

/** makeBundle's rootfs is read-only (joey spec): the mountpoints must exist already. */
function withMountpoints(b: string, dirs: string[], files: string[]): void {
  for (const d of dirs) fs.mkdirSync(join(b, 'rootfs', d), { recursive: true });
  for (const f of files) fs.writeFileSync(join(b, 'rootfs', f), '');
}

/** A detached create: QEMU keeps the caller's stdout/stderr, so hand it files. */
function detached(b: string, args: string[]): { status: number | null; stderr: string; out: string } {
  const out = join(b, 'out.log');
  const o = fs.openSync(out, 'w');
  const e = fs.openSync(join(b, 'err.log'), 'w');
  const r = spawnSync(JOEY, ['--root', root, '--vm', ...args], { stdio: ['ignore', o, e], timeout: 170_000 });
  fs.closeSync(o);
  fs.closeSync(e);
  return { status: r.status, stderr: fs.readFileSync(join(b, 'err.log'), 'utf8'), out };
}

/** The mountinfo line of `dest` in probe's output. */
function mountOf(out: string, dest: string): string | undefined {
  return out.split('\n').find((l) => l.split(' ')[4] === dest);
}

describe.runIf(isRoot && qemu && kernel)(`joey --vm bind mounts (${reason})`, () => {
  it('host directories: rw writes reach the host, ro refuses writes with EROFS', { timeout: T }, () => {
    const rw = hostDir();
    const ro = hostDir();
    fs.writeFileSync(join(ro, 'kept'), 'from the host\n');
    const id = cid('bind');
    const b = bundle(['/bin/probe', 'write', '/data/new', 'from the guest', ';', 'write', '/ro/x', 'no', ';', 'cat', '/ro/kept', ';', 'mountinfo'], (s) => {
      s.mounts!.push(
        { destination: '/data', type: 'bind', source: rw, options: ['rbind', 'nosuid', 'nodev'] },
        { destination: '/ro', type: 'bind', source: ro, options: ['bind', 'ro'] },
      );
    });
    withMountpoints(b, ['data', 'ro'], []);
    const r = vm(['run', '--bundle', b, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('write /data/new ok\n');
    expect(fs.readFileSync(join(rw, 'new'), 'utf8')).toBe('from the guest');
    expect(r.stdout).toContain('write /ro/x error Read-only file system\n');
    expect(fs.existsSync(join(ro, 'x'))).toBe(false);
    expect(r.stdout).toContain('from the host\n');
    // the mount's own options, applied by the init as on the host; 9p underneath
    expect(mountOf(r.stdout, '/data')).toMatch(/ rw,nosuid,nodev[ ,].* - 9p /);
    expect(mountOf(r.stdout, '/ro')).toMatch(/ ro[ ,].* - 9p /);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('host files (/etc/hosts-style) are copies: content visible, siblings not shared, rw writes stay in the copy', { timeout: T }, () => {
    const etc = hostDir();
    fs.writeFileSync(join(etc, 'hosts'), '127.0.0.1 localhost\n10.1.2.3 db\n', { mode: 0o644 });
    fs.writeFileSync(join(etc, 'termination-log'), '');
    fs.writeFileSync(join(etc, 'secret'), 'sibling\n');
    const id = cid('bind');
    const b = bundle(['/bin/probe', 'cat', '/etc/hosts', ';', 'stat', '/etc/hosts', ';', 'write', '/etc/hosts', 'x', ';', 'write', '/dev/termination-log', 'bye', ';', 'cat', '/dev/termination-log', ';', 'stat', '/etc/null', ';', 'mountinfo'], (s) => {
      s.mounts!.push(
        // under /dev: the guest's own /dev/null, never shared (as Kata's system mounts)
        { destination: '/etc/null', type: 'bind', source: '/dev/null', options: ['bind'] },
        { destination: '/etc/hosts', type: 'bind', source: join(etc, 'hosts'), options: ['rbind', 'ro'] },
        { destination: '/dev/termination-log', type: 'bind', source: join(etc, 'termination-log'), options: ['rbind', 'rw'] },
      );
    });
    withMountpoints(b, [], ['etc/hosts', 'etc/null']);
    const r = vm(['run', '--bundle', b, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('127.0.0.1 localhost\n10.1.2.3 db\n');
    expect(r.stdout).toMatch(/^stat \/etc\/hosts file 0644 /m);
    expect(r.stdout).toMatch(/stat \/etc\/null char 0666 1:3 /); // after `bye`, which has no newline
    expect(r.stdout).toContain('write /etc/hosts error Read-only file system\n');
    // the container sees its write; the host's file is untouched (docs/config-vm.md)
    expect(r.stdout).toContain('write /dev/termination-log ok\nbye');
    expect(fs.readFileSync(join(etc, 'termination-log'), 'utf8')).toBe('');
    expect(fs.readFileSync(join(etc, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n10.1.2.3 db\n');
    // each file is bound from its copy, never from the host directory holding it
    const hosts = mountOf(r.stdout, '/etc/hosts');
    expect(hosts).toMatch(/ - 9p /);
    expect(hosts?.split(' ')[3]).toMatch(/^\/\d+$/);
    expect(r.stdout).not.toContain('sibling');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a missing source, or too many, fails in one line naming the mount and leaves no QEMU and no state', { timeout: T }, () => {
    const missing = join(hostDir(), 'gone');
    const b = bundle(['/bin/probe', 'exit', '0'], (s) => {
      s.mounts!.push({ destination: '/mnt', type: 'bind', source: missing, options: ['rbind'] });
    });
    for (const verb of ['run', 'create']) {
      const id = cid('bind');
      const r = verb === 'run' ? vm(['run', '--bundle', b, id]) : detached(b, ['create', '--bundle', b, id]);
      expect(r.status, verb).not.toBe(0);
      expect(r.stderr.trim().split('\n'), verb).toHaveLength(1);
      expect(r.stderr, verb).toMatch(new RegExp(`^joey: mounts\\[\\d+\\]\\.source: \`${missing}\` does not exist`));
      expect(leftovers(root, id), verb).toEqual([]);
    }
    // a socket, fifo or device outside /dev cannot be shared
    const fifo = join(hostDir(), 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const fb = bundle(['/bin/probe', 'exit', '0'], (s) => {
      s.mounts!.push({ destination: '/mnt', type: 'bind', source: fifo, options: ['bind'] });
    });
    const fid = cid('bind');
    const f = vm(['run', '--bundle', fb, fid]);
    expect(f.status).not.toBe(0);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
    expect(f.stderr).toMatch(/^joey: mounts\[\d+\]\.source: `[^`]+\/fifo` is not a file or a directory; --vm shares only files and directories/);
    expect(leftovers(root, fid)).toEqual([]);
    const dirs = Array.from({ length: 7 }, () => hostDir());
    const many = bundle(['/bin/probe', 'exit', '0'], (s) => {
      dirs.forEach((d, k) => s.mounts!.push({ destination: `/m${k}`, type: 'bind', source: d, options: ['rbind'] }));
    });
    // microvm's 8 virtio-mmio slots: serial, rootfs and 6 shares; the 7th directory is one too many
    const seventh = (JSON.parse(fs.readFileSync(join(many, 'config.json'), 'utf8')) as { mounts: { destination: string }[] }).mounts.findIndex((m) => m.destination === '/m6');
    const id = cid('bind');
    const r = vm(['run', '--bundle', many, id]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^joey: mounts\\[${seventh}\\]: too many bind sources for --vm`));
    expect(leftovers(root, id)).toEqual([]);
  });

  it('create shares the sources (ro on the host side), delete removes <state>/binds and QEMU', { timeout: T }, () => {
    const ro = hostDir();
    const rw = hostDir();
    const file = join(hostDir(), 'resolv.conf');
    fs.writeFileSync(file, 'nameserver 10.0.0.1\n');
    const id = cid('bind');
    const b = bundle(['/bin/probe', 'wait-signal'], (s) => {
      s.mounts!.push(
        { destination: '/ro', type: 'bind', source: ro, options: ['rbind', 'ro'] },
        // the same directory twice, once rw: one share, writable
        { destination: '/rw', type: 'bind', source: rw, options: ['rbind', 'ro'] },
        { destination: '/rw2', type: 'bind', source: rw, options: ['rbind'] },
        { destination: '/etc/resolv.conf', type: 'bind', source: file, options: ['rbind', 'ro'] },
      );
    });
    withMountpoints(b, ['ro', 'rw', 'rw2'], ['etc/resolv.conf']);
    const c = detached(b, ['create', '--bundle', b, id]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const dir = join(root, id);
    const pid = (JSON.parse(fs.readFileSync(join(dir, 'state.json'), 'utf8')) as { pid: number }).pid;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const fsdevs = argv.filter((a) => a.startsWith('local,id=bind'));
    expect(fsdevs).toEqual([
      `local,id=bind0,path=${fs.realpathSync(ro)},security_model=none,readonly=on`,
      `local,id=bind1,path=${fs.realpathSync(rw)},security_model=none`,
      `local,id=bind2,path=${join(dir, 'binds')},security_model=none,readonly=on`,
    ]);
    expect(fs.readdirSync(join(dir, 'binds'))).toHaveLength(1);
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(fs.existsSync(join(dir, 'binds'))).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
    expect(fs.existsSync(`/proc/${pid}`) && !/^State:\s*[ZX]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))).toBe(false);
  });
});
