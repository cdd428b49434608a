/**
 * seccomp — runtime-spec config-linux.md#seccomp; seccomp(2), seccomp_rule_add(3),
 * seccomp_export_bpf(3), seccomp_syscall_resolve_name(3), seccomp_arch_add(3).
 *
 * The profile is compiled into a classic-BPF program here, on the host, with
 * libseccomp called through koffi. The C init only loads the finished program
 * with seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) (docs/design.md §2), so
 * it never parses JSON or links libseccomp, and `joey plan` can print the
 * filter (libseccomp's PFC text) before anything runs.
 *
 * What follows runc, on purpose (libcontainer/seccomp, specconv):
 * - SCMP_ACT_KILL is KILL_THREAD; errnoRet defaults to EPERM for ERRNO and TRACE.
 * - A syscall name libseccomp does not know is skipped, not an error: profiles
 *   list syscalls of newer kernels and other architectures.
 * - A rule whose action equals the default action is dropped (libseccomp
 *   refuses it with EACCES, and it changes nothing).
 * - When two conditions of one rule test the same argument, each condition
 *   becomes its own rule (OR); otherwise all conditions form one rule (AND).
 * - Rules are added with the non-exact call, so one rule covers every
 *   architecture of the filter (socketcall on x86, its split calls on x86_64).
 * - With no `flags` key, SECCOMP_FILTER_FLAG_SPEC_ALLOW is set when the kernel
 *   and libseccomp support it; an explicit list (even empty) is used as is.
 * - The bad-architecture action is libseccomp's default, KILL_THREAD: runc
 *   never changes it.
 * - An -ENOSYS stub is prepended (runc's patchbpf): a syscall numbered above
 *   the newest one the profile names returns ENOSYS instead of the default
 *   action, so a libc probing for a syscall newer than the profile (clone3,
 *   faccessat2, …) falls back instead of failing with EPERM.
 */
import { createRequire } from 'node:module';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { constants as osConstants, endianness } from 'node:os';
import { RuntimeError, SpecError, UnsupportedError } from '../errors.js';

const SPEC_REF = 'config-linux.md#seccomp';

/* ------------------------------------------------------------------ types */

/** One `linux.seccomp.syscalls[].args[]` entry. Values are uint64: pass a bigint above 2^53. */
export interface LinuxSeccompArgLike {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface LinuxSyscallLike {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: LinuxSeccompArgLike[];
}

/** The OCI `linux.seccomp` object (structurally compatible with src/spec/types.ts). */
export interface LinuxSeccompLike {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscallLike[];
}

export interface CompiledSeccomp {
  /** struct sock_filter[] as the kernel takes it (8 bytes per insn, host byte order) */
  bpf: Buffer;
  /** SECCOMP_FILTER_FLAG_* to pass to seccomp(2) */
  flags: number;
  /** a rule uses SCMP_ACT_NOTIFY: load with NEW_LISTENER and hand the fd to listenerPath */
  notify: boolean;
  /** syscall names unknown to libseccomp for the native arch (skipped, like runc) */
  skipped: string[];
  /** rules added to the filter (after expansion per name and per repeated argument) */
  ruleCount: number;
}

/* -------------------------------------------------------------- constants */

// libseccomp's action values (seccomp.h); the low 16 bits carry errno/msg.
const SCMP_ACT_KILL_PROCESS = 0x80000000;
const SCMP_ACT_KILL_THREAD = 0x00000000;
const SCMP_ACT_TRAP = 0x00030000;
const SCMP_ACT_ERRNO = 0x00050000;
const SCMP_ACT_TRACE = 0x7ff00000;
const SCMP_ACT_LOG = 0x7ffc0000;
const SCMP_ACT_ALLOW = 0x7fff0000;
const SCMP_ACT_NOTIFY = 0x7fc00000;

type ActionKind = 'kill-process' | 'kill-thread' | 'trap' | 'errno' | 'trace' | 'log' | 'allow' | 'notify';

const ACTIONS: Record<string, ActionKind> = {
  SCMP_ACT_KILL: 'kill-thread',
  SCMP_ACT_KILL_THREAD: 'kill-thread',
  SCMP_ACT_KILL_PROCESS: 'kill-process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_NOTIFY: 'notify',
};

const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** seccomp(2) filter flags, <linux/seccomp.h> */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

// The flags a config may name. TSYNC is accepted and ignored, as runc does:
// the init is single-threaded, so there are no other threads to sync.
const CONFIG_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG.LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG.SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV,
};

