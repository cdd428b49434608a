/**
 * compile(spec) → Plan: what runc does between specconv and
 * standard_init_linux.go, as data (docs/design.md §3, style.md §5).
 *
 * Pure: no I/O. What it needs from the host (cgroup layout, the container's
 * cgroup dirs, whether a bind source is a file) comes in `opts.host`, and the
 * seccomp filter comes in compiled (or 'later': create sends it after the
 * join). The order of the ops is the order the C init runs them;
 * test/unit/plan/ checks the invariants (pivot before masks,
 * seccomp placement, close_range after the last open, chdir then getcwd check).
 */
import type { Process, Spec } from '../spec/types.js';
import type { CompiledSeccomp } from '../linux/seccomp.js';
import { UnsupportedError } from '../errors.js';
import { directSpawn, namespaceOps, type NamespacePlan } from '../linux/namespaces.js';
import { mountOps, rootPropagation } from '../linux/mounts.js';
import { deviceOps, needsDevSetup } from '../linux/devices.js';
import { maskedPathOps, readonlyPathOps } from '../linux/masked-paths.js';
import { credentialOps, lateSecurityOps, type PlanSeccomp } from '../linux/capabilities.js';
import { cpuListMask, hostnameOps, personalityOps, rlimitOps, schedulingOps, sysctlOps } from '../linux/process-attrs.js';
import { NAMESPACES } from '../linux/flags.js';
import { initOp, runtimeOp } from './op.js';
import type { InitOp, Op, Plan } from './ops.js';
import type { HostInfo } from './host.js';

export interface CgroupPlan {
  /** directories the runtime will create */
  dirs: string[];
  /** resource writes, already mapped for the host's driver */
  writes: { file: string; value: string; from: string }[];
}

export interface CompileOptions {
  id: string;
  bundle: string;
  rootfs: string;
  /** <root>/<id> */
  stateDir: string;
  host: HostInfo;
  noPivot?: boolean;
  consoleSocket?: string;
  preserveFds?: number;
  /** the compiled filter, or 'later': sent as MSG.SECCOMP_FILTER (create without hooks; capabilities.ts PlanSeccomp) */
  seccomp?: PlanSeccomp;
  cgroup?: CgroupPlan;
  /** /proc/sys/kernel/cap_last_cap; default: the last capability joey knows */
  capLast?: number;
  /**
   * The runtime clones the init into its new pid namespace (directSpawn): no
   * stage 1, no fork-init; the init runs every op as stage 2. Only where
   * directSpawn allows it.
   */
  direct?: boolean;
}

/** What processOps needs from the host, and where it reports what it leaves out. */
interface ProcessHost {
  /** LSMs the host enforces; undefined: unknown, emit the label ops */
  lsms?: string[];
  capLast?: number;
  warnings: string[];
}

const HOOK_SPEC = 'config.md#posix-platform-hooks';
/** The hooks for which the init asks the runtime (sync-hooks: HOOKS_PLS, then HOOKS_ACK). */
export const SYNC_HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer'];

/** Whether the config has any hook of these kinds. */
export function hasHooks(spec: Spec, names: string[]): boolean {
  const hooks = (spec.hooks ?? {}) as Record<string, unknown[] | undefined>;
  return names.some((n) => (hooks[n]?.length ?? 0) > 0);
}

function runtimeHookOps(spec: Spec, name: string, when: string): Op[] {
  const hooks = ((spec.hooks ?? {}) as Record<string, { path: string }[] | undefined>)[name] ?? [];
  return hooks.map((h, i) => runtimeOp('hook', `${name}: ${h.path} (${when})`, `hooks.${name}[${i}]`, HOOK_SPEC));
}

/** createContainer / startContainer hooks, run by the init inside the container. */
function initHookOps(spec: Spec, name: 'createContainer' | 'startContainer'): InitOp[] {
  const hooks = spec.hooks?.[name] ?? [];
  return hooks.map((h, i) =>
    initOp('init', 'hook', { path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeout: h.timeout ?? 0 }, `hooks.${name}[${i}]`, HOOK_SPEC),
  );
}

