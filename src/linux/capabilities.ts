/**
 * Credentials and capabilities — runtime-spec config.md#posix-process (user),
 * config.md#linux-process (capabilities, noNewPrivileges), config-linux.md#seccomp
 * Kernel: capabilities(7), prctl(2) PR_CAPBSET_DROP PR_SET_KEEPCAPS PR_CAP_AMBIENT
 * PR_SET_NO_NEW_PRIVS, setresuid(2), setgroups(2), seccomp(2)
 * Security: CVE-2022-29162 (exactly the sets the spec gives: no implied
 * inheritable caps), the seccomp/no_new_privs order (security.md row 18)
 * Mirrors: runc libcontainer/standard_init_linux.go, init_linux.go finalizeNamespace
 *
 * Order: without no_new_privs the filter must be loaded while we still hold
 * CAP_SYS_ADMIN, so before the drop; with it, as late as possible, so the
 * filter sees as few of our own syscalls as possible.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Process } from '../spec/types.js';
import type { CompiledSeccomp } from '../linux/seccomp.js';
import { CAPABILITIES, CAP_LAST, capMask } from './flags.js';
import { SpecError } from '../errors.js';
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';

const SPEC = 'config.md#linux-process';

const CAP_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

/** The kernel's highest capability number (/proc/sys/kernel/cap_last_cap), or joey's own list's. */
export function kernelCapLast(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : CAP_LAST;
  } catch {
    return CAP_LAST;
  }
}

/**
 * The LSMs this host enforces, as runc decides it: AppArmor when
 * /sys/module/apparmor/parameters/enabled says Y (apparmor.IsEnabled),
 * SELinux when selinuxfs is mounted (selinux.GetEnabled); the securityfs
 * list /sys/kernel/security/lsm only narrows what those say.
 */
