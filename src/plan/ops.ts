/**
 * Plan ops — the vocabulary the C init understands (docs/design.md §3).
 *
 * Every op is data: a kind, its arguments, and where it came from (a JSON
 * path into config.json plus the runtime-spec section). Ops sit at the level
 * where the safety logic lives: one `mount` means "resolve the destination in
 * the rootfs with openat2, create the mountpoint there, mount via the fd".
 *
 * This file is the single source of the wire vocabulary: native/common/protocol.h
 * is generated from OP_KINDS, FIELDS and MSG below by src/plan/protocol-header.ts
 * (`npm run gen:protocol`); a unit test fails when the two drift apart.
 */

/** Stages, named like runc's runc:[0:PARENT], [1:CHILD], [2:INIT]. */
export type StageName = 'runtime' | 'init-child' | 'init';
export const STAGE_IDS: Record<StageName, number> = { runtime: 0, 'init-child': 1, init: 2 };

/**
 * Op kinds executed by the C init, with their wire ids. Runtime-stage ops
 * (executed by Node) are not encoded and have no id.
 * Never renumber: ids are the wire format.
 */
export const OP_KINDS = {
  'set-dumpable': 1,
  'oom-score-adj': 2,
  'join-namespace': 3,
  unshare: 4,
  'sync-idmap': 5,
  'fork-init': 6,
  setsid: 7,
  'set-propagation': 8,
  'bind-rootfs': 9,
  mount: 10,
  mknod: 11,
  symlink: 12,
  'sync-hooks': 13,
  hook: 14,
  'pivot-root': 15,
  'move-root': 16,
  'mask-path': 17,
  'readonly-path': 18,
  'remount-root-ro': 19,
  sethostname: 20,
  setdomainname: 21,
  sysctl: 22,
  setrlimit: 23,
  umask: 24,
  'console-connect': 25,
  'console-setup': 26,
  ready: 27,
  'set-groups': 28,
  'set-user': 29,
  'drop-bounding': 30,
  'set-caps': 31,
  'set-ambient': 32,
  'no-new-privs': 33,
  seccomp: 34,
  'close-fds': 35,
  chdir: 36,
  'open-exec-fifo': 37,
  'wait-start': 38,
  exec: 39,
  'set-personality': 40,
  'set-keepcaps': 41,
  'write-proc-self': 42,
  'mkdir-in-root': 43,
  'set-cpu-affinity': 44,
  'set-ioprio': 45,
  'set-scheduler': 46,
  'lookup-exec': 47,
  'set-label': 48,
  'verify-cwd': 49,
  'sync-cgroup': 50,
} as const;
export type InitOpKind = keyof typeof OP_KINDS;

/** Field value types on the wire. `strs` is a repeated string field. */
export type FieldType = 'u64' | 'str' | 'bytes' | 'strs';

/** Every field id, globally unique, with its type. Never renumber. */
export const FIELDS = {
  value: [1, 'u64'],
  flags: [2, 'u64'],
  path: [3, 'str'],
  nstype: [4, 'u64'],
  source: [5, 'str'],
  fstype: [6, 'str'],
  data: [7, 'str'],
  propagation: [8, 'u64'],
  mode: [9, 'u64'],
  major: [10, 'u64'],
  minor: [11, 'u64'],
  uid: [12, 'u64'],
  gid: [13, 'u64'],
  target: [14, 'str'],
  args: [15, 'strs'],
  env: [16, 'strs'],
  timeout: [17, 'u64'],
  stdin: [18, 'str'],
  name: [19, 'str'],
  key: [20, 'str'],
  resource: [21, 'u64'],
  soft: [22, 'u64'],
  hard: [23, 'u64'],
  rows: [24, 'u64'],
  cols: [25, 'u64'],
  gids: [26, 'strs'],
  effective: [27, 'u64'],
  permitted: [28, 'u64'],
  inheritable: [29, 'u64'],
  filter: [30, 'bytes'],
  fd: [31, 'u64'],
  /** for mounts: the destination must be a real directory (proc, sysfs: CVE-2019-19921) */
  must_be_dir: [32, 'u64'],
  /** for mounts: create the mountpoint as a file, not a directory (bind of a file) */
  as_file: [33, 'u64'],
  /** for mknod: bind the host device instead (user namespaces cannot mknod) */
  bind: [34, 'u64'],
  /** MS_* flags to clear on a bind remount (e.g. rw after ro) */
  clear: [35, 'u64'],
  cpus: [36, 'bytes'],
  policy: [37, 'u64'],
  priority: [38, 'u64'],
  /** for pivot-root/move-root/mask: the rootfs path on the host, for error messages */
  rootfs: [39, 'str'],
  /** a mount's recursive attributes for mount_setattr (rro etc.) */
  attr_set: [40, 'u64'],
  attr_clr: [41, 'u64'],
  /** for fork-init: stage 1 sends stage 2's pid itself, at once (the runtime joins it to the cgroups while it mounts) */
  announce: [42, 'u64'],
  /** for seccomp: the filter is not in the plan but comes as MSG.SECCOMP_FILTER (create looks it up while stage 2 mounts) */
  late: [43, 'u64'],
} as const satisfies Record<string, readonly [number, FieldType]>;
export type FieldName = keyof typeof FIELDS;