// The architectures runtime-spec names. libseccomp's own name is the suffix in
// lower case (SCMP_ARCH_X86_64 → "x86_64"); some are newer than the installed
// libseccomp, which is reported as unsupported rather than as a bad config.
const ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];

/** Names accepted in a profile, for `joey features` (runc's KnownActions etc.). */
export const SECCOMP_ACTIONS: readonly string[] = Object.keys(ACTIONS).sort();
export const SECCOMP_OPERATORS: readonly string[] = Object.keys(OPERATORS).sort();
export const SECCOMP_ARCHES: readonly string[] = [...ARCHES];
export const SECCOMP_FLAGS: readonly string[] = Object.keys(CONFIG_FLAGS);

// libseccomp's scmp_filter_attr values (2.5.x).
const SCMP_FLTATR_CTL_NNP = 3;
const SCMP_FLTATR_CTL_TSYNC = 4;
const SCMP_FLTATR_CTL_OPTIMIZE = 8;

const SCMP_ARCH_X32 = 0x4000003e;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_S390 = 0x16;
const AUDIT_ARCH_S390X = 0x80000016;
const X32_SYSCALL_BIT = 0x40000000;

const SYSCALL_ARGS = 6; // a Linux syscall has at most six arguments
const BPF_MAXINSNS = 4096; // the kernel's limit for one classic-BPF program
const ENOSYS = osConstants.errno.ENOSYS;
const MAX_U64 = (1n << 64n) - 1n;

/* ------------------------------------------------------------- libseccomp */

type Ptr = unknown;

interface Libseccomp {
  init(defAction: number): Ptr;
  release(ctx: Ptr): void;
  archNative(): number;
  archResolveName(name: string): number;
  archAdd(ctx: Ptr, arch: number): number;
  syscallResolveName(name: string): number;
  syscallResolveNameArch(arch: number, name: string): number;
  attrSet(ctx: Ptr, attr: number, value: number): number;
  ruleAddArray(ctx: Ptr, action: number, syscall: number, count: number, args: Buffer | null): number;
  exportBpf(ctx: Ptr, fd: number): number;
  exportPfc(ctx: Ptr, fd: number): number;
  apiGet(): number;
  version(): string;
  memfdCreate(name: string, flags: number): number;
}

let cached: Libseccomp | undefined;

/**
 * koffi's native module is its whole API; its index.js only adds deprecated
 * aliases, and requires crypto, https and zlib for its installer tools, ~7 MB
 * of RSS on a filter-cache miss (issue #7: ≤ 50 MB). Load the native module
 * directly where koffi ships one for this platform, else koffi itself.
 */