export function hostLsms(): string[] {
  // existsSync first: on a host without these files (most have one LSM at
  // most), a throwing readFileSync built an exception each time, ~0.04 ms.
  const read = (p: string): string | undefined => {
    try {
      return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const listed = read('/sys/kernel/security/lsm')?.split(',');
  const out: string[] = [];
  if (read('/sys/module/apparmor/parameters/enabled') === 'Y' && (!listed || listed.includes('apparmor'))) out.push('apparmor');
  if (read('/sys/fs/selinux/enforce') !== undefined && (!listed || listed.includes('selinux'))) out.push('selinux');
  return out;
}

export interface CapabilityOptions {
  /** the kernel's last capability number; names above it are dropped with a warning (runc's capSlice) */
  capLast?: number;
  /** warnings go here (the plan's) */
  warnings?: string[];
}

/**
 * Capabilities the running kernel does not know: valid names (the validator
 * refused unknown ones) numbered above cap_last_cap. runc ignores them with a
 * warning, and so do we; the kernel would refuse them in PR_CAP_AMBIENT_RAISE.
 */
export function unavailableCapabilities(process: Process, capLast: number): string[] {
  const caps = process.capabilities ?? {};
  const out = new Set<string>();
  for (const set of CAP_SETS) {
    for (const name of caps[set] ?? []) {
      const bit = (CAPABILITIES as readonly string[]).indexOf(name);
      if (bit > capLast) out.add(name);
    }
  }
  return [...out].sort();
}

/**
 * Every capability name must be one the runtime knows (runtime-tools
 * process_capabilities_fail); names the validator has not seen (`exec --cap`)
 * are checked here too.
 */
export function checkAmbient(process: Process, jsonPrefix = 'process'): void {
  for (const set of CAP_SETS) {
    (process.capabilities?.[set] ?? []).forEach((name, i) => {
      if (!(CAPABILITIES as readonly string[]).includes(name)) {
        throw new SpecError(`${jsonPrefix}.capabilities.${set}[${i}]`, `unknown capability ${JSON.stringify(name)}`, SPEC);
      }
    });
  }
}

/**
 * The ambient caps the kernel will actually raise: PR_CAP_AMBIENT_RAISE
 * refuses one that is not both permitted and inheritable. `runc spec` (1.1.2+)
 * writes ambient caps with no inheritable set at all and runc runs that
 * config, raising what it can; joey does the same, and says in the plan
 * which ones it skipped.
 */
export function raisableAmbient(caps: { permitted?: readonly string[]; inheritable?: readonly string[]; ambient?: readonly string[] }): {
  raise: string[];
  skipped: string[];
} {
  const permitted = new Set<string>(caps.permitted ?? []);
  const inheritable = new Set<string>(caps.inheritable ?? []);
  const raise: string[] = [];
  const skipped: string[] = [];
  for (const name of caps.ambient ?? []) (permitted.has(name) && inheritable.has(name) ? raise : skipped).push(name);
  return { raise, skipped };
}

/**
 * The filter in the plan, or 'later': create compiles the plan without it and
 * sends it as MSG.SECCOMP_FILTER once stage 2 is in its cgroups, since the
 * cache lookup (~1 ms) is then done while stage 2 mounts, not before the spawn.
 */
export type PlanSeccomp = CompiledSeccomp | 'later';

export function seccompOp(seccomp: PlanSeccomp): InitOp {
  if (seccomp === 'later') {
    return initOp('init', 'seccomp', { late: 1 }, 'linux.seccomp', 'config-linux.md#seccomp', {
      why: 'the filter comes from the runtime as SECCOMP_FILTER, looked up in its cache while this stage mounts',
    });
  }
  return initOp('init', 'seccomp', { filter: seccomp.bpf, flags: seccomp.flags }, 'linux.seccomp', 'config-linux.md#seccomp', {
    why: `${seccomp.ruleCount} rules, ${seccomp.bpf.length / 8} BPF instructions${seccomp.notify ? ', notify fd to the listener' : ''}`,
  });
}

/** From dropping the bounding set to the last credential change. */
export function credentialOps(process: Process, seccomp: PlanSeccomp | undefined, o: CapabilityOptions = {}): InitOp[] {
  const ops: InitOp[] = [];
  checkAmbient(process);
  const unavailable = unavailableCapabilities(process, o.capLast ?? CAP_LAST);
  if (unavailable.length) {
    o.warnings?.push(`process.capabilities: ignoring capabilities this kernel does not know: ${unavailable.join(', ')} (${SPEC})`);
  }
  const known = (names: readonly string[] | undefined) => names?.filter((n) => !unavailable.includes(n));
  const given = process.capabilities ?? {};
  const caps = {
    bounding: known(given.bounding),
    effective: known(given.effective),
    permitted: known(given.permitted),
    inheritable: known(given.inheritable),
    ambient: known(given.ambient),
  };
  const nnp = process.noNewPrivileges === true;
  // SECURITY(security.md row 18): without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes before the drop.
  if (seccomp && !nnp) ops.push(seccompOp(seccomp));
  ops.push(
    initOp('init', 'drop-bounding', { value: capMask(caps.bounding) }, 'process.capabilities.bounding', SPEC),
    initOp('init', 'set-keepcaps', { value: 1 }, '', SPEC, { why: 'keep permitted caps across the uid change' }),
    initOp('init', 'set-groups', { gids: (process.user.additionalGids ?? []).map(String) }, 'process.user.additionalGids', 'config.md#posix-process'),
    initOp('init', 'set-user', { uid: process.user.uid, gid: process.user.gid }, 'process.user', 'config.md#posix-process'),
    // SECURITY(CVE-2022-29162): inheritable is exactly what the spec says, empty when absent.
    initOp(
      'init',
      'set-caps',
      { effective: capMask(caps.effective), permitted: capMask(caps.permitted), inheritable: capMask(caps.inheritable) },
      'process.capabilities',
      SPEC,
      { security: 'CVE-2022-29162' },
    ),
    initOp('init', 'set-keepcaps', { value: 0 }, '', SPEC),
  );
  const ambient = raisableAmbient(caps);
  if (ambient.raise.length || ambient.skipped.length) {
    ops.push(
      initOp('init', 'set-ambient', { value: capMask(ambient.raise) }, 'process.capabilities.ambient', SPEC, {
        why: ambient.skipped.length ? `not raised (ambient needs permitted and inheritable): ${ambient.skipped.join(', ')}` : undefined,
      }),
    );
  }
  return ops;
}

/** After credentials: no_new_privs, then (with it) the late seccomp filter. */
export function lateSecurityOps(process: Process, seccomp: PlanSeccomp | undefined): InitOp[] {
  const ops: InitOp[] = [];
  if (process.noNewPrivileges) ops.push(initOp('init', 'no-new-privs', {}, 'process.noNewPrivileges', SPEC));
  if (seccomp && process.noNewPrivileges) ops.push(seccompOp(seccomp));
  return ops;
}
