import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeLayout, detectLayout, parseMountinfo, parseProcCgroup } from '../../../src/cgroups/layout.js';

// A pure cgroup v2 host (Fedora/Debian 12 with systemd).
const PURE_V2 = `22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
31 24 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw
`;

// This machine's hybrid layout (captured): separate cpu and cpuacct mounts, cgroup2 at unified.
const THIS_HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

// Legacy v1 (CentOS 7 style): co-mounted cpu,cpuacct and net_cls,net_prio, no cgroup2.
const LEGACY_V1 = `25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuacct,cpu
30 25 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,net_prio,net_cls
31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,hugetlb
33 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpuset
`;

describe('parseMountinfo', () => {
  it('pure v2', () => {
    expect(parseMountinfo(PURE_V2)).toEqual({ mode: 'v2', v2Root: '/sys/fs/cgroup', v1: {} });
  });
  it('this hybrid host (captured sample)', () => {
    const l = parseMountinfo(THIS_HYBRID);
    expect(l.mode).toBe('hybrid');
    expect(l.v2Root).toBe('/sys/fs/cgroup/unified');
    expect(l.v1).toEqual({
      cpu: '/sys/fs/cgroup/cpu',
      cpuacct: '/sys/fs/cgroup/cpuacct',
      cpuset: '/sys/fs/cgroup/cpuset',
      memory: '/sys/fs/cgroup/memory',
      devices: '/sys/fs/cgroup/devices',
      freezer: '/sys/fs/cgroup/freezer',
      blkio: '/sys/fs/cgroup/blkio',
      pids: '/sys/fs/cgroup/pids',
      'name=systemd': '/sys/fs/cgroup/systemd',
    });
  });
  it('legacy v1 with co-mounted controllers and option noise', () => {
    const l = parseMountinfo(LEGACY_V1);
    expect(l.mode).toBe('v1');
    expect(l.v2Root).toBeNull();
    expect(l.v1.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.net_cls).toBe('/sys/fs/cgroup/net_cls,net_prio');
    expect(l.v1['name=systemd']).toBe('/sys/fs/cgroup/systemd');
    expect(Object.keys(l.v1)).not.toContain('xattr');
    expect(Object.keys(l.v1).some((k) => k.startsWith('release_agent'))).toBe(false);
  });
  it('unescapes octal in mount points', () => {
    const l = parseMountinfo('40 30 0:37 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n');
    expect(l.v2Root).toBe('/mnt/my cg');
  });
  it('reads the real /proc/self/mountinfo of this host as hybrid', () => {
    const l = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    expect(l.mode).toBe('hybrid');
    expect(l.v2Root).toBe('/sys/fs/cgroup/unified');
    expect(l.v1.memory).toBe('/sys/fs/cgroup/memory');
  });
});

describe('detectLayout', () => {
  it('asks the reader for cgroup.controllers of the v2 root', () => {
    const seen: string[] = [];
    const l = detectLayout((root) => (seen.push(root), 'hugetlb\n'), THIS_HYBRID);
    expect(seen).toEqual(['/sys/fs/cgroup/unified']);
    expect(l.v2Controllers).toEqual(['hugetlb']);
    expect(describeLayout(l)).toBe('hybrid: v1 blkio, cpu, cpuacct, cpuset, devices, freezer, memory, pids; v2 hugetlb');
  });
  it('does not read controllers without cgroup2', () => {
    const l = detectLayout(() => {
      throw new Error('must not be called');
    }, LEGACY_V1);
    expect(l.v2Controllers).toEqual([]);
  });
});

describe('parseProcCgroup', () => {
  it('splits v1 and v2 lines', () => {
    const p = parseProcCgroup('9:name=systemd:/\n4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/user.slice\n');
    expect(p.v1).toEqual({ 'name=systemd': '/', memory: '/a/b', cpu: '/c', cpuacct: '/c' });
    expect(p.v2).toBe('/user.slice');
  });
});
