/**
 * Rules between fields — config.md "Valid values", config-linux.md; runc
 * libcontainer/configs/validate/validator.go, youki validate_spec.
 *
 * The second layer of validation, after the shape (types.ts via zod in
 * validate.ts, or shape.ts on the fast path): a list of small named checks,
 * each throwing the first SpecError `<json path>: <what> (<spec section>)`,
 * then the normalisation of the parsed spec.
 * No zod here (only `import type`): `joey create`/`run` run these without
 * loading it (docs performance.md §13 item 2).
 * Pure: no file system access, so the same on every host and in unit tests.
 */

import { posix } from 'node:path';
import { SpecError } from '../errors.js';
import {
  DEVICE_CGROUP_TYPES,
  HOOK_NAMES,
  SECCOMP_ERRNO_ACTIONS,
  SECCOMP_MAX_ARG_INDEX,
  SUPPORTED_SPEC_MAJOR,
  SUPPORTED_SPEC_MINOR_MAX,
  TIME_OFFSET_CLOCKS,
} from './names.js';
import { formatJsonPath, specSectionFor, type PathSegment } from './sections.js';
import type { IdMapping, NamespaceType, Spec } from './types.js';

// ---------------------------------------------------------------------------
// the checks

type Check = (spec: Spec) => void;

