/**
 * The runtime-spec configuration as zod schemas — config.md, config-linux.md,
 * config-vm.md; schema/config-schema.json, config-linux.json, defs*.json.
 * Versions 1.0.0 through 1.3.x: later fields are optional, so older files parse.
 *
 * Every object is a `z.looseObject`: config.md#extensibility says runtimes
 * "MUST otherwise ignore" unknown properties, so they are kept, not stripped
 * and not rejected (solaris, windows, zos and freebsd sections pass through).
 *
 * This file checks shape and closed vocabularies (rlimit names, capability
 * names, seccomp actions …). Rules that relate fields to each other live in
 * checks.ts. Only validate.ts and this file import zod (and shape-gen.ts, a
 * build tool); import types from here with `import type` so nothing else
 * pays for loading it.
 *
 * `joey create`/`run`/`exec` check a valid config without zod, with
 * shape.generated.ts, which shape-gen.ts derives from these schemas. After
 * changing one, regenerate it:
 *   npx tsc -p . && node dist/spec/shape-gen.js > src/spec/shape.generated.ts
 * (test/unit/spec/shape.test.ts fails until you do).
 *
 * Field names are exactly the JSON names.
 */

import * as z from 'zod';
import {
  type HOOK_NAMES,
  CAPABILITIES,
  DEVICE_TYPES,
  IOPRIO_CLASSES,
  MEMORY_POLICY_FLAGS,
  MEMORY_POLICY_MODES,
  NAMESPACE_TYPES,
  PERSONALITY_DOMAINS,
  RLIMIT_TYPES,
  ROOTFS_PROPAGATIONS,
  SCHEDULER_FLAGS,
  SCHEDULER_POLICIES,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
} from './names.js';

// WHY: zod compiles object parsers with `new Function` on first use. A CLI
// process validates one config and exits, so that compile is pure cost:
// measured on Node 20, the first validateSpec takes ~12 ms with it and ~5 ms
// without; later calls are the same speed either way.
z.config({ jitless: true });

// ---------------------------------------------------------------------------
// building blocks

/**
 * An integer in [min, max]. Not `z.int()`: that stops at 2^53, and uint64
 * fields legitimately hold larger values (RLIM_INFINITY is 2^64-1).
 * WHY: JSON.parse turns 18446744073709551615 into the double 2^64, so the
 * uint64 bound is 2^64, not 2^64-1; consumers treat ≥ 2^64-1 as "infinity".
 */
function integer(min: number, max: number) {
  return z
    .number()
    .refine(Number.isInteger, { error: (iss) => `expected an integer, got ${String(iss.input)}` })
    .min(min)
    .max(max);
}

const uint16 = integer(0, 0xffff);
const uint32 = integer(0, 0xffffffff);
const int32 = integer(-0x80000000, 0x7fffffff);
const uint64 = integer(0, 2 ** 64);
const int64 = integer(-(2 ** 63), 2 ** 63);

/**
 * A closed vocabulary. The error names what was expected
 * (`unknown rlimit "RLIMIT_TEST"`); a missing value falls through to the
 * generic "missing required property" from validate.ts.
 */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => (iss.input === undefined ? undefined : `unknown ${what} ${JSON.stringify(iss.input)}`),
  });
}

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());

// ---------------------------------------------------------------------------
// config.md

/** config.md#root */
export const RootSchema = z.looseObject({
  path: z.string(),
  readonly: z.boolean().optional(),
});

/** config-linux.md#user-namespace-mappings (also used per mount) */
export const IdMappingSchema = z.looseObject({
  containerID: uint32,
  hostID: uint32,
  size: uint32,
});

/** config.md#mounts, config.md#posix-platform-mounts */
export const MountSchema = z.looseObject({
  destination: z.string(),
  type: z.string().optional(),
  source: z.string().optional(),
  options: stringList.optional(),
  uidMappings: z.array(IdMappingSchema).optional(),
  gidMappings: z.array(IdMappingSchema).optional(),
});

export const RlimitTypeSchema = oneOf(RLIMIT_TYPES, 'rlimit');

