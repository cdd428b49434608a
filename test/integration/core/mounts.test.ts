/**
 * Mounts (config.md#mounts), root.readonly, masked and readonly paths
 * (config-linux.md#masked-paths, #readonly-paths), devices
 * (config-linux.md#devices, #default-devices) and /dev symlinks
 * (runtime-linux.md#dev-symbolic-links), as the container sees them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { isRoot, lines, stateRoot } from '../helpers.js';
import { cleanup, createSleeper, mountAt, parseMountinfo, runProbe, tmpDir, type ProbeRun } from './common.js';

describe.runIf(isRoot)('mounts, paths and devices', () => {
  const root = stateRoot('core-mounts');
  const hostDir = tmpDir('joey-core-bind-');
  fs.writeFileSync(join(hostDir, 'hello.txt'), 'from the host\n');
  let r: ProbeRun;

  beforeAll(() => {
    r = runProbe(
      root,
      [
        'probe', 'mountinfo',
        ';', 'cat', '/data/hello.txt',
        ';', 'write', '/data/new.txt', 'x',
        ';', 'write', '/scratch/f', 'x',
        ';', 'stat', '/scratch',
        ';', 'write', '/rootfile', 'x',
        ';', 'cat', '/proc/keys', ';', 'stat', '/proc/keys', ';', 'cat', '/proc/timer_list',
        ';', 'ls', '/sys/firmware',
        ';', 'write', '/sys/firmware/x', 'x',
        ';', 'write', '/proc/sys/kernel/hostname', 'evil',
        ';', 'write', '/proc/irq/default_smp_affinity', '1',
        ';', 'stat', '/dev/null', ';', 'stat', '/dev/zero', ';', 'stat', '/dev/full', ';', 'stat', '/dev/random',
        ';', 'stat', '/dev/urandom', ';', 'stat', '/dev/tty',
        ';', 'stat', '/dev/mydev', ';', 'stat', '/dev/myblk',
        ';', 'write', '/dev/null', 'x',
        ';', 'stat', '/dev/fd', ';', 'stat', '/dev/stdin', ';', 'stat', '/dev/stdout', ';', 'stat', '/dev/stderr', ';', 'stat', '/dev/ptmx',
        ';', 'ls', '/dev/fd/',
        ';', 'stat', '/dev/pts/ptmx',
      ],
      (s) => {
        s.root!.readonly = true;
        s.mounts!.push(
          { destination: '/data', type: 'bind', source: hostDir, options: ['rbind', 'ro', 'nosuid'] },
          { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nodev', 'noexec', 'size=1m', 'mode=750'] },
        );
        s.linux!.devices = [
          { path: '/dev/mydev', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 1000, gid: 1001 },
          { path: '/dev/myblk', type: 'b', major: 7, minor: 250, fileMode: 0o600, uid: 0, gid: 6 },
        ];
      },
    );
  });
  afterAll(() => fs.rmSync(hostDir, { recursive: true, force: true }));

  it('runs and leaves nothing', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.leftovers).toEqual([]);
  });

  it('mounts /proc, /dev (tmpfs nosuid), /sys read-only with the configured flags', () => {
    const m = parseMountinfo(r.stdout);
    expect(mountAt(m, '/proc')?.fstype).toBe('proc');
    const dev = mountAt(m, '/dev')!;
    expect(dev.fstype).toBe('tmpfs');
    expect(dev.options).toContain('nosuid');
    expect(dev.superOptions).toContain('mode=755');
    const sys = mountAt(m, '/sys')!;
    expect(sys.fstype).toBe('sysfs');
    expect(sys.options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(mountAt(m, '/dev/pts')?.fstype).toBe('devpts');
    expect(mountAt(m, '/dev/shm')?.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(mountAt(m, '/dev/mqueue')?.fstype).toBe('mqueue');
    expect(mountAt(m, '/sys/fs/cgroup')?.options).toContain('ro');
  });

  it('a read-only bind mount is read-only and shows the host file', () => {
    const m = mountAt(parseMountinfo(r.stdout), '/data')!;
    expect(m.options).toEqual(expect.arrayContaining(['ro', 'nosuid']));
    expect(r.stdout).toContain('from the host\n');
    expect(r.stdout).toContain('write /data/new.txt error Read-only file system');
    expect(fs.existsSync(join(hostDir, 'new.txt'))).toBe(false);
  });

  it('a tmpfs gets its flags and data options', () => {
    const m = mountAt(parseMountinfo(r.stdout), '/scratch')!;
    expect(m.fstype).toBe('tmpfs');
    expect(m.options).toEqual(expect.arrayContaining(['rw', 'nodev', 'noexec']));
    expect(m.superOptions).toEqual(expect.arrayContaining(['size=1024k', 'mode=750']));
    expect(r.stdout).toContain('write /scratch/f ok');
    expect(lines(r.stdout, 'stat')).toContain('/scratch dir 0750 0:0 0:0');
  });

  it('root.readonly: / is mounted ro and writing there fails with EROFS', () => {
    expect(mountAt(parseMountinfo(r.stdout), '/')?.options).toContain('ro');
    expect(r.stdout).toContain('write /rootfile error Read-only file system');
  });

  it('masked paths are empty and unwritable', () => {
    // (this kernel has no /proc/kcore: a masked path that does not exist is skipped)
    // /proc/keys and /proc/timer_list have /dev/null bound over them: reading gives nothing
    expect(r.stdout).not.toMatch(/error \/proc\/(keys|timer_list)/);
    expect(lines(r.stdout, 'stat')).toContain('/proc/keys char 0666 1:3 0:0');
    for (const p of ['/proc/keys', '/proc/timer_list']) expect(mountAt(parseMountinfo(r.stdout), p)).toBeDefined();
    // host keys look like "0a1b2c3d I--Q--- ..." lines; none may show
    expect(r.stdout).not.toMatch(/^[0-9a-f]{8} [IRDQUN-]{7} /m);
    expect(r.stdout).not.toContain('Timer List Version');
    // /sys/firmware is an empty read-only tmpfs
    expect(lines(r.stdout, 'ls')).not.toContain('acpi');
    expect(r.stdout).toMatch(/write \/sys\/firmware\/x error (Read-only file system|Permission denied)/);
    const fw = mountAt(parseMountinfo(r.stdout), '/sys/firmware')!;
    expect(fw.fstype).toBe('tmpfs');
    expect(fw.options).toContain('ro');
  });

  it('readonly paths refuse writes', () => {
    expect(r.stdout).toContain('write /proc/sys/kernel/hostname error Read-only file system');
    expect(r.stdout).toContain('write /proc/irq/default_smp_affinity error Read-only file system');
    expect(mountAt(parseMountinfo(r.stdout), '/proc/sys')?.options).toContain('ro');
  });

  it('default devices are char nodes with mode 0666 owned by root', () => {
    const st = lines(r.stdout, 'stat');
    for (const d of ['/dev/null char 0666 1:3', '/dev/zero char 0666 1:5', '/dev/full char 0666 1:7', '/dev/random char 0666 1:8', '/dev/urandom char 0666 1:9', '/dev/tty char 0666 5:0']) {
      expect(st).toContain(`${d} 0:0`);
    }
    expect(r.stdout).toContain('write /dev/null ok');
  });

  it('linux.devices entries get their type, numbers, mode, uid and gid', () => {
    const st = lines(r.stdout, 'stat');
    expect(st).toContain('/dev/mydev char 0640 1:5 1000:1001');
    expect(st).toContain('/dev/myblk block 0600 7:250 0:6');
  });

  it('/dev/fd, /dev/std{in,out,err} and /dev/ptmx are symlinks that work', () => {
    const st = lines(r.stdout, 'stat');
    for (const p of ['/dev/fd', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/ptmx']) expect(st.find((l) => l.startsWith(`${p} `))).toMatch(/ symlink /);
    // /dev/fd/ resolves to the process's own fd table
    for (const fd of ['0', '1', '2']) expect(lines(r.stdout, 'ls')).toContain(fd);
    expect(st).toContain('/dev/pts/ptmx char 0666 5:2 0:0');
  });

  describe('the symlinks\' targets, read from the host through /proc/<pid>/root', () => {
    let c: { id: string; bundle: string; pid: number };
    beforeAll(() => {
      c = createSleeper(root);
    });
    afterAll(() => cleanup(root, c.id, c.bundle));
    it('point where runtime-linux.md says', () => {
      const dev = `/proc/${c.pid}/root/dev`;
      expect(fs.readlinkSync(`${dev}/fd`)).toBe('/proc/self/fd');
      expect(fs.readlinkSync(`${dev}/stdin`)).toBe('/proc/self/fd/0');
      expect(fs.readlinkSync(`${dev}/stdout`)).toBe('/proc/self/fd/1');
      expect(fs.readlinkSync(`${dev}/stderr`)).toBe('/proc/self/fd/2');
      expect(fs.readlinkSync(`${dev}/ptmx`)).toBe('pts/ptmx');
    });
  });

  it('mount propagation options: a bind with rshared is shared, one with rprivate is not', () => {
    const p = runProbe(root, ['probe', 'mountinfo'], (s) => {
      s.mounts!.push(
        { destination: '/shared', type: 'bind', source: hostDir, options: ['rbind', 'rshared'] },
        { destination: '/private', type: 'bind', source: hostDir, options: ['rbind', 'rprivate'] },
        { destination: '/slave', type: 'bind', source: hostDir, options: ['rbind', 'rslave'] },
      );
    });
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    const m = parseMountinfo(p.stdout);
    expect(mountAt(m, '/shared')!.optional.some((o) => o.startsWith('shared:'))).toBe(true);
    expect(mountAt(m, '/private')!.optional).toEqual([]);
    expect(mountAt(m, '/slave')!.optional.some((o) => o.startsWith('shared:'))).toBe(false);
    // nothing the container mounts may propagate to the host: / is not shared with it
    expect(mountAt(m, '/')!.optional.some((o) => o.startsWith('shared:'))).toBe(false);
  });
});