/** Throw a SpecError at `path`; the section comes from sections.ts. */
function fail(path: readonly PathSegment[], message: string, code?: string): never {
  throw new SpecError(formatJsonPath(path), message, specSectionFor(path), code);
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** A namespace that is not the runtime's own (new or joined by path). */
function hasNamespace(spec: Spec, type: NamespaceType): boolean {
  return (spec.linux?.namespaces ?? []).some((ns) => ns.type === type);
}

function namespacePath(spec: Spec, type: NamespaceType): string | undefined {
  return (spec.linux?.namespaces ?? []).find((ns) => ns.type === type)?.path || undefined;
}

// SemVer 2.0.0 (semver.org), scanned by hand rather than with its regular
// expression: compiling that expression was ~0.2 ms of every create and run,
// once per process (test/unit/spec/validate.test.ts checks the two agree).
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** [0-9A-Za-z-] */
const isIdentChar = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d;

/** [major, minor, patch] of a SemVer string, or undefined. */
export function parseSpecVersion(version: string): [number, number, number] | undefined {
  const n: number[] = [];
  let i = 0;
  // MAJOR.MINOR.PATCH: 0 or digits without a leading zero
  for (let k = 0; k < 3; k++) {
    const start = i;
    while (isDigit(version.charCodeAt(i))) i++;
    if (i === start || (version.charCodeAt(start) === 0x30 && i - start > 1)) return undefined;
    n.push(Number(version.slice(start, i)));
    if (k < 2 && version.charCodeAt(i++) !== 0x2e) return undefined;
  }
  // then -PRERELEASE and +BUILD, in that order, each dot-separated non-empty identifiers
  for (const sep of [0x2d, 0x2b]) {
    if (version.charCodeAt(i) !== sep) continue;
    do {
      const start = ++i;
      while (isIdentChar(version.charCodeAt(i))) i++;
      if (i === start) return undefined;
    } while (version.charCodeAt(i) === 0x2e);
  }
  return i === version.length ? [n[0]!, n[1]!, n[2]!] : undefined;
}

/** config.md#specification-version: SemVer, and a version this runtime implements. */
export function ociVersionSupported(spec: Spec): void {
  const v = parseSpecVersion(spec.ociVersion);
  if (!v) fail(['ociVersion'], `${JSON.stringify(spec.ociVersion)} is not a SemVer 2.0.0 version`);
  // Compatible within a major version; a newer minor may carry MUSTs we do not know.
  if (v[0] !== SUPPORTED_SPEC_MAJOR || v[1] > SUPPORTED_SPEC_MINOR_MAX) {
    fail(
      ['ociVersion'],
      `unsupported version ${JSON.stringify(spec.ociVersion)}, joey implements ${SUPPORTED_SPEC_MAJOR}.0.0 to ${SUPPORTED_SPEC_MAJOR}.${SUPPORTED_SPEC_MINOR_MAX}.x`,
      'ESPEC_VERSION',
    );
  }
}

/** config.md#root: REQUIRED on every platform but Windows. */
function rootPathPresent(spec: Spec): void {
  if (!spec.root) fail(['root'], 'missing required property');
  if (spec.root.path === '') fail(['root', 'path'], 'must not be empty');
}

/** config.md#process: cwd MUST be absolute; args needs at least one entry (schema). */
function processCwdAbsolute(spec: Spec): void {
  const cwd = spec.process?.cwd;
  if (cwd !== undefined && !isAbsolute(cwd)) fail(['process', 'cwd'], `\`${cwd}\` is not an absolute path`);
}

/** config.md#posix-process: duplicated types MUST be an error; setrlimit(2) needs soft ≤ hard. */
function rlimitsConsistent(spec: Spec): void {
  const seen = new Set<string>();
  (spec.process?.rlimits ?? []).forEach((rl, i) => {
    if (seen.has(rl.type)) fail(['process', 'rlimits', i, 'type'], `duplicate rlimit ${JSON.stringify(rl.type)}`);
    seen.add(rl.type);
    if (rl.soft > rl.hard) fail(['process', 'rlimits', i], `soft limit ${rl.soft} is above hard limit ${rl.hard}`);
  });
}

/** config.md#posix-platform-hooks: `path` MUST be absolute; `timeout` MUST be greater than zero. */
function hookTimeoutsAndPaths(spec: Spec): void {
  for (const name of HOOK_NAMES) {
    (spec.hooks?.[name] ?? []).forEach((hook, i) => {
      if (!isAbsolute(hook.path)) fail(['hooks', name, i, 'path'], `\`${hook.path}\` is not an absolute path`);
      const t = hook.timeout;
      if (t !== undefined && (!Number.isInteger(t) || t <= 0)) {
        fail(['hooks', name, i, 'timeout'], `must be an integer greater than zero, got ${t}`);
      }
    });
  }
}

/** config.md#mounts: absolute destinations; 1.0.x allowed relative ones (relative to "/"). */
function mountDestinations(spec: Spec): void {
  const v = parseSpecVersion(spec.ociVersion);
  const relativeAllowed = v !== undefined && v[0] === 1 && v[1] === 0;
  (spec.mounts ?? []).forEach((m, i) => {
    if (m.destination === '') fail(['mounts', i, 'destination'], 'must not be empty');
    if (!isAbsolute(m.destination) && !relativeAllowed) {
      fail(
        ['mounts', i, 'destination'],
        `\`${m.destination}\` is not an absolute path (relative destinations were deprecated after 1.0)`,
      );
    }
  });
}

/**
 * config.md#posix-platform-mounts: uidMappings and gidMappings come together;
 * config.md#linux-mount-options: `idmap`/`ridmap` without mappings needs a
 * user namespace to take the mapping from.
 */
function mountIdMappings(spec: Spec): void {
  (spec.mounts ?? []).forEach((m, i) => {
    const hasUid = m.uidMappings !== undefined;
    const hasGid = m.gidMappings !== undefined;
    if (hasUid !== hasGid) {
      fail(['mounts', i, hasUid ? 'gidMappings' : 'uidMappings'], 'uidMappings and gidMappings must be given together');
    }
    const idmapped = (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap');
    if (idmapped && !hasUid && !hasNamespace(spec, 'user')) {
      fail(['mounts', i, 'options'], 'an idmap mount needs uidMappings/gidMappings or a user namespace');
    }
  });
}

/** config-linux.md#namespaces: no duplicates; `path` MUST be absolute. */
function namespacesUnique(spec: Spec): void {
  const seen = new Set<string>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    if (seen.has(ns.type)) fail(['linux', 'namespaces', i, 'type'], `duplicate namespace ${JSON.stringify(ns.type)}`);
    seen.add(ns.type);
    if (ns.path !== undefined && ns.path !== '' && !isAbsolute(ns.path)) {
      fail(['linux', 'namespaces', i, 'path'], `\`${ns.path}\` is not an absolute path`);
    }
  });
}

/** runc uts(): sethostname(2) in the runtime's UTS namespace would rename the host. */
function utsNamespaceForHostname(spec: Spec): void {
  if (spec.hostname && !hasNamespace(spec, 'uts')) {
    fail(['hostname'], 'unable to set hostname without a private UTS namespace', 'ESPEC_HOSTNAME_WITHOUT_UTS');
  }
  if (spec.domainname && !hasNamespace(spec, 'uts')) {
    fail(['domainname'], 'unable to set domainname without a private UTS namespace', 'ESPEC_HOSTNAME_WITHOUT_UTS');
  }
}

