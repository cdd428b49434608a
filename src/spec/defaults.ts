/**
 * The `joey spec` template — what `runc spec` writes (runc
 * libcontainer/specconv/example.go Example and ToRootless), as runtime-spec
 * config.md / config-linux.md values.
 * Security: CVE-2022-29162 (no inheritable capabilities in the template);
 * the default seccomp profile (runc spec writes none; Docker always adds one)
 *
 * Plain data, no zod: `joey spec` prints this without loading the validator.
 */

import { DEFAULT_SPEC_VERSION } from './names.js';
import type { Capability, LinuxNamespace, LinuxSeccomp, Mount, Spec } from './types.js';
import { defaultSeccompProfile } from '../linux/seccomp-default.js';

export interface DefaultSpecOptions {
  /** like `runc spec --rootless`: user namespace, no network namespace, no cgroup limits */
  rootless?: boolean;
  /** process.args; default ["sh"] */
  args?: string[];
  /** process.terminal; default true */
  terminal?: boolean;
  /** host uid mapped to root in a rootless spec; default: the effective uid */
  uid?: number;
  /** host gid mapped to root in a rootless spec; default: the effective gid */
  gid?: number;
}

const DEFAULT_CAPS: Capability[] = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** config-linux.md#masked-paths: procfs/sysfs files that leak host details or poke the kernel. */
const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];

/** config-linux.md#readonly-paths */
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** config-linux.md#default-filesystems plus /dev, /dev/mqueue and a read-only cgroupfs. */
function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
}

/** The config.json `joey spec` writes; validates with validateSpec. */
export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const spec: Spec = {
    ociVersion: DEFAULT_SPEC_VERSION,
    process: {
      terminal: opts.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: opts.args ?? ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        // SECURITY(CVE-2022-29162): no `inheritable` set. A non-empty inheritable
        // set lets a binary with file capabilities gain them at execve, so an
        // unprivileged user in the container could escalate; runc 1.1.2 stopped
        // writing it and so does joey. (No ambient set either: it needs inheritable.)
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'joey',
    mounts: defaultMounts(),
    linux: {
      resources: {
        // deny every device; the default devices (config-linux.md#default-devices)
        // are allowed by the runtime on top of this
        devices: [{ allow: false, access: 'rwm' }],
      },
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
      ],
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      // config-linux.md#seccomp: a Docker-like allowlist (src/linux/seccomp-default.ts);
      // the same for rootless, where it also keeps namespace creation away from the process.
      seccomp: defaultSeccompProfile() as LinuxSeccomp,
    },
  };
  return opts.rootless ? toRootless(spec, opts) : spec;
}

/**
 * runc ToRootless: what an unprivileged user can actually set up.
 * - a user namespace mapping only the caller to root (an unprivileged
 *   writer of uid_map may map exactly its own effective id, user_namespaces(7))
 * - no network namespace: without privilege there is nothing to connect it to
 * - sysfs cannot be mounted without owning the network namespace, so /sys is a
 *   read-only recursive bind of the host's
 * - no cgroup mount (the /sys rbind already carries /sys/fs/cgroup, read-only)
 *   and no cgroup limits (the caller usually cannot write the cgroup tree)
 * - no uid=/gid= mount options: gid 5 (tty) is not mapped
 */
function toRootless(spec: Spec, opts: DefaultSpecOptions): Spec {
  const uid = opts.uid ?? process.geteuid?.() ?? 0;
  const gid = opts.gid ?? process.getegid?.() ?? 0;
  const linux = spec.linux ?? {};

  const namespaces: LinuxNamespace[] = (linux.namespaces ?? []).filter(
    (ns) => ns.type !== 'network' && ns.type !== 'user',
  );
  namespaces.push({ type: 'user' });

  const mounts: Mount[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.destination === '/sys/fs/cgroup') continue;
    if (m.destination === '/sys') {
      mounts.push({
        destination: '/sys',
        type: 'none',
        source: '/sys',
        options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
      });
      continue;
    }
    const options = m.options?.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid='));
    mounts.push(options === undefined ? { ...m } : { ...m, options });
  }

  const { resources: _dropped, ...rest } = linux;
  return {
    ...spec,
    mounts,
    linux: {
      ...rest,
      namespaces,
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    },
  };
}
