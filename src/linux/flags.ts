/**
 * Kernel flag tables: names ⇄ values, used by the plan compiler, the encoder
 * and `joey plan` (which prints flags by name, like runc's stringifyMountFlags).
 * Kernel: mount(2), clone(2), capabilities(7), getrlimit(2), signal(7)
 */

export const CLONE = {
  CLONE_NEWTIME: 0x00000080,
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
} as const;

/** runtime-spec namespace type → clone flag and /proc/<pid>/ns entry. */
export const NAMESPACES: Record<string, { flag: number; proc: string }> = {
  pid: { flag: CLONE.CLONE_NEWPID, proc: 'pid' },
  network: { flag: CLONE.CLONE_NEWNET, proc: 'net' },
  mount: { flag: CLONE.CLONE_NEWNS, proc: 'mnt' },
  ipc: { flag: CLONE.CLONE_NEWIPC, proc: 'ipc' },
  uts: { flag: CLONE.CLONE_NEWUTS, proc: 'uts' },
  user: { flag: CLONE.CLONE_NEWUSER, proc: 'user' },
  cgroup: { flag: CLONE.CLONE_NEWCGROUP, proc: 'cgroup' },
  time: { flag: CLONE.CLONE_NEWTIME, proc: 'time' },
};

export const MS = {
  MS_RDONLY: 0x1,
  MS_NOSUID: 0x2,
  MS_NODEV: 0x4,
  MS_NOEXEC: 0x8,
  MS_SYNCHRONOUS: 0x10,
  MS_REMOUNT: 0x20,
  MS_MANDLOCK: 0x40,
  MS_DIRSYNC: 0x80,
  MS_NOSYMFOLLOW: 0x100,
  MS_NOATIME: 0x400,
  MS_NODIRATIME: 0x800,
  MS_BIND: 0x1000,
  MS_MOVE: 0x2000,
  MS_REC: 0x4000,
  MS_SILENT: 0x8000,
  MS_UNBINDABLE: 0x20000,
  MS_PRIVATE: 0x40000,
  MS_SLAVE: 0x80000,
  MS_SHARED: 0x100000,
  MS_RELATIME: 0x200000,
  MS_STRICTATIME: 0x1000000,
  MS_LAZYTIME: 0x2000000,
} as const;

/** mount_setattr(2) attributes, for the recursive `r*` options. */
export const MOUNT_ATTR = {
  MOUNT_ATTR_RDONLY: 0x1,
  MOUNT_ATTR_NOSUID: 0x2,
  MOUNT_ATTR_NODEV: 0x4,
  MOUNT_ATTR_NOEXEC: 0x8,
  MOUNT_ATTR_NOATIME: 0x10,
  MOUNT_ATTR_STRICTATIME: 0x20,
  MOUNT_ATTR_NODIRATIME: 0x80,
  MOUNT_ATTR_NOSYMFOLLOW: 0x200000,
} as const;

/**
 * mount options from config.md#mounts (the fstab(5)-style list runc accepts).
 * `clear: true` options turn a flag off (e.g. `rw`, `suid`).
 */