function loadKoffi(): typeof import('koffi') {
  const require = createRequire(import.meta.url);
  try {
    const native = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`) as typeof import('koffi') & { version?: string };
    const pkg = require('koffi/package.json') as { version: string };
    if (native.version === pkg.version) return native;
  } catch {
    /* not shipped for this platform: the package's own loader finds it */
  }
  return require('koffi') as typeof import('koffi');
}

/**
 * Open libseccomp on first use: most commands (state, kill, delete) never need
 * it, and koffi's own native module is not loaded until then either. There are
 * no headers on the host, so the prototypes are declared here (seccomp.h 2.5).
 * `soname` exists for tests.
 */
export function loadLibseccomp(soname = 'libseccomp.so.2'): Libseccomp {
  if (cached && soname === 'libseccomp.so.2') return cached;
  const koffi = loadKoffi();
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(soname);
  } catch (err) {
    throw new UnsupportedError(`seccomp: ${soname} not found (install the libseccomp2 package)`, { cause: err });
  }
  // glibc has memfd_create(3) since 2.27; the export goes to a memfd so
  // nothing touches the filesystem.
  const libc = koffi.load('libc.so.6');
  const version = koffi.struct({ major: 'uint32_t', minor: 'uint32_t', micro: 'uint32_t' });
  const versionFn = lib.func('const void *seccomp_version(void)');
  const api: Libseccomp = {
    init: lib.func('void *seccomp_init(uint32_t def_action)'),
    release: lib.func('void seccomp_release(void *ctx)'),
    archNative: lib.func('uint32_t seccomp_arch_native(void)'),
    archResolveName: lib.func('uint32_t seccomp_arch_resolve_name(const char *arch_name)'),
    archAdd: lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)'),
    syscallResolveName: lib.func('int seccomp_syscall_resolve_name(const char *name)'),
    syscallResolveNameArch: lib.func('int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)'),
    attrSet: lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
    // struct scmp_arg_cmp[] is packed by hand (packArgs) so uint64 values stay exact.
    ruleAddArray: lib.func(
      'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const void *arg_array)',
    ),
    exportBpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)'),
    exportPfc: lib.func('int seccomp_export_pfc(void *ctx, int fd)'),
    apiGet: lib.func('unsigned int seccomp_api_get(void)'),
    version: () => {
      const v = koffi.decode(versionFn(), version) as { major: number; minor: number; micro: number };
      return `${v.major}.${v.minor}.${v.micro}`;
    },
    memfdCreate: libc.func('int memfd_create(const char *name, unsigned int flags)'),
  };
  if (soname === 'libseccomp.so.2') cached = api;
  return api;
}

/* ------------------------------------------------------------- validation */

interface Action {
  name: string;
  kind: ActionKind;
  /** the 32-bit value libseccomp and the kernel use */
  value: number;
}

interface Condition {
  index: number;
  op: number;
  value: bigint;
  valueTwo: bigint;
}

interface Rule {
  jsonPath: string;
  names: string[];
  action: Action;
  conditions: Condition[];
}

interface Profile {
  defaultAction: Action;
  defaultErrnoRet?: number;
  arches: { name: string; jsonPath: string }[];
  /** undefined when the config has no `flags` key (runc then adds SPEC_ALLOW) */
  flags?: number;
  rules: Rule[];
  notify: boolean;
}

function parseAction(name: unknown, errnoRet: unknown, path: string, errnoPath: string): Action {
  const kind = typeof name === 'string' && Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (kind === undefined) throw new SpecError(path, `unknown action ${JSON.stringify(name)}`, SPEC_REF);
  let data = 0;
  if (errnoRet !== undefined && errnoRet !== null) {
    // The spec: "when the action doesn't support an errno, the runtime MUST print an error and fail".
    if (kind !== 'errno' && kind !== 'trace') {
      throw new SpecError(errnoPath, `${name} does not take an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`, SPEC_REF);
    }
    if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 0xffff) {
      throw new SpecError(errnoPath, `errno ${JSON.stringify(errnoRet)} is not an integer in 0..65535`, SPEC_REF);
    }
    data = errnoRet;
  } else if (kind === 'errno' || kind === 'trace') {
    data = osConstants.errno.EPERM;
  }
  let value: number;
  switch (kind) {
    case 'kill-process': value = SCMP_ACT_KILL_PROCESS; break;
    case 'kill-thread': value = SCMP_ACT_KILL_THREAD; break;
    case 'trap': value = SCMP_ACT_TRAP; break;
    case 'errno': value = SCMP_ACT_ERRNO | data; break;
    case 'trace': value = (SCMP_ACT_TRACE | data) >>> 0; break;
    case 'log': value = SCMP_ACT_LOG; break;
    case 'allow': value = SCMP_ACT_ALLOW; break;
    case 'notify': value = SCMP_ACT_NOTIFY; break;
  }
  return { name: name as string, kind, value: value >>> 0 };
}

function parseU64(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') {
    if (v >= 0n && v <= MAX_U64) return v;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    const b = BigInt(v);
    if (b <= MAX_U64) return b;
  }
  throw new SpecError(path, `${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)} is not a uint64`, SPEC_REF);
}

/** Check every field without libseccomp: bad configs fail the same way on every host. */
function parseProfile(seccomp: LinuxSeccompLike, prefix: string): Profile {
  const defaultAction = parseAction(
    seccomp.defaultAction, seccomp.defaultErrnoRet, `${prefix}.defaultAction`, `${prefix}.defaultErrnoRet`,
  );
  // runc: a notify default would also catch the init's own write of the
  // listener fd to the parent, and the container could never start.
  if (defaultAction.kind === 'notify') {
    throw new SpecError(`${prefix}.defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action', SPEC_REF);
  }

  const arches = (seccomp.architectures ?? []).map((name, i) => {
    const jsonPath = `${prefix}.architectures[${i}]`;
    if (typeof name !== 'string' || !ARCHES.includes(name)) {
      throw new SpecError(jsonPath, `unknown architecture ${JSON.stringify(name)}`, SPEC_REF);
    }
    return { name, jsonPath };
  });

  let flags: number | undefined;
  if (seccomp.flags !== undefined && seccomp.flags !== null) {
    flags = 0;
    seccomp.flags.forEach((name, i) => {
      const bit = typeof name === 'string' && Object.hasOwn(CONFIG_FLAGS, name) ? CONFIG_FLAGS[name] : undefined;
      if (bit === undefined) throw new SpecError(`${prefix}.flags[${i}]`, `unknown flag ${JSON.stringify(name)}`, SPEC_REF);
      flags! |= bit;
    });
  }

  let notify = false;
  const rules = (seccomp.syscalls ?? []).map((sc, i): Rule => {
    const path = `${prefix}.syscalls[${i}]`;
    if (!Array.isArray(sc.names) || sc.names.length === 0) {
      throw new SpecError(`${path}.names`, 'must name at least one syscall', SPEC_REF);
    }
    sc.names.forEach((n, j) => {
      if (typeof n !== 'string' || n === '') {
        throw new SpecError(`${path}.names[${j}]`, `${JSON.stringify(n)} is not a syscall name`, SPEC_REF);
      }
    });
    const action = parseAction(sc.action, sc.errnoRet, `${path}.action`, `${path}.errnoRet`);
    if (action.kind === 'notify') {
      notify = true;
      // runc: the init reports the listener fd to its parent with write(2);
      // if write itself waited for the agent, nobody could ever answer.
      const j = sc.names.indexOf('write');
      if (j >= 0) throw new SpecError(`${path}.names[${j}]`, 'SCMP_ACT_NOTIFY cannot be used for write', SPEC_REF);
    }
    const conditions = (sc.args ?? []).map((a, k): Condition => {
      const apath = `${path}.args[${k}]`;
      if (typeof a.index !== 'number' || !Number.isInteger(a.index) || a.index < 0 || a.index >= SYSCALL_ARGS) {
        throw new SpecError(`${apath}.index`, `index ${JSON.stringify(a.index)} is out of range 0..${SYSCALL_ARGS - 1}`, SPEC_REF);
      }
      const op = typeof a.op === 'string' && Object.hasOwn(OPERATORS, a.op) ? OPERATORS[a.op] : undefined;
      if (op === undefined) throw new SpecError(`${apath}.op`, `unknown operator ${JSON.stringify(a.op)}`, SPEC_REF);
      return {
        index: a.index,
        op,
        value: parseU64(a.value, `${apath}.value`),
        valueTwo: a.valueTwo === undefined || a.valueTwo === null ? 0n : parseU64(a.valueTwo, `${apath}.valueTwo`),
      };
    });
    return { jsonPath: path, names: sc.names, action, conditions };
  });

  if (notify && !seccomp.listenerPath) {
    throw new SpecError(`${prefix}.listenerPath`, 'required when a rule uses SCMP_ACT_NOTIFY', SPEC_REF);
  }
  return { defaultAction, defaultErrnoRet: seccomp.defaultErrnoRet, arches, flags, rules, notify };
}

