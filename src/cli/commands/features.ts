/**
 * `joey features` — runtime-spec features.md (and features-linux.md): what
 * this runtime implements, as JSON, printed like runc's `features` (4-space
 * indent). Every list comes from the table joey itself uses, so the document
 * cannot claim more than the code does:
 *  - hooks: the six runtime-spec hooks (lifecycle/create.ts, start.ts,
 *    delete.ts; createContainer/startContainer run by the init)
 *  - mountOptions: linux/flags.ts (fstab-style, propagation, recursive)
 *  - namespaces and capabilities: linux/flags.ts
 *  - seccomp: linux/seccomp.ts, when libseccomp loads; supportedFlags are
 *    the known flags this kernel has
 * Not implemented, so reported as disabled: systemd cgroup drivers, Intel
 * RDT, idmapped mounts. AppArmor profiles and SELinux process labels are
 * applied (plan/compile.ts set-label); SELinux mount labels are not.
 */
import { projectRoot } from '../../paths.js';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { join } from 'node:path';
import { CAPABILITIES, MOUNT_OPTIONS, NAMESPACES, PROPAGATION_OPTIONS, RECURSIVE_OPTIONS } from '../../linux/flags.js';
import { SUPPORTED_SPEC_MAJOR, SUPPORTED_SPEC_MINOR_MAX } from '../../spec/names.js';

export const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/**
 * The seccomp filter flags and the kernel that added each (seccomp(2)). The
 * init hands the flags to seccomp(2) itself, so the kernel decides, not
 * libseccomp's API level (2.5.x stops before WAIT_KILLABLE_RECV).
 */
const SECCOMP_FLAG_KERNEL: Record<string, [number, number]> = {
  SECCOMP_FILTER_FLAG_TSYNC: [3, 17],
  SECCOMP_FILTER_FLAG_LOG: [4, 14],
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: [4, 17],
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: [5, 19],
};

/** `6.18.3-foo` → [6, 18]. */
export function kernelVersion(release = osRelease()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export interface SeccompFeatures {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp?: SeccompFeatures;
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
  };
  annotations: Record<string, string>;
}

function joeyVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** libseccomp's view, or undefined when it cannot be loaded (then joey cannot apply seccomp at all). */
async function seccompFeatures(): Promise<{ features: SeccompFeatures; version: string } | undefined> {
  const sc = await import('../../linux/seccomp.js');
  let lib;
  try {
    lib = sc.loadLibseccomp();
  } catch {
    return undefined;
  }
  const [major, minor] = kernelVersion();
  const known = sc.SECCOMP_FLAGS.filter((f) => f in SECCOMP_FLAG_KERNEL);
  const has = (f: string): boolean => {
    const [ma, mi] = SECCOMP_FLAG_KERNEL[f]!;
    return major > ma || (major === ma && minor >= mi);
  };
  return {
    version: lib.version(),
    features: {
      enabled: true,
      actions: [...sc.SECCOMP_ACTIONS],
      operators: [...sc.SECCOMP_OPERATORS],
      archs: [...sc.SECCOMP_ARCHES],
      knownFlags: known,
      supportedFlags: known.filter(has),
    },
  };
}

export async function features(): Promise<Features> {
  const version = joeyVersion();
  const annotations: Record<string, string> = { 'io.github.joey.version': version };
  const seccomp = await seccompFeatures();
  if (seccomp) annotations['io.github.seccomp.libseccomp.version'] = seccomp.version;
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: `${SUPPORTED_SPEC_MAJOR}.${SUPPORTED_SPEC_MINOR_MAX}.0`,
    hooks: [...HOOKS],
    mountOptions: [...Object.keys(MOUNT_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(RECURSIVE_OPTIONS)].sort(),
    linux: {
      namespaces: Object.keys(NAMESPACES).sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      ...(seccomp ? { seccomp: seccomp.features } : {}),
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

export function register(program: Command): void {
  program
    .command('features')
    .description('show the enabled features (runtime-spec features.md), as JSON')
    .action(async () => {
      process.stdout.write(`${JSON.stringify(await features(), null, 4)}\n`);
    });
}