/** runc security(): masking /proc entries needs our own mount table. */
function pathsNeedMountNamespace(spec: Spec): void {
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    const list = spec.linux?.[key] ?? [];
    list.forEach((p, i) => {
      // config-linux.md#masked-paths / #readonly-paths: "MUST be absolute paths"
      if (!isAbsolute(p)) fail(['linux', key, i], `\`${p}\` is not an absolute path`);
    });
    if (list.length > 0 && !hasNamespace(spec, 'mount')) {
      fail(['linux', key], 'unable to restrict paths without a private mount namespace');
    }
  }
}

/**
 * config-linux.md#user-namespace-mappings; runc namespaces(): mappings need a
 * user namespace, and a new user namespace needs mappings (one joined by
 * path already has its own).
 */
function userNamespaceMappings(spec: Spec): void {
  const uid = spec.linux?.uidMappings;
  const gid = spec.linux?.gidMappings;
  if (hasNamespace(spec, 'user')) {
    if (!namespacePath(spec, 'user') && uid === undefined && gid === undefined) {
      fail(['linux', 'uidMappings'], 'user namespace enabled, but no namespace path to join nor mappings to apply', 'ESPEC_USERNS');
    }
  } else if (uid !== undefined || gid !== undefined) {
    fail(
      ['linux', uid !== undefined ? 'uidMappings' : 'gidMappings'],
      'user namespace mappings specified, but no user namespace in linux.namespaces',
      'ESPEC_USERNS',
    );
  }
  const sizes = (key: 'uidMappings' | 'gidMappings', list: IdMapping[] | undefined) =>
    (list ?? []).forEach((m, i) => {
      // user_namespaces(7): a zero-length range is rejected by the kernel with EINVAL
      if (m.size === 0) fail(['linux', key, i, 'size'], 'must be greater than zero');
    });
  sizes('uidMappings', uid);
  sizes('gidMappings', gid);
}

/** runc namespaces(): offsets are written into a new time namespace only. */
function timeOffsetsNeedTimeNamespace(spec: Spec): void {
  const offsets = spec.linux?.timeOffsets;
  if (offsets === undefined) return;
  if (!hasNamespace(spec, 'time')) {
    fail(['linux', 'timeOffsets'], 'time offsets specified, but no time namespace in linux.namespaces');
  }
  if (namespacePath(spec, 'time')) {
    fail(['linux', 'timeOffsets'], 'time offsets cannot be applied to a time namespace joined by path');
  }
  for (const clock of Object.keys(offsets)) {
    if (!(TIME_OFFSET_CLOCKS as readonly string[]).includes(clock)) {
      fail(['linux', 'timeOffsets', clock], `unknown clock ${JSON.stringify(clock)}, expected boottime or monotonic`);
    }
  }
}