/* ---------------------------------------------------------------- filter */

function errnoName(rc: number): string {
  const n = -rc;
  for (const [name, value] of Object.entries(osConstants.errno)) if (value === n) return name;
  return `errno ${n}`;
}

/** struct scmp_arg_cmp { unsigned int arg; enum scmp_compare op; scmp_datum_t datum_a, datum_b; } = 24 bytes */
function packArgs(conds: Condition[]): Buffer | null {
  if (conds.length === 0) return null;
  const le = endianness() === 'LE';
  const buf = Buffer.alloc(24 * conds.length);
  conds.forEach((c, i) => {
    const o = 24 * i;
    if (le) {
      buf.writeUInt32LE(c.index, o); buf.writeInt32LE(c.op, o + 4);
      buf.writeBigUInt64LE(c.value, o + 8); buf.writeBigUInt64LE(c.valueTwo, o + 16);
    } else {
      buf.writeUInt32BE(c.index, o); buf.writeInt32BE(c.op, o + 4);
      buf.writeBigUInt64BE(c.value, o + 8); buf.writeBigUInt64BE(c.valueTwo, o + 16);
    }
  });
  return buf;
}

interface Built {
  lib: Libseccomp;
  ctx: Ptr;
  /** arch tokens in the filter, native first */
  archTokens: number[];
  skipped: string[];
  ruleCount: number;
  flags: number;
}