/** config.md#posix-process */
export const RlimitSchema = z.looseObject({
  type: RlimitTypeSchema,
  soft: uint64,
  hard: uint64,
});

export const CapabilitySchema = oneOf(CAPABILITIES, 'capability');
const capabilityList = z.array(CapabilitySchema);

/** config.md#linux-process: the five capability sets */
export const CapabilitiesSchema = z.looseObject({
  bounding: capabilityList.optional(),
  effective: capabilityList.optional(),
  inheritable: capabilityList.optional(),
  permitted: capabilityList.optional(),
  ambient: capabilityList.optional(),
});

/** config.md#posix-platform-user; a missing uid/gid means 0, as in runc. */
export const UserSchema = z.looseObject({
  uid: uint32.default(0),
  gid: uint32.default(0),
  umask: uint32.optional(),
  additionalGids: z.array(uint32).optional(),
  username: z.string().optional(),
});

export const ConsoleSizeSchema = z.looseObject({
  height: uint32,
  width: uint32,
});

/** config.md#linux-process, scheduler (sched_setattr(2)) */
export const SchedulerSchema = z.looseObject({
  policy: oneOf(SCHEDULER_POLICIES, 'scheduler policy'),
  nice: int32.optional(),
  priority: int32.optional(),
  flags: z.array(oneOf(SCHEDULER_FLAGS, 'scheduler flag')).optional(),
  runtime: uint64.optional(),
  deadline: uint64.optional(),
  period: uint64.optional(),
});

/** config.md#linux-process, ioPriority (ioprio_set(2)) */
export const IoPrioritySchema = z.looseObject({
  class: oneOf(IOPRIO_CLASSES, 'I/O priority class'),
  priority: int32.optional(),
});

const cpuList = z.string().regex(/^[0-9, -]*$/, { error: 'expected a CPU list such as "0-3,7"' });

/** config.md#linux-process, execCPUAffinity */
export const CpuAffinitySchema = z.looseObject({
  initial: cpuList.optional(),
  final: cpuList.optional(),
});

/** config.md#process (+ POSIX and Linux process properties) */
export const ProcessSchema = z.looseObject({
  terminal: z.boolean().optional(),
  consoleSize: ConsoleSizeSchema.optional(),
  user: UserSchema.default({ uid: 0, gid: 0 }),
  // config.md#process: "at least one entry is REQUIRED (non-Windows)"
  args: stringList.min(1, { error: 'at least one entry is required' }),
  commandLine: z.string().optional(),
  env: stringList.optional(),
  cwd: z.string(),
  capabilities: CapabilitiesSchema.optional(),
  rlimits: z.array(RlimitSchema).optional(),
  noNewPrivileges: z.boolean().optional(),
  apparmorProfile: z.string().optional(),
  // proc(5): the kernel accepts -1000 … 1000 in oom_score_adj
  oomScoreAdj: integer(-1000, 1000).optional(),
  scheduler: SchedulerSchema.optional(),
  selinuxLabel: z.string().optional(),
  ioPriority: IoPrioritySchema.optional(),
  execCPUAffinity: CpuAffinitySchema.optional(),
});

/** config.md#posix-platform-hooks */
export const HookSchema = z.looseObject({
  path: z.string(),
  args: stringList.optional(),
  env: stringList.optional(),
  timeout: z.number().optional(),
});

const hookList = z.array(HookSchema);

export const HooksSchema = z.looseObject({
  prestart: hookList.optional(),
  createRuntime: hookList.optional(),
  createContainer: hookList.optional(),
  startContainer: hookList.optional(),
  poststart: hookList.optional(),
  poststop: hookList.optional(),
});

// ---------------------------------------------------------------------------
// config-linux.md

export const NamespaceTypeSchema = oneOf(NAMESPACE_TYPES, 'namespace type');

/** config-linux.md#namespaces */
export const LinuxNamespaceSchema = z.looseObject({
  type: NamespaceTypeSchema,
  path: z.string().optional(),
});

/** config-linux.md#offset-for-time-namespace */
export const LinuxTimeOffsetSchema = z.looseObject({
  secs: int64.optional(),
  nanosecs: uint32.optional(),
});