/** IPC sysctls namespaced by the IPC namespace (runc's validSysctlMap). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** sysctl.d(5): `net/ipv4/ip_forward` is the same key as `net.ipv4.ip_forward`. */
function sysctlKey(key: string): string {
  const first = key.search(/[./]/);
  if (first === -1 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * config-linux.md#sysctl, as runc's sysctl(): /proc/sys is only partly
 * namespaced. A key is allowed only when the namespace that owns it is the
 * container's; anything else would change the host for everyone.
 */
function sysctlNamespaces(spec: Spec): void {
  for (const raw of Object.keys(spec.linux?.sysctl ?? {})) {
    const key = sysctlKey(raw);
    const at = ['linux', 'sysctl', raw];
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (!hasNamespace(spec, 'ipc')) {
        fail(at, `sysctl ${JSON.stringify(key)} is not allowed in the host's ipc namespace`);
      }
      continue;
    }
    if (key.startsWith('net.')) {
      // A netns joined by path might be the host's; runc stats it, we cannot
      // here (pure), so only the "no network namespace at all" case is refused.
      if (!hasNamespace(spec, 'network')) fail(at, `sysctl ${JSON.stringify(key)} is not allowed in the host's network namespace`);
      continue;
    }
    if (hasNamespace(spec, 'uts')) {
      if (key === 'kernel.domainname') continue;
      if (key === 'kernel.hostname') fail(at, `sysctl "kernel.hostname" is not allowed as it conflicts with the "hostname" field`);
    }
    if (key.startsWith('user.')) {
      // runc: raising e.g. user.max_user_namespaces for the initial user
      // namespace would affect every process on the host.
      if (!hasNamespace(spec, 'user')) fail(at, `sysctl ${JSON.stringify(key)} is not allowed without a user namespace`);
      continue;
    }
    fail(at, `sysctl ${JSON.stringify(key)} is not in a separate kernel namespace`);
  }
}

/** config-linux.md#devices: path absolute; major/minor REQUIRED unless type is `p`. */
function devicesComplete(spec: Spec): void {
  (spec.linux?.devices ?? []).forEach((d, i) => {
    if (!isAbsolute(d.path)) fail(['linux', 'devices', i, 'path'], `\`${d.path}\` is not an absolute path`);
    if (d.type !== 'p') {
      if (d.major === undefined) fail(['linux', 'devices', i, 'major'], `required for device type "${d.type}"`);
      if (d.minor === undefined) fail(['linux', 'devices', i, 'minor'], `required for device type "${d.type}"`);
    }
  });
}

/** runc netdevices(): moving links needs a network namespace; dev_valid_name(). */
function netDevicesNeedNetworkNamespace(spec: Spec): void {
  const devs = spec.linux?.netDevices;
  if (devs === undefined || Object.keys(devs).length === 0) return;
  if (!hasNamespace(spec, 'network')) fail(['linux', 'netDevices'], 'unable to move network devices without a network namespace');
  const valid = (n: string) => n.length > 0 && n.length <= 15 && n !== '.' && n !== '..' && !/[/: ]/.test(n);
  for (const [host, dev] of Object.entries(devs)) {
    if (!valid(host)) fail(['linux', 'netDevices', host], `invalid network device name ${JSON.stringify(host)}`);
    if (dev.name && !valid(dev.name)) {
      fail(['linux', 'netDevices', host, 'name'], `invalid network device name ${JSON.stringify(dev.name)}`);
    }
  }
}

/**
 * config-linux.md#cgroups-path. SECURITY(runc#4103): a `..` component would
 * walk out of the cgroup filesystem; see docs/security.md row 15.
 */
function cgroupsPathContained(spec: Spec): void {
  const p = spec.linux?.cgroupsPath;
  if (p === undefined || p === '') return;
  if (p.includes('\0')) fail(['linux', 'cgroupsPath'], 'must not contain a NUL byte');
  if (p.split(/[/:]/).includes('..')) fail(['linux', 'cgroupsPath'], `\`${p}\` must not contain ".." components`);
}

/** -1 (unlimited) or a non-negative count: config-linux.md#memory and #pids. */
function limitOrUnlimited(value: number | undefined, path: PathSegment[]): void {
  if (value !== undefined && value < -1) fail(path, `must be -1 (unlimited) or at least 0, got ${value}`);
}

/** config-linux.md#memory */
function memoryLimits(spec: Spec): void {
  const mem = spec.linux?.resources?.memory;
  if (!mem) return;
  const at = ['linux', 'resources', 'memory'];
  for (const key of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
    limitOrUnlimited(mem[key], [...at, key]);
  }
  // "The values are from 0 to 100"
  if (mem.swappiness !== undefined && mem.swappiness > 100) {
    fail([...at, 'swappiness'], `must be between 0 and 100, got ${mem.swappiness}`);
  }
  // memory+swap below memory alone cannot be configured (runc: "memory+swap limit should be >= memory limit")
  if (mem.limit !== undefined && mem.swap !== undefined && mem.limit > 0 && mem.swap > 0 && mem.swap < mem.limit) {
    fail([...at, 'swap'], `memory+swap limit ${mem.swap} is below the memory limit ${mem.limit}`);
  }
}

/** config-linux.md#pids: -1 is "max"; 0 is a valid limit (spec 1.3 note). */
function pidsLimit(spec: Spec): void {
  limitOrUnlimited(spec.linux?.resources?.pids?.limit, ['linux', 'resources', 'pids', 'limit']);
}

/**
 * config-linux.md#cpu. 0 means "unset" for shares, quota and period (runc);
 * otherwise the kernel's ranges: cpu.shares 2–262144, CFS period 1 ms–1 s,
 * quota at least 1 ms or -1; burst MUST NOT exceed a positive quota.
 */
function cpuLimits(spec: Spec): void {
  const cpu = spec.linux?.resources?.cpu;
  if (!cpu) return;
  const at = ['linux', 'resources', 'cpu'];
  if (cpu.shares !== undefined && cpu.shares !== 0 && (cpu.shares < 2 || cpu.shares > 262144)) {
    fail([...at, 'shares'], `must be between 2 and 262144, got ${cpu.shares}`);
  }
  if (cpu.quota !== undefined && cpu.quota !== 0 && cpu.quota !== -1 && cpu.quota < 1000) {
    fail([...at, 'quota'], `must be -1 (unlimited) or at least 1000 microseconds, got ${cpu.quota}`);
  }
  if (cpu.period !== undefined && cpu.period !== 0 && (cpu.period < 1000 || cpu.period > 1_000_000)) {
    fail([...at, 'period'], `must be between 1000 and 1000000 microseconds, got ${cpu.period}`);
  }
  if (cpu.burst !== undefined && cpu.quota !== undefined && cpu.quota > 0 && cpu.burst > cpu.quota) {
    fail([...at, 'burst'], `burst ${cpu.burst} is larger than quota ${cpu.quota}`);
  }
  limitOrUnlimited(cpu.realtimeRuntime, [...at, 'realtimeRuntime']);
  if (cpu.idle !== undefined && cpu.idle !== 0 && cpu.idle !== 1) fail([...at, 'idle'], `must be 0 or 1, got ${cpu.idle}`);
}

/** config-linux.md#block-io and #rdma: "MUST specify at least one of …" */
function blockIOAndRdmaEntries(spec: Spec): void {
  const res = spec.linux?.resources;
  (res?.blockIO?.weightDevice ?? []).forEach((d, i) => {
    if (d.weight === undefined && d.leafWeight === undefined) {
      fail(['linux', 'resources', 'blockIO', 'weightDevice', i], 'needs weight or leafWeight');
    }
  });
  for (const [dev, limits] of Object.entries(res?.rdma ?? {})) {
    if (limits.hcaHandles === undefined && limits.hcaObjects === undefined) {
      fail(['linux', 'resources', 'rdma', dev], 'needs hcaHandles or hcaObjects');
    }
  }
}

/** config-linux.md#allowed-device-list: type a/c/b, access a subset of "rwm". */
function deviceCgroupRules(spec: Spec): void {
  (spec.linux?.resources?.devices ?? []).forEach((d, i) => {
    const at = ['linux', 'resources', 'devices', i];
    if (d.type !== undefined && d.type !== '' && !(DEVICE_CGROUP_TYPES as readonly string[]).includes(d.type)) {
      fail([...at, 'type'], `unknown device cgroup type ${JSON.stringify(d.type)}, expected a, c or b`);
    }
    if (d.access !== undefined && !/^[rwm]*$/.test(d.access)) {
      fail([...at, 'access'], `${JSON.stringify(d.access)} is not a combination of r, w and m`);
    }
  });
}

/**
 * config-linux.md#seccomp: errno only for actions that return one; a
 * listener for NOTIFY; metadata only with a listener; arguments 0–5.
 */
function seccompRules(spec: Spec): void {
  const sc = spec.linux?.seccomp;
  if (!sc) return;
  const at = ['linux', 'seccomp'];
  // runc: the runtime itself still makes syscalls after the filter is loaded;
  // a default NOTIFY would block the init on the agent forever.
  if (sc.defaultAction === 'SCMP_ACT_NOTIFY') fail([...at, 'defaultAction'], 'SCMP_ACT_NOTIFY cannot be used as the default action');
  if (sc.defaultErrnoRet !== undefined && !SECCOMP_ERRNO_ACTIONS.includes(sc.defaultAction)) {
    fail([...at, 'defaultErrnoRet'], `${sc.defaultAction} does not return an errno`);
  }
  let notify = false;
  (sc.syscalls ?? []).forEach((call, i) => {
    if (call.action === 'SCMP_ACT_NOTIFY') {
      notify = true;
      // runc: the init reports errors over a pipe with write(2) after seccomp is on
      if (call.names.includes('write')) fail([...at, 'syscalls', i, 'names'], 'SCMP_ACT_NOTIFY cannot be used for the write syscall');
    }
    call.names.forEach((name, j) => {
      if (name === '') fail([...at, 'syscalls', i, 'names', j], 'must not be empty');
    });
    if (call.errnoRet !== undefined && !SECCOMP_ERRNO_ACTIONS.includes(call.action)) {
      fail([...at, 'syscalls', i, 'errnoRet'], `${call.action} does not return an errno`);
    }
    (call.args ?? []).forEach((arg, j) => {
      if (arg.index > SECCOMP_MAX_ARG_INDEX) {
        fail([...at, 'syscalls', i, 'args', j, 'index'], `must be between 0 and ${SECCOMP_MAX_ARG_INDEX}, got ${arg.index}`);
      }
    });
  });
  if (notify && !sc.listenerPath) fail([...at, 'listenerPath'], 'required when an action is SCMP_ACT_NOTIFY');
  if (sc.listenerMetadata && !sc.listenerPath) fail([...at, 'listenerMetadata'], 'must not be set without listenerPath');
}

/** runc scheduler(): sched_setattr(2) ranges per policy. */
function schedulerRules(spec: Spec): void {
  const s = spec.process?.scheduler;
  if (!s) return;
  const at = ['process', 'scheduler'];
  if ((s.policy === 'SCHED_OTHER' || s.policy === 'SCHED_BATCH') && s.nice !== undefined && (s.nice < -20 || s.nice > 19)) {
    fail([...at, 'nice'], `must be between -20 and 19 for ${s.policy}, got ${s.nice}`);
  }
  if (s.priority && s.policy !== 'SCHED_FIFO' && s.policy !== 'SCHED_RR') {
    fail([...at, 'priority'], 'can only be set for SCHED_FIFO or SCHED_RR');
  }
  if (s.policy !== 'SCHED_DEADLINE' && (s.runtime || s.deadline || s.period)) {
    fail([...at], 'runtime, deadline and period can only be set for SCHED_DEADLINE');
  }
}

/** config.md#linux-process: ioPriority priority "from 0 (highest) to 7 (lowest)". */
function ioPriorityRange(spec: Spec): void {
  const p = spec.process?.ioPriority?.priority;
  if (p !== undefined && (p < 0 || p > 7)) fail(['process', 'ioPriority', 'priority'], `must be between 0 and 7, got ${p}`);
}

/** config-linux.md#memory-policy, as runc memoryPolicy(): node counts per mode. */
function memoryPolicyNodes(spec: Spec): void {
  const mp = spec.linux?.memoryPolicy;
  if (!mp) return;
  const nodes = (mp.nodes ?? '').trim();
  if (nodes !== '' && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(nodes)) {
    fail(['linux', 'memoryPolicy', 'nodes'], `${JSON.stringify(mp.nodes)} is not a node list such as "0-3,7"`);
  }
  if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && nodes !== '') {
    fail(['linux', 'memoryPolicy', 'nodes'], `${mp.mode} takes no nodes`);
  }
  const needsNodes = ['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE'];
  if (needsNodes.includes(mp.mode) && nodes === '') fail(['linux', 'memoryPolicy', 'nodes'], `${mp.mode} needs at least one node`);
}