/**
 * Build a libseccomp context from the profile, hand it to `use`, always
 * release it. `optimize` turns on the binary-tree dispatch, which makes the
 * program shorter on average but its PFC text unreadable.
 */
function withFilter<T>(
  seccomp: LinuxSeccompLike, prefix: string, optimize: boolean, use: (b: Built, p: Profile) => T,
): T {
  const profile = parseProfile(seccomp, prefix);
  const lib = loadLibseccomp();
  const native = lib.archNative();
  const archTokens = [native];
  const tokenOf = (name: string) => lib.archResolveName(name.slice('SCMP_ARCH_'.length).toLowerCase());
  for (const a of profile.arches) {
    const token = tokenOf(a.name);
    if (token === 0) {
      throw new UnsupportedError(`seccomp: ${a.jsonPath}: ${a.name} is not supported by libseccomp ${lib.version()}`, {
        jsonPath: a.jsonPath, specRef: SPEC_REF,
      });
    }
    if (!archTokens.includes(token)) archTokens.push(token);
  }

  let flags = profile.flags ?? 0;
  // runc's default when `flags` is absent: SPEC_ALLOW (API level 4: kernel 4.17).
  if (profile.flags === undefined && lib.apiGet() >= 4) flags |= SECCOMP_FILTER_FLAG.SPEC_ALLOW;
  if (profile.notify) flags |= SECCOMP_FILTER_FLAG.NEW_LISTENER;
  // The kernel refuses WAIT_KILLABLE_RECV without NEW_LISTENER (EINVAL); with
  // no notify rule it would change nothing, so a shared profile that sets it
  // still works for containers without an agent.
  else flags &= ~SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV;

  const ctx = lib.init(profile.defaultAction.value);
  if (!ctx) throw new RuntimeError('seccomp: seccomp_init failed (out of memory or bad default action)');
  try {
    const check = (rc: number, what: string, jsonPath: string) => {
      if (rc < 0) throw new SpecError(jsonPath, `libseccomp refused ${what}: ${errnoName(rc)}`, SPEC_REF);
    };
    for (const token of archTokens.slice(1)) {
      const rc = lib.archAdd(ctx, token);
      if (rc < 0 && rc !== -osConstants.errno.EEXIST) {
        const a = profile.arches.find((x) => tokenOf(x.name) === token);
        check(rc, `architecture ${a?.name}`, a?.jsonPath ?? `${prefix}.architectures`);
      }
    }
    // no_new_privs is the init's job (process.noNewPrivileges), and the init is
    // single-threaded; these only matter to seccomp_load, which is not used,
    // but keep the context honest for anyone reading the PFC.
    check(lib.attrSet(ctx, SCMP_FLTATR_CTL_NNP, 0), 'SCMP_FLTATR_CTL_NNP', prefix);
    check(lib.attrSet(ctx, SCMP_FLTATR_CTL_TSYNC, 0), 'SCMP_FLTATR_CTL_TSYNC', prefix);

    const skipped: string[] = [];
    let ruleCount = 0;
    for (const rule of profile.rules) {
      // The same value as the default (ERRNO(1) vs ERRNO(1)): runc skips it
      // silently; ERRNO(38) against a default of ERRNO(1) is kept.
      if (rule.action.value === profile.defaultAction.value) continue;
      const counts = new Array<number>(SYSCALL_ARGS).fill(0);
      for (const c of rule.conditions) counts[c.index]! += 1;
      const groups = counts.some((n) => n > 1) ? rule.conditions.map((c) => [c]) : [rule.conditions];
      for (const name of rule.names) {
        const nr = lib.syscallResolveName(name);
        if (nr === -1) { // __NR_SCMP_ERROR
          if (!skipped.includes(name)) skipped.push(name);
          continue;
        }
        for (const g of groups) {
          const rc = lib.ruleAddArray(ctx, rule.action.value, nr, g.length, packArgs(g));
          check(rc, `the ${rule.action.name} rule for "${name}"`, rule.jsonPath);
          ruleCount++;
        }
      }
    }
    // Binary-tree dispatch for long lists, as runc does above 32 syscalls;
    // libseccomp <= 2.5.4 misbehaves when it is on with zero rules.
    if (optimize && ruleCount > 32) check(lib.attrSet(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), 'SCMP_FLTATR_CTL_OPTIMIZE', prefix);
    return use({ lib, ctx, archTokens, skipped, ruleCount, flags }, profile);
  } finally {
    lib.release(ctx);
  }
}

