/**
 * Namespaces — runtime-spec config-linux.md#namespaces, #user-namespace-mappings
 * Kernel: namespaces(7), unshare(2), setns(2), user_namespaces(7), pid_namespaces(7)
 * Mirrors: runc libcontainer/nsenter/nsexec.c stage 1; youki process/channel + namespaces.rs
 *
 * Stage 1 joins the namespaces given by path and creates the others. The
 * user namespace comes first (joining or creating it decides what the rest
 * may do), the mount namespace joined by path comes last (joining it changes
 * what host paths like the rootfs and exec.fifo mean). A new pid namespace
 * only applies to children, hence the fork into stage 2.
 *
 * Without a user or time namespace, and with the pid namespace new or the
 * host's, there is nothing a stage 1 must do before the pid namespace
 * exists: the runtime then clones the init with CLONE_NEWPID itself
 * (directSpawn), and the init, PID 1 already, runs these ops as stage 2.
 */
import type { LinuxNamespace } from '../spec/types.js';
import { NAMESPACES } from './flags.js';
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';

const SPEC = 'config-linux.md#namespaces';

export interface NamespacePlan {
  ops: InitOp[];
  /** the namespace types the container gets new (not joined, not the host's) */
  created: Set<string>;
  /** the namespace types the container has at all (new or joined) */
  present: Set<string>;
  /**
   * A new cgroup namespace is not in stage 1's unshare: stage 2 creates it at
   * sync-cgroup, once the runtime has moved it into the container's cgroups
   * (the namespace's root is the cgroup its creator is in). Its flag, or 0.
   */
  cgroupns: { flags: number; from: string };
}

/**
 * The clone flags to spawn the init with when it can start as stage 2
 * (CLONE_NEWPID, or 0 for the host's pid namespace), or undefined when a
 * stage 1 must fork it: a user namespace (its id maps come from outside,
 * and the other namespaces must be created inside it), a time namespace
 * (its offsets are written before a process enters it, so it applies to
 * children only, as a pid namespace does), or a pid namespace joined by
 * path (setns(2) into it also moves only children).
 */
export function directSpawn(namespaces: readonly LinuxNamespace[] | undefined): number | undefined {
  let flags = 0;
  for (const ns of namespaces ?? []) {
    if (ns.type === 'user' || ns.type === 'time') return undefined;
    if (ns.type === 'pid') {
      if (ns.path) return undefined;
      flags |= NAMESPACES.pid!.flag;
    }
  }
  return flags;
}

/** `direct`: the init was cloned into its new pid namespace (directSpawn) and runs these ops as stage 2. */
export function namespaceOps(namespaces: readonly LinuxNamespace[] | undefined, direct = false): NamespacePlan {
  const stage = direct ? 'init' : 'init-child';
  const list = (namespaces ?? []).map((ns, i) => ({ ns, from: `linux.namespaces[${i}]` }));
  const ops: InitOp[] = [];
  const created = new Set<string>();
  const present = new Set<string>();
  for (const { ns } of list) {
    present.add(ns.type);
    if (!ns.path) created.add(ns.type);
  }

  const join = (filter: (t: string) => boolean) => {
    for (const { ns, from } of list) {
      if (!ns.path || !filter(ns.type)) continue;
      const flag = NAMESPACES[ns.type]!.flag;
      ops.push(initOp(stage, 'join-namespace', { nstype: flag, path: ns.path }, from, SPEC, {
        why: `setns(open(${ns.path}), ${flagName(flag)})`,
      }));
    }
  };

  join((t) => t === 'user');
  const userEntry = list.find(({ ns }) => ns.type === 'user' && !ns.path);
  if (userEntry) {
    ops.push(initOp('init-child', 'unshare', { flags: NAMESPACES.user!.flag }, userEntry.from, SPEC, {
      why: 'a new user namespace first: the other namespaces are then owned by it',
    }));
    ops.push(initOp('init-child', 'sync-idmap', {}, 'linux.uidMappings', 'config-linux.md#user-namespace-mappings', {
      why: 'the runtime writes /proc/<pid>/{setgroups,uid_map,gid_map} from outside, then we become root inside',
    }));
  }
  join((t) => t !== 'user' && t !== 'mount');
  let flags = 0;
  const froms: string[] = [];
  const cgroupns = { flags: 0, from: '' };
  for (const { ns, from } of list) {
    if (ns.path || ns.type === 'user' || (direct && ns.type === 'pid')) continue;
    if (ns.type === 'cgroup') {
      cgroupns.flags = NAMESPACES.cgroup!.flag;
      cgroupns.from = from;
      continue;
    }
    flags |= NAMESPACES[ns.type]!.flag;
    froms.push(from);
  }
  if (flags) ops.push(initOp(stage, 'unshare', { flags }, froms.join(','), SPEC));
  join((t) => t === 'mount');
  return { ops, created, present, cgroupns };
}

export function flagName(flag: number): string {
  for (const [type, { flag: f }] of Object.entries(NAMESPACES)) if (f === flag) return `CLONE_NEW${type === 'network' ? 'NET' : type === 'mount' ? 'NS' : type.toUpperCase()}`;
  return `0x${flag.toString(16)}`;
}