/** config.md#annotations: "Keys MUST NOT be an empty string". */
function annotationKeys(spec: Spec): void {
  if (spec.annotations && Object.hasOwn(spec.annotations, '')) fail(['annotations'], 'keys must not be empty');
}

/**
 * The rule list, in report order. Add a rule by writing a small function
 * above and listing it here; it throws on the first problem it finds.
 */
export const CHECKS: readonly Check[] = [
  ociVersionSupported,
  rootPathPresent,
  processCwdAbsolute,
  rlimitsConsistent,
  mountDestinations,
  mountIdMappings,
  hookTimeoutsAndPaths,
  annotationKeys,
  namespacesUnique,
  utsNamespaceForHostname,
  userNamespaceMappings,
  timeOffsetsNeedTimeNamespace,
  sysctlNamespaces,
  pathsNeedMountNamespace,
  devicesComplete,
  netDevicesNeedNetworkNamespace,
  cgroupsPathContained,
  memoryLimits,
  pidsLimit,
  cpuLimits,
  blockIOAndRdmaEntries,
  deviceCgroupRules,
  seccompRules,
  schedulerRules,
  ioPriorityRange,
  memoryPolicyNodes,
];

// ---------------------------------------------------------------------------
// normalisation (after the checks passed)

/** config.md#mounts: a relative destination "MUST be interpreted as relative to /". */
export function normalizeSpec(spec: Spec): Spec {
  if (!(spec.mounts ?? []).some((m) => !isAbsolute(m.destination))) return spec;
  return {
    ...spec,
    mounts: (spec.mounts ?? []).map((m) =>
      isAbsolute(m.destination) ? m : { ...m, destination: posix.resolve('/', m.destination) },
    ),
  };
}