function processOps(process: Process, seccomp: PlanSeccomp | undefined, purpose: 'create' | 'exec', host: ProcessHost): InitOp[] {
  const ops: InitOp[] = [];
  ops.push(...rlimitOps(process));
  if (process.user.umask !== undefined) {
    ops.push(initOp('init', 'umask', { value: process.user.umask }, 'process.user.umask', 'config.md#posix-process'));
  }
  // runc: an AppArmor profile on a host without AppArmor is ignored, and a
  // SELinux label without SELinux is a no-op; we say so in a warning.
  if (process.apparmorProfile) {
    if (host.lsms && !host.lsms.includes('apparmor')) {
      host.warnings.push(`process.apparmorProfile: AppArmor is not enabled on this host, profile ${JSON.stringify(process.apparmorProfile)} not applied (config.md#linux-process)`);
    } else {
      ops.push(initOp('init', 'set-label', { path: 'apparmor/exec', data: `exec ${process.apparmorProfile}` }, 'process.apparmorProfile', 'config.md#linux-process'));
    }
  }
  if (process.selinuxLabel) {
    if (host.lsms && !host.lsms.includes('selinux')) {
      host.warnings.push(`process.selinuxLabel: SELinux is not enabled on this host, label ${JSON.stringify(process.selinuxLabel)} not applied (config.md#linux-process)`);
    } else {
      ops.push(initOp('init', 'set-label', { path: 'exec', data: process.selinuxLabel }, 'process.selinuxLabel', 'config.md#linux-process'));
    }
  }
  ops.push(...schedulingOps(process));
  if (process.execCPUAffinity?.initial) {
    ops.push(initOp('init', 'set-cpu-affinity', { cpus: cpuListMask(process.execCPUAffinity.initial) }, 'process.execCPUAffinity.initial', 'config.md#linux-process'));
  }
  ops.push(...credentialOps(process, seccomp, { capLast: host.capLast, warnings: host.warnings }));
  ops.push(
    initOp('init', 'chdir', { path: process.cwd }, 'process.cwd', 'config.md#process'),
    initOp('init', 'verify-cwd', {}, 'process.cwd', 'config.md#process', {
      security: 'CVE-2024-21626',
      why: 'getcwd() must name a path inside the container, not "(unreachable)/…"',
    }),
    initOp('init', 'lookup-exec', { path: process.args[0]!, env: process.env ?? [] }, 'process.args[0]', 'config.md#process', {
      why: 'a missing executable is a create-time error, as in runc',
    }),
  );
  void purpose;
  return ops;
}

function finalOps(spec: Spec, process: Process, seccomp: PlanSeccomp | undefined, opts: { preserveFds: number; create: boolean }): InitOp[] {
  const ops: InitOp[] = [
    initOp('init', 'close-fds', { value: 3 + opts.preserveFds }, '', 'runtime.md#create', {
      security: 'CVE-2024-21626',
      why: `close_range(${3 + opts.preserveFds}, ~0U, CLOSE_RANGE_CLOEXEC): only stdio and preserved fds reach the process`,
    }),
    ...lateSecurityOps(process, seccomp),
    initOp('init', 'ready', {}, '', 'runtime.md#create', { why: 'the runtime writes the pid file and state, then exits' }),
  ];
  if (opts.create) {
    ops.push(initOp('init', 'wait-start', {}, '', 'runtime.md#start', { why: 'block on open(exec.fifo, O_WRONLY) until `joey start`' }));
    ops.push(...initHookOps(spec, 'startContainer'));
  }
  if (process.execCPUAffinity?.final) {
    ops.push(initOp('init', 'set-cpu-affinity', { cpus: cpuListMask(process.execCPUAffinity.final) }, 'process.execCPUAffinity.final', 'config.md#linux-process'));
  }
  ops.push(initOp('init', 'exec', { args: process.args, env: process.env ?? [] }, 'process.args', 'config.md#process'));
  return ops;
}

/**
 * Stage 1 (init-child): the exec.fifo handle, the console, the namespaces, up
 * to fork-init. With `direct`, the same ops without fork-init, run by the
 * init as stage 2 (it was cloned into its pid namespace already).
 */