/**
 * Sync messages between the runtime (Node) and the init over a SOCK_SEQPACKET
 * pair. One message per packet: u32 type, then the payload.
 *
 *     [ init ]                         [ runtime ]
 *                                 <--  PLAN (encoded plan; or, for create,
 *                                      stage 1's part first, flag PARTIAL)
 *                                 <--  PLAN (the whole plan; stage 2 reads it
 *                                      after fork-init, when the first was PARTIAL)
 *     USERMAP_PLS {pid u32}       -->  write /proc/<pid>/{setgroups,uid_map,gid_map}
 *                                 <--  USERMAP_ACK
 *     PID {stage-2 host pid u32}  -->  (the container's pid; stage 2 sends it,
 *                                      from stage 1 over a pipe, before any
 *                                      other message of its own; with
 *                                      fork-init's `announce`, stage 1 sends
 *                                      it at once, then writes the pipe)
 *                                      create: move stage 2 into the cgroups
 *                                 <--  CGROUP_JOINED (stage 2 waits for it at
 *                                      sync-cgroup, then unshares its cgroup
 *                                      namespace)
 *                                 <--  SECCOMP_FILTER {flags u32, struct sock_filter[]}
 *                                      (create, without hooks: right after
 *                                      CGROUP_JOINED; the seccomp op marked
 *                                      `late` waits for it)
 *     HOOKS_PLS                   -->  run prestart + createRuntime hooks
 *                                 <--  HOOKS_ACK
 *     SECCOMP_FD + SCM_RIGHTS     -->  hand the notify fd to linux.seccomp.listenerPath
 *                                 <--  SECCOMP_ACK
 *     OP {index u32, errno i32, ns u64}   (only when the plan asks for a trace)
 *     READY [{stamps u64[]}]      -->  write pid file and state, exit (create);
 *                                      the stamps only when the plan asks for them
 *     ERROR {index u32, errno i32, msg}   (and the init exits)
 */
export const MSG = {
  PLAN: 1,
  USERMAP_PLS: 2,
  USERMAP_ACK: 3,
  PID: 4,
  HOOKS_PLS: 5,
  HOOKS_ACK: 6,
  SECCOMP_FD: 7,
  SECCOMP_ACK: 8,
  OP: 9,
  READY: 10,
  ERROR: 11,
  CGROUP_JOINED: 12,
  SECCOMP_FILTER: 13,
} as const;

/** Plan header flags. */
export const PLAN_FLAGS = {
  /** report every op (MSG.OP) for `joey trace` / `--debug` */
  TRACE: 1,
  /**
   * READY carries CLOCK_MONOTONIC stamps (ns): the init's start, the plan
   * read, then the end of every op up to READY (JOEY_TIMINGS, for bench/).
   * Unlike TRACE it sends no extra message, so it barely perturbs what it times.
   */
  STAMPS: 2,
  /**
   * The first part of a create plan: stage 1's ops, up to fork-init (compile.ts
   * compileStage1). Stage 2 then reads the whole plan as a second PLAN message
   * and checks that it begins with exactly these ops.
   */
  PARTIAL: 4,
} as const;

export const PLAN_MAGIC = 0x4e4c504a; // "JPLN" little-endian
export const PLAN_VERSION = 1;
/** Upper bounds the C decoder enforces (CVE-2021-43784: bound every length). */
export const PLAN_LIMITS = {
  MAX_PLAN_BYTES: 4 * 1024 * 1024,
  MAX_OPS: 4096,
  MAX_FIELDS_PER_OP: 65535,
} as const;

/** Where an op came from. */
export interface OpSource {
  /** JSON path into config.json (`linux.maskedPaths[3]`), or '' when implied */
  from: string;
  /** runtime-spec section (`config-linux.md#masked-paths`) or the runtime's own doc */
  spec: string;
  /** the advisory this op's mechanics guard against */
  security?: string;
  /** a short why, printed by `joey plan` */
  why?: string;
}

export type FieldValues = Partial<{
  [K in FieldName]: (typeof FIELDS)[K][1] extends 'u64'
    ? number | bigint
    : (typeof FIELDS)[K][1] extends 'strs'
      ? string[]
      : (typeof FIELDS)[K][1] extends 'bytes'
        ? Buffer
        : string;
}>;

/** An op the C init executes. */
export interface InitOp extends OpSource {
  stage: 'init-child' | 'init';
  kind: InitOpKind;
  args: FieldValues;
}

/** An op Node executes itself (cgroups, hooks, state), shown by `joey plan`. */
export interface RuntimeOp extends OpSource {
  stage: 'runtime';
  kind:
    | 'validate'
    | 'lock-state'
    | 'cgroup-create'
    | 'cgroup-write'
    | 'spawn-init'
    | 'cgroup-join'
    | 'write-idmap'
    | 'hook'
    | 'write-state';
  /** free-form details for rendering */
  detail: string;
}

export type Op = InitOp | RuntimeOp;

export interface Plan {
  containerId: string;
  ociVersion: string;
  bundle: string;
  rootfs: string;
  /** what the plan is for: a new container, or a process joining one */
  purpose: 'create' | 'exec';
  ops: Op[];
  /** host features the plan could not honour, reported, never ignored */
  warnings: string[];
}
