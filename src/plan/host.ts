/**
 * What the plan compiler needs to know about the host, passed in so that
 * compile() stays pure (the caller gathers it; tests make it up).
 */
export interface CgroupLayoutInfo {
  mode: 'v2' | 'hybrid' | 'v1';
  /** v1 hierarchy directory under /sys/fs/cgroup → its mount data (`memory`, `cpu,cpuacct`, `name=systemd`) */
  v1Hierarchies: Record<string, string>;
  /** where cgroup2 is mounted: /sys/fs/cgroup (v2) or /sys/fs/cgroup/unified (hybrid), or null */
  v2Root: string | null;
}

export interface HostInfo {
  cgroup: CgroupLayoutInfo;
  /** the container's cgroup directories on the host, by hierarchy dir ('' for v2, 'unified' for hybrid) */
  cgroupPaths: Record<string, string>;
  /** what a bind-mount source is, to create a file or directory mountpoint */
  sourceKind(path: string): 'file' | 'dir' | 'missing' | 'other';
  /** LSMs the host has enabled (`apparmor`, `selinux`) */
  lsms: string[];
}

/** A made-up host for tests and for `joey plan` without root. */
export function fakeHost(over: Partial<HostInfo> = {}): HostInfo {
  return {
    cgroup: { mode: 'v2', v1Hierarchies: {}, v2Root: '/sys/fs/cgroup' },
    cgroupPaths: {},
    sourceKind: () => 'dir',
    lsms: [],
    ...over,
  };
}