function stage1Ops(spec: Spec, process: Process, ns: NamespacePlan, opts: Pick<CompileOptions, 'stateDir' | 'consoleSocket' | 'direct'>): Op[] {
  const ops: Op[] = [];
  const stage = opts.direct ? 'init' : 'init-child';
  ops.push(initOp(stage, 'open-exec-fifo', { path: `${opts.stateDir}/exec.fifo` }, '', 'runtime.md#start', { why: 'an O_PATH handle that survives pivot_root' }));
  if (process.terminal && opts.consoleSocket) {
    ops.push(initOp(stage, 'console-connect', { path: opts.consoleSocket }, 'process.terminal', 'config.md#process'));
  }
  if (process.oomScoreAdj !== undefined) {
    ops.push(initOp(stage, 'oom-score-adj', { value: process.oomScoreAdj }, 'process.oomScoreAdj', 'config.md#linux-process', {
      why: 'before the user namespace: lowering it needs CAP_SYS_RESOURCE on the host',
    }));
  }
  if (ns.created.has('user')) ops.push(runtimeOp('write-idmap', 'uid_map/gid_map of the init, on its request', 'linux.uidMappings', 'config-linux.md#user-namespace-mappings'));
  ops.push(...ns.ops);
  if (opts.direct) return ops;
  ops.push(
    initOp('init-child', 'fork-init', { announce: 1 }, '', 'config-linux.md#namespaces', {
      why: 'clone(CLONE_PARENT): stage 2 is PID 1 of a new pid namespace; the runtime gets its pid at once, to join it to the cgroups',
    }),
  );
  return ops;
}

/** Stage 1 waits for the runtime (uid_map/gid_map of a new user namespace): it cannot run ahead of the rest of the plan. */
function needsRuntime(ns: NamespacePlan): boolean {
  return ns.ops.some((op) => op.kind === 'sync-idmap');
}

/**
 * The first part of a create plan: stage 1's ops, which need nothing of the
 * host (no cgroup layout, no seccomp filter). create sends it as soon as the
 * init is spawned, so stage 1 unshares and clones stage 2 while Node compiles
 * the rest; compile() begins with exactly these ops, and stage 2 checks that
 * the whole plan it then reads does (PLAN_FLAGS.PARTIAL). Undefined when
 * stage 1 must wait for the runtime (a new user namespace's id maps).
 */
export function compileStage1(spec: Spec, opts: Pick<CompileOptions, 'id' | 'bundle' | 'rootfs' | 'stateDir' | 'consoleSocket'>): Plan | undefined {
  const process = spec.process;
  if (!process) return undefined;
  const ns = namespaceOps(spec.linux?.namespaces);
  if (!ns.present.has('mount') || needsRuntime(ns)) return undefined;
  return planOf(spec, opts, 'create', stage1Ops(spec, process, ns, opts), []);
}

function planOf(spec: Spec, opts: Pick<CompileOptions, 'id' | 'bundle' | 'rootfs'>, purpose: Plan['purpose'], ops: Op[], warnings: string[]): Plan {
  return { containerId: opts.id, ociVersion: spec.ociVersion, bundle: opts.bundle, rootfs: opts.rootfs, purpose, ops, warnings };
}