/** Run an export into a memfd and read it back. */
function exportToBuffer(lib: Libseccomp, what: string, fn: (fd: number) => number): Buffer {
  const fd = lib.memfdCreate(`joey-seccomp-${what}`, 1 /* MFD_CLOEXEC */);
  if (fd < 0) throw new RuntimeError(`seccomp: memfd_create for the ${what} export failed`);
  try {
    const rc = fn(fd);
    if (rc < 0) throw new RuntimeError(`seccomp: seccomp_export_${what} failed: ${errnoName(rc)}`);
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/* ------------------------------------------------------- the -ENOSYS stub */

// Classic BPF opcodes, <linux/filter.h>.
const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JA = 0x05;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGT_K = 0x25;
const BPF_JMP_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const SECCOMP_DATA_NR = 0;
const SECCOMP_DATA_ARCH = 4;

type Insn = { code: number; k: number; jt?: string; jf?: string; ja?: string } | { label: string };

/** Resolve labels to forward offsets; classic BPF only jumps forwards. */
function assemble(prog: Insn[]): Buffer {
  const labels = new Map<string, number>();
  const insns: Exclude<Insn, { label: string }>[] = [];
  for (const i of prog) {
    if ('label' in i) labels.set(i.label, insns.length);
    else insns.push(i);
  }
  const le = endianness() === 'LE';
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, idx) => {
    const rel = (label: string | undefined, max: number): number => {
      if (label === undefined) return 0;
      const target = labels.get(label);
      if (target === undefined) throw new Error(`seccomp stub: no label ${label}`);
      const d = target - idx - 1;
      if (d < 0 || d > max) throw new RuntimeError(`seccomp: -ENOSYS stub jump of ${d} out of range`);
      return d;
    };
    const k = ins.ja !== undefined ? rel(ins.ja, 0xffffffff) : ins.k >>> 0;
    const o = idx * 8;
    if (le) { out.writeUInt16LE(ins.code, o); out.writeUInt32LE(k, o + 4); }
    else { out.writeUInt16BE(ins.code, o); out.writeUInt32BE(k, o + 4); }
    out.writeUInt8(rel(ins.jt, 255), o + 2);
    out.writeUInt8(rel(ins.jf, 255), o + 3);
  });
  return out;
}