/** config-linux.md#devices; `major`/`minor` are required unless type is `p` (validate.ts). */
export const LinuxDeviceSchema = z.looseObject({
  type: oneOf(DEVICE_TYPES, 'device type'),
  path: z.string(),
  major: int64.optional(),
  minor: int64.optional(),
  // Not capped at 0o777: clients (docker, podman) send S_IFCHR|0666 = 8630.
  fileMode: uint32.optional(),
  uid: uint32.optional(),
  gid: uint32.optional(),
});

/** config-linux.md#network-devices */
export const LinuxNetDeviceSchema = z.looseObject({
  name: z.string().optional(),
});

/** config-linux.md#allowed-device-list */
export const LinuxDeviceCgroupSchema = z.looseObject({
  allow: z.boolean(),
  type: z.string().optional(),
  major: int64.optional(),
  minor: int64.optional(),
  access: z.string().optional(),
});

/** config-linux.md#memory: byte counts, -1 for unlimited */
export const LinuxMemorySchema = z.looseObject({
  limit: int64.optional(),
  reservation: int64.optional(),
  swap: int64.optional(),
  kernel: int64.optional(),
  kernelTCP: int64.optional(),
  swappiness: uint64.optional(),
  disableOOMKiller: z.boolean().optional(),
  useHierarchy: z.boolean().optional(),
  checkBeforeUpdate: z.boolean().optional(),
});

/** config-linux.md#cpu */
export const LinuxCpuSchema = z.looseObject({
  shares: uint64.optional(),
  quota: int64.optional(),
  burst: uint64.optional(),
  period: uint64.optional(),
  realtimeRuntime: int64.optional(),
  realtimePeriod: uint64.optional(),
  cpus: z.string().optional(),
  mems: z.string().optional(),
  idle: int64.optional(),
});

const blockIODevice = {
  major: int64,
  minor: int64,
};

export const LinuxWeightDeviceSchema = z.looseObject({
  ...blockIODevice,
  weight: uint16.optional(),
  leafWeight: uint16.optional(),
});

export const LinuxThrottleDeviceSchema = z.looseObject({
  ...blockIODevice,
  rate: uint64,
});

const throttleList = z.array(LinuxThrottleDeviceSchema);

/** config-linux.md#block-io */
export const LinuxBlockIOSchema = z.looseObject({
  weight: uint16.optional(),
  leafWeight: uint16.optional(),
  weightDevice: z.array(LinuxWeightDeviceSchema).optional(),
  throttleReadBpsDevice: throttleList.optional(),
  throttleWriteBpsDevice: throttleList.optional(),
  throttleReadIOPSDevice: throttleList.optional(),
  throttleWriteIOPSDevice: throttleList.optional(),
});

/** config-linux.md#huge-page-limits */
export const LinuxHugepageLimitSchema = z.looseObject({
  pageSize: z.string().regex(/^[1-9][0-9]*[KMG]B$/, { error: 'expected a page size such as "2MB"' }),
  limit: uint64,
});

/** config-linux.md#network */
export const LinuxNetworkSchema = z.looseObject({
  classID: uint32.optional(),
  priorities: z.array(z.looseObject({ name: z.string(), priority: uint32 })).optional(),
});

/** config-linux.md#pids: -1 means no limit; 0 is a real limit */
export const LinuxPidsSchema = z.looseObject({
  limit: int64.optional(),
});

/** config-linux.md#rdma */
export const LinuxRdmaSchema = z.looseObject({
  hcaHandles: uint32.optional(),
  hcaObjects: uint32.optional(),
});

/** config-linux.md#control-groups */
export const LinuxResourcesSchema = z.looseObject({
  devices: z.array(LinuxDeviceCgroupSchema).optional(),
  memory: LinuxMemorySchema.optional(),
  cpu: LinuxCpuSchema.optional(),
  pids: LinuxPidsSchema.optional(),
  blockIO: LinuxBlockIOSchema.optional(),
  hugepageLimits: z.array(LinuxHugepageLimitSchema).optional(),
  network: LinuxNetworkSchema.optional(),
  rdma: z.record(z.string(), LinuxRdmaSchema).optional(),
  unified: stringMap.optional(),
});