export function compile(spec: Spec, opts: CompileOptions): Plan {
  const process = spec.process;
  if (!process) throw new UnsupportedError('process: required to create a container (config.md#process)');
  const cloneFlags = directSpawn(spec.linux?.namespaces);
  if (opts.direct && cloneFlags === undefined) throw new Error('compile: direct spawn asked for a config that needs a stage 1');
  // SECCOMP_FILTER is sent unasked, after CGROUP_JOINED: no other exchange may come between (sync-hooks would)
  if (opts.seccomp === 'later' && hasHooks(spec, SYNC_HOOKS)) throw new Error('compile: a seccomp filter sent later with hooks that the init asks for');
  const ns = namespaceOps(spec.linux?.namespaces, opts.direct);
  if (!ns.present.has('mount')) {
    throw new UnsupportedError('linux.namespaces: a mount namespace is required to set up the rootfs (config-linux.md#namespaces)');
  }
  const userns = ns.created.has('user') || ns.present.has('user');
  const ops: Op[] = [];

  ops.push(runtimeOp('validate', 'config.json against runtime-spec', '', 'runtime.md#create'));
  ops.push(runtimeOp('lock-state', `${opts.stateDir} (flock), state "creating"`, '', 'runtime.md#state'));
  for (const dir of opts.cgroup?.dirs ?? []) ops.push(runtimeOp('cgroup-create', `mkdir ${dir}`, 'linux.cgroupsPath', 'config-linux.md#cgroups-path'));
  for (const w of opts.cgroup?.writes ?? []) ops.push(runtimeOp('cgroup-write', `${w.file} = ${JSON.stringify(w.value)}`, w.from, 'config-linux.md#control-groups', { security: 'cgroup path traversal (runc#4103)' }));
  const early = !needsRuntime(ns);
  const how = opts.direct
    ? `${cloneFlags ? 'clone(CLONE_NEWPID): PID 1 of the container\'s new pid namespace' : 'in the host\'s pid namespace'}, stage 2 from its first op (no user or time namespace to set up first); it blocks reading the plan`
    : early
      ? 'it runs stage 1 from a first part of the plan (up to fork-init) while the rest is compiled'
      : 'it blocks reading the plan';
  const pidEntry = (spec.linux?.namespaces ?? []).findIndex((n) => n.type === 'pid');
  const from = opts.direct && cloneFlags ? `linux.namespaces[${pidEntry}]` : '';
  ops.push(runtimeOp('spawn-init', `joey-init through a read-only overlay (or a sealed memfd copy); ${how}`, from, 'runtime.md#create', { security: 'CVE-2019-5736' }));
  if (opts.cgroup) {
    const when = opts.direct ? 'as soon as the plan is sent (the spawn gave its pid)' : 'once fork-init announces it';
    ops.push(runtimeOp('cgroup-join', `write stage 2's pid to cgroup.procs ${when}, while stage 2 mounts; then CGROUP_JOINED`, 'linux.cgroupsPath', 'config-linux.md#control-groups'));
  }

  ops.push(...stage1Ops(spec, process, ns, opts));

  // stage 2: the rootfs
  ops.push(initOp('init', 'setsid', {}, '', 'runtime.md#create'));
  ops.push(initOp('init', 'set-propagation', { flags: rootPropagation(spec.linux?.rootfsPropagation) }, 'linux.rootfsPropagation', 'config-linux.md#rootfs-mount-propagation', {
    why: 'no mount event may propagate back to the host',
  }));
  ops.push(initOp('init', 'bind-rootfs', { path: opts.rootfs, rootfs: opts.rootfs }, 'root.path', 'config.md#root'));
  const hasSelinux = opts.host.lsms.includes('selinux');
  // The runtime makes the cgroups and joins stage 2 to them while stage 2
  // mounts, not before the plan: the two take about as long, on two cores.
  // Stage 2 waits at sync-cgroup before anything that must see the
  // container's cgroups: a cgroup mount, a device node, a hook, the process.
  const syncCgroup = initOp('init', 'sync-cgroup', { flags: ns.cgroupns.flags || undefined }, ns.cgroupns.from || 'linux.cgroupsPath', 'config-linux.md#control-groups', {
    why: ns.cgroupns.flags ? 'a cgroup namespace is rooted where its creator is: create it only once inside the container\'s cgroups' : 'nothing below runs outside the container\'s cgroups',
  });
  const mounts = mountOps(spec.mounts, {
    bundle: opts.bundle,
    host: opts.host,
    cgroupns: ns.created.has('cgroup'),
    mountLabel: hasSelinux ? spec.linux?.mountLabel : undefined,
    cgroupBarrier: syncCgroup,
  });
  ops.push(...mounts);
  if (!mounts.includes(syncCgroup)) ops.push(syncCgroup);
  if (needsDevSetup(spec.mounts)) {
    const devpts = (spec.mounts ?? []).some((m) => m.destination === '/dev/pts' && m.type === 'devpts');
    ops.push(...deviceOps(spec.linux?.devices, { userns, devpts }));
  }
  if (process.cwd !== '/') {
    ops.push(initOp('init', 'mkdir-in-root', { path: process.cwd, mode: 0o755 }, 'process.cwd', 'config.md#process', {
      why: 'a missing cwd is created, as runc does (images whose WORKDIR does not exist rely on it); before root.readonly',
    }));
  }
  if (hasHooks(spec, SYNC_HOOKS)) {
    ops.push(initOp('init', 'sync-hooks', {}, 'hooks', HOOK_SPEC, { why: 'the runtime runs prestart and createRuntime hooks in its namespaces, and sends the state' }));
    ops.push(...runtimeHookOps(spec, 'prestart', 'at sync-hooks, runtime namespaces'), ...runtimeHookOps(spec, 'createRuntime', 'at sync-hooks, runtime namespaces'));
  }
  ops.push(...initHookOps(spec, 'createContainer'));
  ops.push(
    opts.noPivot
      ? initOp('init', 'move-root', { rootfs: opts.rootfs }, 'root.path', 'config.md#root', { security: 'chroot escape (security.md row 17)', why: '--no-pivot: MS_MOVE + chroot, escapable; only for ramfs roots' })
      : initOp('init', 'pivot-root', { rootfs: opts.rootfs }, 'root.path', 'config.md#root', { why: 'pivot_root(".", "."), then detach the old root' }),
  );
  if (process.terminal) {
    ops.push(initOp('init', 'console-setup', { rows: process.consoleSize?.height ?? 0, cols: process.consoleSize?.width ?? 0 }, 'process.terminal', 'config.md#process', { security: 'CVE-2025-52565' }));
  }
  ops.push(...readonlyPathOps(spec.linux?.readonlyPaths), ...maskedPathOps(spec.linux?.maskedPaths));
  if (spec.root?.readonly) ops.push(initOp('init', 'remount-root-ro', {}, 'root.readonly', 'config.md#root'));
  ops.push(...hostnameOps(spec), ...sysctlOps(spec.linux?.sysctl), ...personalityOps(spec));

  // stage 2: the process
  const warnings: string[] = [];
  const mountLabel = spec.linux?.mountLabel;
  if (mountLabel && !opts.host.lsms.includes('selinux')) {
    warnings.push(`linux.mountLabel: SELinux is not enabled on this host, label ${JSON.stringify(mountLabel)} not applied (config-linux.md#mount-label)`);
  }
  ops.push(...processOps(process, opts.seccomp, 'create', { lsms: opts.host.lsms, capLast: opts.capLast, warnings }));
  ops.push(...finalOps(spec, process, opts.seccomp, { preserveFds: opts.preserveFds ?? 0, create: true }));
  ops.push(runtimeOp('write-state', `pid file and ${opts.stateDir}/state.json: "created"`, '', 'runtime.md#state'));
  ops.push(...runtimeHookOps(spec, 'poststart', 'after start'), ...runtimeHookOps(spec, 'poststop', 'after delete'));

  return planOf(spec, opts, 'create', ops, warnings);
}