/** The newest syscall number the profile names, per kernel audit arch (x32 split out). */
interface StubArch { audit: number; plain?: number; x32?: number }

function stubArches(lib: Libseccomp, archTokens: number[], seccomp: LinuxSeccompLike): StubArch[] {
  const names = new Set((seccomp.syscalls ?? []).flatMap((s) => s.names));
  const byAudit = new Map<number, StubArch>();
  for (const token of archTokens) {
    let max = -1;
    for (const n of names) max = Math.max(max, lib.syscallResolveNameArch(token, n));
    if (max <= 0) continue; // negative numbers are libseccomp's pseudo-syscalls
    // SCMP_ARCH_X32 is not a kernel value: x32 calls arrive as x86_64 with bit 30 set.
    const audit = token === SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
    const entry = byAudit.get(audit) ?? { audit };
    if (token === SCMP_ARCH_X32) entry.x32 = max;
    else entry.plain = max;
    byAudit.set(audit, entry);
  }
  return [...byAudit.values()];
}

/**
 * runc's patchbpf, written from its description: for each architecture, a
 * syscall number above the newest one the profile names gets ERRNO(ENOSYS);
 * everything else falls through to libseccomp's program, which starts with
 * its own architecture check. Skipped when the default already allows
 * (ALLOW, LOG, TRACE) or already answers ENOSYS.
 */
function enosysStub(lib: Libseccomp, archTokens: number[], seccomp: LinuxSeccompLike, p: Profile): { bpf: Buffer; text: string[] } {
  const k = p.defaultAction.kind;
  if (k === 'allow' || k === 'log' || k === 'trace') return { bpf: Buffer.alloc(0), text: [] };
  if (k === 'errno' && p.defaultErrnoRet === ENOSYS) return { bpf: Buffer.alloc(0), text: [] };
  const arches = stubArches(lib, archTokens, seccomp);
  if (arches.length === 0) return { bpf: Buffer.alloc(0), text: [] };

  const text: string[] = [];
  const prog: Insn[] = [{ code: BPF_LD_W_ABS, k: SECCOMP_DATA_ARCH }];
  arches.forEach((a, i) => prog.push({ code: BPF_JMP_JEQ_K, k: a.audit, jt: `arch${i}` }));
  prog.push({ code: BPF_JMP_JA, k: 0, ja: 'filter' });
  arches.forEach((a, i) => {
    prog.push({ label: `arch${i}` }, { code: BPF_LD_W_ABS, k: SECCOMP_DATA_NR });
    const arch = `0x${a.audit.toString(16)}`;
    if (a.audit === AUDIT_ARCH_X86_64) {
      prog.push({ code: BPF_JMP_JSET_K, k: X32_SYSCALL_BIT, jt: `x32_${i}` });
      if (a.plain !== undefined) prog.push({ code: BPF_JMP_JGT_K, k: a.plain, jt: 'enosys' });
      prog.push({ code: BPF_JMP_JA, k: 0, ja: 'filter' }, { label: `x32_${i}` });
      if (a.x32 !== undefined) prog.push({ code: BPF_JMP_JGT_K, k: a.x32, jt: 'enosys' });
      prog.push({ code: BPF_JMP_JA, k: 0, ja: 'filter' });
      if (a.plain !== undefined) text.push(`# arch ${arch} (x86_64): $syscall > ${a.plain} → ERRNO(${ENOSYS})`);
      if (a.x32 !== undefined) text.push(`# arch ${arch} (x32): $syscall > ${a.x32} → ERRNO(${ENOSYS})`);
      return;
    }
    if (a.audit === AUDIT_ARCH_S390 || a.audit === AUDIT_ARCH_S390X) {
      // s390 multiplexes syscalls above 255 through syscall 0; a number the
      // kernel does not know arrives as 0 and must not get the default action.
      prog.push({ code: BPF_JMP_JEQ_K, k: 0, jt: 'enosys' });
      text.push(`# arch ${arch}: $syscall == 0 → ERRNO(${ENOSYS})`);
    }
    prog.push({ code: BPF_JMP_JGT_K, k: a.plain ?? 0, jt: 'enosys' }, { code: BPF_JMP_JA, k: 0, ja: 'filter' });
    text.push(`# arch ${arch}: $syscall > ${a.plain} → ERRNO(${ENOSYS})`);
  });
  prog.push({ label: 'enosys' }, { code: BPF_RET_K, k: SCMP_ACT_ERRNO | ENOSYS }, { label: 'filter' });
  return { bpf: assemble(prog), text };
}