/** config-linux.md#intelrdt (1.1/1.2's enableCMT/enableMBM pass through as unknown) */
export const LinuxIntelRdtSchema = z.looseObject({
  closID: z.string().optional(),
  schemata: stringList.optional(),
  l3CacheSchema: z.string().optional(),
  memBwSchema: z.string().regex(/^MB:[^\n]*$/, { error: 'must start with "MB:" and contain no newline' }).optional(),
  enableMonitoring: z.boolean().optional(),
});

export const SeccompActionSchema = oneOf(SECCOMP_ACTIONS, 'seccomp action');

/** config-linux.md#seccomp, syscalls[].args[] */
export const LinuxSeccompArgSchema = z.looseObject({
  index: uint32,
  value: uint64,
  valueTwo: uint64.optional(),
  op: oneOf(SECCOMP_OPERATORS, 'seccomp operator'),
});

/** config-linux.md#seccomp, syscalls[] */
export const LinuxSyscallSchema = z.looseObject({
  names: stringList.min(1, { error: 'at least one syscall name is required' }),
  action: SeccompActionSchema,
  errnoRet: uint32.optional(),
  args: z.array(LinuxSeccompArgSchema).optional(),
});

/** config-linux.md#seccomp */
export const LinuxSeccompSchema = z.looseObject({
  defaultAction: SeccompActionSchema,
  defaultErrnoRet: uint32.optional(),
  architectures: z.array(oneOf(SECCOMP_ARCHES, 'seccomp architecture')).optional(),
  flags: z.array(oneOf(SECCOMP_FLAGS, 'seccomp flag')).optional(),
  listenerPath: z.string().optional(),
  listenerMetadata: z.string().optional(),
  syscalls: z.array(LinuxSyscallSchema).optional(),
});

/** config-linux.md#personality */
export const LinuxPersonalitySchema = z.looseObject({
  domain: oneOf(PERSONALITY_DOMAINS, 'personality domain'),
  flags: stringList.optional(),
});

/** config-linux.md#memory-policy */
export const LinuxMemoryPolicySchema = z.looseObject({
  mode: oneOf(MEMORY_POLICY_MODES, 'memory policy mode'),
  nodes: z.string().optional(),
  flags: z.array(oneOf(MEMORY_POLICY_FLAGS, 'memory policy flag')).optional(),
});

/** config-linux.md */
export const LinuxSchema = z.looseObject({
  namespaces: z.array(LinuxNamespaceSchema).optional(),
  uidMappings: z.array(IdMappingSchema).optional(),
  gidMappings: z.array(IdMappingSchema).optional(),
  timeOffsets: z.record(z.string(), LinuxTimeOffsetSchema).optional(),
  devices: z.array(LinuxDeviceSchema).optional(),
  netDevices: z.record(z.string(), LinuxNetDeviceSchema).optional(),
  cgroupsPath: z.string().optional(),
  rootfsPropagation: oneOf(ROOTFS_PROPAGATIONS, 'rootfs propagation').optional(),
  resources: LinuxResourcesSchema.optional(),
  intelRdt: LinuxIntelRdtSchema.optional(),
  sysctl: stringMap.optional(),
  seccomp: LinuxSeccompSchema.optional(),
  maskedPaths: stringList.optional(),
  readonlyPaths: stringList.optional(),
  mountLabel: z.string().optional(),
  personality: LinuxPersonalitySchema.optional(),
  memoryPolicy: LinuxMemoryPolicySchema.optional(),
});

// ---------------------------------------------------------------------------
// config-vm.md

const vmPathObject = {
  path: z.string(),
  parameters: stringList.optional(),
};

/** config-vm.md: the --vm backend reads these; kept loose, checked there. */
export const VmSchema = z.looseObject({
  hypervisor: z.looseObject({ ...vmPathObject }).optional(),
  kernel: z.looseObject({ ...vmPathObject, initrd: z.string().optional() }),
  image: z.looseObject({ path: z.string(), format: z.string() }).optional(),
  hwConfig: z.looseObject({}).optional(),
});