export interface ExecOptions {
  id: string;
  bundle: string;
  rootfs: string;
  /** the container init's pid on the host */
  initPid: number;
  consoleSocket?: string;
  preserveFds?: number;
  seccomp?: CompiledSeccomp;
  /** LSMs the host enforces; undefined: unknown, the label ops are kept */
  lsms?: string[];
  capLast?: number;
}

/**
 * `joey exec`: a second plan that joins every namespace the container has,
 * through /proc/<init>/ns/*, then runs `process` with its own credentials
 * (runc's setns_init_linux.go).
 */
export function compileExec(spec: Spec, process: Process, opts: ExecOptions): Plan {
  const ops: Op[] = [];
  ops.push(runtimeOp('spawn-init', 'joey-init through a read-only overlay (or a sealed memfd copy)', '', 'runtime.md', { security: 'CVE-2019-5736' }));
  ops.push(runtimeOp('cgroup-join', 'the container\'s cgroup', 'linux.cgroupsPath', 'config-linux.md#control-groups'));
  if (process.terminal && opts.consoleSocket) {
    ops.push(initOp('init-child', 'console-connect', { path: opts.consoleSocket }, 'process.terminal', 'config.md#process'));
  }
  const types = new Set<string>((spec.linux?.namespaces ?? []).map((n) => n.type));
  // user first, mount last: the same order as create.
  const order = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];
  for (const type of order) {
    if (!types.has(type)) continue;
    const { flag, proc } = NAMESPACES[type]!;
    ops.push(initOp('init-child', 'join-namespace', { nstype: flag, path: `/proc/${opts.initPid}/ns/${proc}` }, 'linux.namespaces', 'config-linux.md#namespaces'));
  }
  ops.push(initOp('init-child', 'fork-init', {}, '', 'config-linux.md#namespaces', { why: 'joining a pid namespace applies to children only' }));
  if (process.terminal) {
    ops.push(initOp('init', 'setsid', {}, '', 'runtime.md'));
    ops.push(initOp('init', 'console-setup', { rows: process.consoleSize?.height ?? 0, cols: process.consoleSize?.width ?? 0 }, 'process.terminal', 'config.md#process', { security: 'CVE-2025-52565' }));
  }
  const warnings: string[] = [];
  ops.push(...processOps(process, opts.seccomp, 'exec', { lsms: opts.lsms, capLast: opts.capLast, warnings }));
  ops.push(...finalOps(spec, process, opts.seccomp, { preserveFds: opts.preserveFds ?? 0, create: false }));
  return planOf(spec, opts, 'exec', ops, warnings);
}