/* ------------------------------------------------------------------- API */

/**
 * Compile `linux.seccomp` into the program the init passes to
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog). Bad values throw SpecError
 * with the JSON path under `jsonPathPrefix`; a missing libseccomp throws
 * UnsupportedError.
 */
export function compileSeccomp(seccomp: LinuxSeccompLike, jsonPathPrefix = 'linux.seccomp'): CompiledSeccomp {
  return withFilter(seccomp, jsonPathPrefix, true, (b, profile) => {
    const filter = exportToBuffer(b.lib, 'bpf', (fd) => b.lib.exportBpf(b.ctx, fd));
    if (filter.length === 0 || filter.length % 8 !== 0) {
      throw new RuntimeError(`seccomp: libseccomp exported a ${filter.length}-byte program`);
    }
    const stub = enosysStub(b.lib, b.archTokens, seccomp, profile);
    const bpf = Buffer.concat([stub.bpf, filter]);
    if (bpf.length / 8 > BPF_MAXINSNS) {
      throw new SpecError(jsonPathPrefix, `the filter has ${bpf.length / 8} instructions, more than the kernel's ${BPF_MAXINSNS}`, SPEC_REF);
    }
    return { bpf, flags: b.flags, notify: profile.notify, skipped: b.skipped, ruleCount: b.ruleCount };
  });
}

/**
 * libseccomp's pseudo filter code (seccomp_export_pfc) for `joey plan`, with a
 * header naming the flags, the skipped syscalls and the -ENOSYS stub that
 * compileSeccomp prepends.
 */
export function renderSeccomp(seccomp: LinuxSeccompLike, jsonPathPrefix = 'linux.seccomp'): string {
  // Without the binary tree: the same decisions, listed one syscall at a time.
  return withFilter(seccomp, jsonPathPrefix, false, (b, profile) => {
    const pfc = exportToBuffer(b.lib, 'pfc', (fd) => b.lib.exportPfc(b.ctx, fd)).toString('utf8');
    const stub = enosysStub(b.lib, b.archTokens, seccomp, profile);
    const head = [
      `# seccomp: ${b.ruleCount} rules, default ${profile.defaultAction.name}, flags ${seccompFlagNames(b.flags).join('|') || '0'}`,
    ];
    if (b.skipped.length) head.push(`# skipped (unknown to libseccomp ${b.lib.version()}): ${b.skipped.join(' ')}`);
    if (stub.text.length) head.push('# -ENOSYS stub, checked before the filter:', ...stub.text);
    return `${head.join('\n')}\n${pfc}`;
  });
}

/** SECCOMP_FILTER_FLAG_* names for a flags value, for `joey plan` and logs. */
export function seccompFlagNames(flags: number): string[] {
  return Object.entries(SECCOMP_FILTER_FLAG)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => `SECCOMP_FILTER_FLAG_${name}`);
}