// ---------------------------------------------------------------------------
// the whole document

/** config.md: `root` is optional in the schema but required on Linux (validate.ts). */
export const SpecSchema = z.looseObject({
  ociVersion: z.string(),
  root: RootSchema.optional(),
  mounts: z.array(MountSchema).optional(),
  process: ProcessSchema.optional(),
  hostname: z.string().optional(),
  domainname: z.string().optional(),
  hooks: HooksSchema.optional(),
  annotations: stringMap.optional(),
  linux: LinuxSchema.optional(),
  vm: VmSchema.optional(),
});

// ---------------------------------------------------------------------------
// types (z.infer gives the parsed form: defaults applied, unknown keys kept)

export type Spec = z.infer<typeof SpecSchema>;
export type Root = z.infer<typeof RootSchema>;
export type Mount = z.infer<typeof MountSchema>;
export type IdMapping = z.infer<typeof IdMappingSchema>;
export type Process = z.infer<typeof ProcessSchema>;
export type User = z.infer<typeof UserSchema>;
export type ConsoleSize = z.infer<typeof ConsoleSizeSchema>;
export type Rlimit = z.infer<typeof RlimitSchema>;
export type RlimitType = z.infer<typeof RlimitTypeSchema>;
export type Capabilities = z.infer<typeof CapabilitiesSchema>;
export type Capability = z.infer<typeof CapabilitySchema>;
export type Scheduler = z.infer<typeof SchedulerSchema>;
export type IoPriority = z.infer<typeof IoPrioritySchema>;
export type CpuAffinity = z.infer<typeof CpuAffinitySchema>;
export type Hook = z.infer<typeof HookSchema>;
export type Hooks = z.infer<typeof HooksSchema>;
export type HookName = (typeof HOOK_NAMES)[number];
export type Linux = z.infer<typeof LinuxSchema>;
export type LinuxNamespace = z.infer<typeof LinuxNamespaceSchema>;
export type NamespaceType = z.infer<typeof NamespaceTypeSchema>;
export type LinuxTimeOffset = z.infer<typeof LinuxTimeOffsetSchema>;
export type LinuxDevice = z.infer<typeof LinuxDeviceSchema>;
export type LinuxNetDevice = z.infer<typeof LinuxNetDeviceSchema>;
export type LinuxDeviceCgroup = z.infer<typeof LinuxDeviceCgroupSchema>;
export type LinuxResources = z.infer<typeof LinuxResourcesSchema>;
export type LinuxMemory = z.infer<typeof LinuxMemorySchema>;
export type LinuxCpu = z.infer<typeof LinuxCpuSchema>;
export type LinuxBlockIO = z.infer<typeof LinuxBlockIOSchema>;
export type LinuxWeightDevice = z.infer<typeof LinuxWeightDeviceSchema>;
export type LinuxThrottleDevice = z.infer<typeof LinuxThrottleDeviceSchema>;
export type LinuxHugepageLimit = z.infer<typeof LinuxHugepageLimitSchema>;
export type LinuxNetwork = z.infer<typeof LinuxNetworkSchema>;
export type LinuxPids = z.infer<typeof LinuxPidsSchema>;
export type LinuxRdma = z.infer<typeof LinuxRdmaSchema>;
export type LinuxIntelRdt = z.infer<typeof LinuxIntelRdtSchema>;
export type LinuxSeccomp = z.infer<typeof LinuxSeccompSchema>;
export type LinuxSyscall = z.infer<typeof LinuxSyscallSchema>;
export type LinuxSeccompArg = z.infer<typeof LinuxSeccompArgSchema>;
export type SeccompAction = z.infer<typeof SeccompActionSchema>;
export type LinuxPersonality = z.infer<typeof LinuxPersonalitySchema>;
export type LinuxMemoryPolicy = z.infer<typeof LinuxMemoryPolicySchema>;
export type Vm = z.infer<typeof VmSchema>;