export const MOUNT_OPTIONS: Record<string, { flag: number; clear?: boolean }> = {
  async: { flag: MS.MS_SYNCHRONOUS, clear: true },
  atime: { flag: MS.MS_NOATIME, clear: true },
  bind: { flag: MS.MS_BIND },
  defaults: { flag: 0 },
  dev: { flag: MS.MS_NODEV, clear: true },
  diratime: { flag: MS.MS_NODIRATIME, clear: true },
  dirsync: { flag: MS.MS_DIRSYNC },
  exec: { flag: MS.MS_NOEXEC, clear: true },
  iversion: { flag: 0x800000 },
  lazytime: { flag: MS.MS_LAZYTIME },
  loud: { flag: MS.MS_SILENT, clear: true },
  mand: { flag: MS.MS_MANDLOCK },
  noatime: { flag: MS.MS_NOATIME },
  nodev: { flag: MS.MS_NODEV },
  nodiratime: { flag: MS.MS_NODIRATIME },
  noexec: { flag: MS.MS_NOEXEC },
  noiversion: { flag: 0x800000, clear: true },
  nolazytime: { flag: MS.MS_LAZYTIME, clear: true },
  nomand: { flag: MS.MS_MANDLOCK, clear: true },
  norelatime: { flag: MS.MS_RELATIME, clear: true },
  nostrictatime: { flag: MS.MS_STRICTATIME, clear: true },
  nosuid: { flag: MS.MS_NOSUID },
  nosymfollow: { flag: MS.MS_NOSYMFOLLOW },
  rbind: { flag: MS.MS_BIND | MS.MS_REC },
  relatime: { flag: MS.MS_RELATIME },
  remount: { flag: MS.MS_REMOUNT },
  ro: { flag: MS.MS_RDONLY },
  rw: { flag: MS.MS_RDONLY, clear: true },
  silent: { flag: MS.MS_SILENT },
  strictatime: { flag: MS.MS_STRICTATIME },
  suid: { flag: MS.MS_NOSUID, clear: true },
  sync: { flag: MS.MS_SYNCHRONOUS },
  symfollow: { flag: MS.MS_NOSYMFOLLOW, clear: true },
};

/** Propagation options; applied with a separate mount(2) after the mount itself. */
export const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.MS_PRIVATE,
  rprivate: MS.MS_PRIVATE | MS.MS_REC,
  shared: MS.MS_SHARED,
  rshared: MS.MS_SHARED | MS.MS_REC,
  slave: MS.MS_SLAVE,
  rslave: MS.MS_SLAVE | MS.MS_REC,
  unbindable: MS.MS_UNBINDABLE,
  runbindable: MS.MS_UNBINDABLE | MS.MS_REC,
};

/** Recursive (mount_setattr) options: rro, rrw, rnosuid, … (runc 1.1+). */
export const RECURSIVE_OPTIONS: Record<string, { attr: number; clear?: boolean }> = {
  rro: { attr: MOUNT_ATTR.MOUNT_ATTR_RDONLY },
  rrw: { attr: MOUNT_ATTR.MOUNT_ATTR_RDONLY, clear: true },
  rnosuid: { attr: MOUNT_ATTR.MOUNT_ATTR_NOSUID },
  rsuid: { attr: MOUNT_ATTR.MOUNT_ATTR_NOSUID, clear: true },
  rnodev: { attr: MOUNT_ATTR.MOUNT_ATTR_NODEV },
  rdev: { attr: MOUNT_ATTR.MOUNT_ATTR_NODEV, clear: true },
  rnoexec: { attr: MOUNT_ATTR.MOUNT_ATTR_NOEXEC },
  rexec: { attr: MOUNT_ATTR.MOUNT_ATTR_NOEXEC, clear: true },
  rnoatime: { attr: MOUNT_ATTR.MOUNT_ATTR_NOATIME },
  rnodiratime: { attr: MOUNT_ATTR.MOUNT_ATTR_NODIRATIME },
  rstrictatime: { attr: MOUNT_ATTR.MOUNT_ATTR_STRICTATIME },
  rnosymfollow: { attr: MOUNT_ATTR.MOUNT_ATTR_NOSYMFOLLOW },
  rsymfollow: { attr: MOUNT_ATTR.MOUNT_ATTR_NOSYMFOLLOW, clear: true },
};

/** capabilities(7), by number. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const CAP_LAST = CAPABILITIES.length - 1;

/** A list of capability names → a 64-bit mask (unknown names are a spec error, checked earlier). */
export function capMask(names: readonly string[] | undefined): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask;
}

export function capNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** getrlimit(2) resources, by number. */
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

// signal names live in signals.ts, so `kill` loads them without this file's tables
export { SIGNALS, parseSignal } from './signals.js';

/** Render a bitmask by name: `MS_BIND|MS_REC`. */
export function flagNames(value: number | bigint, table: Record<string, number>): string {
  let rest = BigInt(value);
  const parts: string[] = [];
  for (const [name, bit] of Object.entries(table)) {
    const b = BigInt(bit);
    if (b !== 0n && (rest & b) === b) {
      parts.push(name);
      rest &= ~b;
    }
  }
  if (rest !== 0n) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join('|') : '0';
}
