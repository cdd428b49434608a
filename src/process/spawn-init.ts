/**
 * Spawning the C init and speaking its sync protocol (the diagram is in
 * src/plan/ops.ts, MSG) — docs/design.md §1, §6
 * Kernel: fsopen(2)/fsmount(2) overlayfs, memfd_create(2) + F_SEAL_*,
 * unix(7) SOCK_SEQPACKET, SCM_RIGHTS
 * Security: CVE-2019-5736 — the init never runs from the file on disk: a
 * container that reaches /proc/<init>/exe finds either the file seen through
 * a private read-only overlayfs (EROFS to any writer) or, where that cannot
 * be made (no CAP_SYS_ADMIN, no overlayfs), a sealed memfd copy
 *
 * Node stays single-purpose here: it spawns (a vfork-style clone that execs
 * at once; no JS runs in the child), feeds the plan, answers requests, and returns when
 * the init says READY. The init is the one that changes namespaces.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { projectRoot } from '../paths.js';
import { addon } from '../native/addon.js';
import { InitError, RuntimeError, errnoText } from '../errors.js';
import { MSG, PLAN_FLAGS, type Plan } from '../plan/ops.js';
import { encodePlan, initOps } from '../plan/encode.js';
import { describeOp } from '../plan/render.js';
import { errnoName } from '../linux/errno.js';
import type { CompiledSeccomp } from '../linux/seccomp.js';

export const INIT_PATH = join(projectRoot(), 'native', 'build', 'joey-init');
/** the overlay's second, empty lower layer (native/Makefile makes it) */
export const INIT_EMPTY_LOWER = join(projectRoot(), 'native', 'build-empty');

/**
 * SECURITY(CVE-2019-5736): an fd of the init that no container can write
 * through. The read-only overlay costs no copy (~0.65 ms less per spawn here,
 * and the exec maps the page cache instead of fresh pages); the sealed memfd
 * copy is the fallback wherever the overlay cannot be made.
 */
export function sealedInit(a = addon()): number {
  try {
    return a.sealedOverlay(dirname(INIT_PATH), basename(INIT_PATH), INIT_EMPTY_LOWER);
  } catch {
    return a.sealedCopy(INIT_PATH, 'joey-init');
  }
}

export interface TraceEvent {
  index: number;
  kind: string;
  stage: number;
  errno: number;
  ns: number;
}

export interface InitHandlers {
  /** the init is in its new user namespace and waits for uid_map/gid_map */
  usermap?(pid: number): void;
  /** stage 2's host pid */
  pid?(pid: number): void;
  /** run prestart + createRuntime hooks; return the state JSON for in-container hooks */
  hooks?(): string;
  /** the seccomp notify fd (ownership passes to the handler) */
  seccompFd?(fd: number): void;
  trace?(ev: TraceEvent): void;
}

export interface SpawnOptions {
  preserveFds?: number;
  /** called with stage 1's pid before the plan is sent: exec's cgroup join */
  beforePlan?(pid: number): void;
  /**
   * Node's work that overlaps the init's once the plan is sent (create: the
   * cgroups and their limits). If it throws, the init dies.
   */
  afterPlan?(): void;
  /**
   * A plan with sync-cgroup: called with stage 2's pid as soon as fork-init
   * announces it (the cgroup join); CGROUP_JOINED then lets stage 2 on.
   */
  joinInit?(pid: number): void;
  /**
   * Node's work that the init does not wait for, done once CGROUP_JOINED is
   * out (create: the state files), while stage 2 goes on.
   */
  afterJoin?(): void;
  /**
   * A plan whose seccomp op is `late` (compile.ts, seccomp 'later'): the
   * filter, sent as SECCOMP_FILTER right after CGROUP_JOINED. Its lookup runs
   * while stage 2 mounts, which has more to do before its seccomp op than the
   * lookup takes. If it throws, the init dies. Only for a plan with
   * sync-cgroup (every create plan has one).
   */
  lateSeccomp?(): Promise<CompiledSeccomp>;
  trace?: boolean;
  /** how long to wait for the init between messages */
  timeoutMs?: number;
}

export interface SpawnedInit {
  /** host pid of the container process (stage 2) */
  pid: number;
  /**
   * Resolves once stage 1 has exited and been reaped. Await it before
   * returning: an unreaped stage 1 would be a zombie charged to the
   * container's pids cgroup until someone reaps it (pid 1 may take seconds).
   */
  stage1Reaped: Promise<void>;
}

/**
 * Room for any message of the init's: it sends at most 4 + 2048 bytes
 * (native/init/sync.c). Kept under glibc's mmap threshold (128 KiB), so the
 * addon's buffer comes from the heap: 256 KiB cost an mmap and an munmap per
 * message, and the munmap's TLB shootdown reached every thread of Node's.
 */
const INIT_MSG_MAX = 64 * 1024;

function u32(type: number, payload?: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(type);
  return payload ? Buffer.concat([head, payload]) : head;
}

// Opt-in timing hook for bench/ (issue #7): JOEY_TIMINGS=FILE appends one
// JSON line per spawn with hrtimes (ns) at spawn, around beforePlan (exec's
// cgroup join) and at READY, so the bench can compare the init's share of a
// start with a C floor. Off unless the variable is set; costs one env lookup.
// With it, the line also has Node's own steps (`steps`), the init's
// CLOCK_MONOTONIC stamps (`init`: its start, the plan read, the end of each op
// up to READY; PLAN_FLAGS.STAMPS), all on the same clock as hrtime, and the
// index of sync-cgroup (`sync`), whose stamps bound create's wait for the join.
const TIMINGS = process.env.JOEY_TIMINGS;

/** The plan header's flags; the first part of a plan carries the same ones, and PARTIAL. */
function planFlags(trace: boolean): number {
  return (trace ? PLAN_FLAGS.TRACE : 0) | (TIMINGS ? PLAN_FLAGS.STAMPS : 0);
}

/**
 * joey-init, running and blocked on its sync socket until it gets a plan.
 * create starts it first and prepares the plan meanwhile: exec'ing the init
 * and its libc start-up (~1.7 ms here) overlap Node's own work instead of
 * following it. Whoever holds one must hand it to spawnInit or abandon it.
 */
export interface StartedInit {
  /** stage 1's pid */
  pid: number;
  /** our end of the sync socket */
  fd: number;
  /** hrtimes for JOEY_TIMINGS: before the copy, after the spawn */
  t0: bigint;
  t1: bigint;
  steps: Record<string, string>;
  /** kill and reap it, close the socket (nothing half-made survives) */
  abandon(): void;
  /** cloned into the container's pid namespace as stage 2 (directSpawn): no stage 1, no PID message */
  direct: boolean;
}

/**
 * `first`: the first part of the plan (compileStage1), sent at once, flagged
 * PARTIAL: stage 1 then unshares and clones stage 2 while Node
 * compiles the rest, which spawnInit sends as the whole plan.
 */
export function startInit(preserveFds = 0, first?: Plan, trace = false, cloneFlags?: number): StartedInit {
  const direct = cloneFlags !== undefined;
  const firstPart = first ? encodePlan(first, planFlags(trace) | PLAN_FLAGS.PARTIAL, MSG.PLAN) : undefined;
  const a = addon();
  const t0 = TIMINGS ? process.hrtime.bigint() : 0n;
  const steps: Record<string, string> = {};
  const step = TIMINGS ? (name: string) => void (steps[name] = String(process.hrtime.bigint())) : () => {};
  let exeFd = -1;
  let parentFd = -1;
  let childFd = -1;
  try {
    // SECURITY(CVE-2019-5736): never exec the file on disk as it is.
    exeFd = sealedInit(a);
    step('exe');
    [parentFd, childFd] = a.socketpair();
    step('socketpair');
    const syncIndex = 3 + preserveFds;
    // The child's fd table: stdio and the preserved fds as they are, then
    // the sync socket. addon.spawnInit is a vfork-style clone + execveat of
    // that fd (native/addon/spawn.c says why not child_process).
    const fds = Array.from({ length: syncIndex }, (_, i) => i);
    fds.push(childFd);
    // direct: stage 2 from the start, PID 1 of the pid namespace the clone makes
    const pid = a.spawnInit(exeFd, [direct ? 'joey:[2:INIT]' : 'joey:[1:CHILD]', String(syncIndex), String(preserveFds)], fds, cloneFlags ?? 0);
    step('spawned');
    const fd = parentFd;
    parentFd = -1;
    const abandon = () => {
      killAndReap(pid);
      // with a first part, stage 1 may have cloned stage 2 and announced it
      const stage2 = firstPart ? queuedPid(fd) : 0;
      if (stage2) killAndReap(stage2);
      a.close(fd);
    };
    if (firstPart) {
      try {
        a.sendmsg(fd, firstPart, []);
      } catch (err) {
        abandon();
        throw err;
      }
    }
    return { pid, fd, t0, t1: TIMINGS ? process.hrtime.bigint() : 0n, steps, abandon, direct };
  } finally {
    for (const fd of [exeFd, childFd, parentFd]) if (fd >= 0) a.close(fd);
  }
}

/** Feed the plan to an init (one startInit made, or a new one), answer its requests, return at READY. */
export async function spawnInit(plan: Plan, opts: SpawnOptions, handlers: InitHandlers, started?: StartedInit): Promise<SpawnedInit> {
  // The plan is encoded before the init exists: it is pure Node work, and
  // done after the spawn it was the init that waited for it.
  const planMsg = encodePlan(plan, planFlags(opts.trace === true), MSG.PLAN);
  const ops = initOps(plan);
  const a = addon();
  const tHandover = TIMINGS ? process.hrtime.bigint() : 0n;
  let tJoin0 = 0n;
  let tJoin1 = 0n;
  const init0 = started ?? startInit(opts.preserveFds ?? 0);
  const steps = init0.steps;
  const step = TIMINGS ? (name: string) => void (steps[name] = String(process.hrtime.bigint())) : () => {};
  const parentFd = init0.fd;
  const pid = init0.pid;
  // A direct init is stage 2 itself, and its pid is known from the spawn.
  let stage2 = init0.direct ? pid : 0;
  // Nobody else reaps stage 1 (libuv only reaps its own children); we do,
  // once it has said READY or failed (reapInit). None with a direct init.
  const stage1 = init0.direct ? 0 : pid;
  const barrier = plan.ops.some((op) => op.kind === 'sync-cgroup');

  // Into the cgroups while stage 2 mounts; it waits at sync-cgroup.
  const join = async (p: number) => {
    try {
      opts.joinInit?.(p);
    } catch (err) {
      // ESRCH and the like from a stage 2 that already failed: its
      // ERROR is next in the socket, and says more.
      if (!exited(p)) throw err;
    }
    // (stage 2 may have failed before sync-cgroup)
    const on = sendUnlessGone(parentFd, u32(MSG.CGROUP_JOINED));
    step('joined');
    if (on && opts.lateSeccomp) sendSeccomp(parentFd, await opts.lateSeccomp());
    opts.afterJoin?.();
    step('afterJoin');
  };
  try {
    // the filter goes right after CGROUP_JOINED: a plan without the barrier would wait for it forever
    if (opts.lateSeccomp && !barrier) throw new Error('spawnInit: a late seccomp filter needs a plan with sync-cgroup');
    if (TIMINGS) tJoin0 = process.hrtime.bigint();
    opts.beforePlan?.(pid);
    if (TIMINGS) tJoin1 = process.hrtime.bigint();

    // false: stage 1, running from the plan's first part, failed already
    const sent = sendUnlessGone(parentFd, planMsg);
    step('sent');
    if (sent) opts.afterPlan?.();
    step('afterPlan');
    if (init0.direct) {
      handlers.pid?.(stage2);
      if (sent && barrier) await join(stage2);
    }
    const timeout = opts.timeoutMs ?? 60_000;

    for (;;) {
      let msg;
      try {
        msg = a.recvmsg(parentFd, INIT_MSG_MAX, timeout);
      } catch (err) {
        // An init that failed and exited without reading what we sent last
        // (the whole plan, CGROUP_JOINED) resets the socket: the error is
        // reported once, ahead of its ERROR message, which the next read gets.
        if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') continue;
        throw err;
      }
      if (msg.eof) throw new InitError('init exited without reporting an error', -1);
      const type = msg.data.readUInt32LE(0);
      const body = msg.data.subarray(4);
      switch (type) {
        case MSG.USERMAP_PLS:
          handlers.usermap?.(body.readUInt32LE(0));
          a.sendmsg(parentFd, u32(MSG.USERMAP_ACK), []);
          break;
        case MSG.PID:
          step('pid');
          stage2 = body.readUInt32LE(0);
          handlers.pid?.(stage2);
          if (barrier) await join(stage2);
          break;
        case MSG.HOOKS_PLS: {
          const state = handlers.hooks?.() ?? '{}';
          a.sendmsg(parentFd, u32(MSG.HOOKS_ACK, Buffer.from(state)), []);
          break;
        }
        case MSG.SECCOMP_FD:
          for (const fd of msg.fds) {
            if (handlers.seccompFd) handlers.seccompFd(fd);
            else a.close(fd);
          }
          a.sendmsg(parentFd, u32(MSG.SECCOMP_ACK), []);
          break;
        case MSG.OP: {
          const index = body.readUInt32LE(0);
          handlers.trace?.({
            index,
            kind: ops[index]?.kind ?? '?',
            errno: body.readInt32LE(4),
            ns: Number(body.readBigUInt64LE(8)),
            stage: body.readUInt32LE(16),
          });
          break;
        }
        case MSG.ERROR: {
          const index = body.readUInt32LE(0);
          const errnum = body.readInt32LE(4);
          const text = body.subarray(8, body.indexOf(0, 8) < 0 ? undefined : body.indexOf(0, 8)).toString();
          const op = ops[index];
          const where = op ? ` (op ${index} ${describeOp(op)}${op.from ? `, ${op.from}` : ''})` : '';
          const errno = errnum ? errnoName(errnum) : undefined;
          throw new InitError(`${text}${where}`, index, { errno, code: 'EINIT' });
        }
        case MSG.READY:
          if (!stage2) throw new InitError('init said ready before reporting its pid', -1);
          if (TIMINGS) {
            const ready = String(process.hrtime.bigint());
            const init = Array.from({ length: body.length >> 3 }, (_, i) => String(body.readBigUInt64LE(i * 8)));
            // handover: when the plan was ready for an init started earlier
            // (startInit); Node's work between the spawn and it overlapped
            // the init's start-up, and the bench subtracts it.
            const handover = String(tHandover > init0.t1 ? tHandover : init0.t1);
            // sync: the index of sync-cgroup among the init's ops, whose
            // stamps bound the init's wait for Node's cgroup join
            const line = { spawn: String(init0.t0), spawned: String(init0.t1), handover, join0: String(tJoin0), join1: String(tJoin1), ready, steps, init, sync: ops.findIndex((op) => op.kind === 'sync-cgroup') };
            fs.appendFileSync(TIMINGS, `${JSON.stringify(line)}\n`);
          }
          return { pid: stage2, stage1Reaped: stage1 ? reapInit(stage1) : Promise.resolve() };
        default:
          throw new InitError(`init sent an unknown message ${type}`, -1);
      }
    }
  } catch (err) {
    // Nothing half-made may survive: the init and its stage 2 die with us.
    if (stage1) killAndReap(stage1);
    // Stage 1 is gone now (reapInit waited for it): a PID it announced
    // while afterPlan ran is in the socket still. (Killed in the instant
    // between its clone and that message, it leaves a stage 2 we cannot name;
    // that one reads EOF at sync-cgroup and exits, and whoever reaps our
    // orphans reaps it.)
    if (!stage2 && barrier) stage2 = queuedPid(parentFd);
    // stage 2 is our child too (CLONE_PARENT): not reaped, it would be a zombie until we exit
    if (stage2) killAndReap(stage2);
    if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      throw new InitError(`init did not answer within ${(opts.timeoutMs ?? 60_000) / 1000}s: ${errnoText('ETIMEDOUT')}`, -1);
    }
    throw err;
  } finally {
    a.close(parentFd);
  }
}

/** SECCOMP_FILTER: u32 flags, then the struct sock_filter[] (native/init/security.c op_seccomp). */
function sendSeccomp(fd: number, c: CompiledSeccomp): void {
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(c.flags >>> 0);
  sendUnlessGone(fd, u32(MSG.SECCOMP_FILTER, Buffer.concat([flags, c.bpf])));
}

/**
 * Send to the init, or return false if it has failed and gone already: its
 * ERROR is then next in the socket, and says more than EPIPE would. A peer
 * caught while it closes reports ECONNRESET instead (seen when a directly
 * spawned init fails before sync-cgroup, as create sends CGROUP_JOINED).
 */
function sendUnlessGone(fd: number, msg: Buffer): boolean {
  try {
    addon().sendmsg(fd, msg, []);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'ECONNRESET') throw err;
    return false;
  }
}

/** SIGKILL a child of ours from the init (stage 1, or stage 2 after a failure) and reap it. */
function killAndReap(pid: number): void {
  if (pid <= 0) return; // never process.kill(0): that is our process group
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone (a zombie until reaped: its pid cannot be reused) */
  }
  void reapInit(pid);
}

/** Whether a child of ours has exited (a zombie, or reaped). */
function exited(pid: number): boolean {
  const stat = addon().readFiles([`/proc/${pid}/stat`])[0];
  if (stat === null || stat === undefined) return true;
  // the state is the field after the command name, which may hold ') '
  return stat[stat.lastIndexOf(')') + 2] === 'Z';
}

/** The stage 2 pid of a PID message already queued on the sync socket, or 0. */
function queuedPid(fd: number): number {
  const a = addon();
  try {
    for (;;) {
      const msg = a.recvmsg(fd, INIT_MSG_MAX, 0);
      for (const f of msg.fds) a.close(f);
      if (msg.eof) return 0;
      if (msg.data.readUInt32LE(0) === MSG.PID) return msg.data.readUInt32LE(4);
    }
  } catch {
    return 0; /* ETIMEDOUT: nothing (more) queued */
  }
}

/**
 * Reaps stage 1 (or, after a failure, a stage 2 we killed) on this thread.
 * By READY stage 1 has exited (it exits right after handing stage 2 its
 * pid), and after our SIGKILL it is about to: a poll on
 * its pidfd, then waitid. Not a blocking waitid on the libuv pool: its
 * first use starts four threads, ~2.5 ms of every start, on the path to READY.
 * Should it still run after a second, waitExit watches it on the event loop.
 */
function reapInit(pid: number): Promise<void> {
  const a = addon();
  const reaped = () => {
    try {
      return a.waitNoHang(pid) !== null;
    } catch {
      return true; /* ECHILD: someone else reaped it */
    }
  };
  if (reaped()) return Promise.resolve();
  try {
    const fd = a.pidfdOpen(pid);
    try {
      if (a.pidfdExited(fd, 1000) && reaped()) return Promise.resolve();
    } finally {
      a.close(fd);
    }
  } catch {
    /* no pidfd (ESRCH: already reaped): waitExit settles it at once */
  }
  // ECHILD: nothing of it is left to reap either.
  return a.waitExit(pid).then(
    () => {},
    () => {},
  );
}

/** /proc/<pid>/{setgroups,uid_map,gid_map} for an init in a new user namespace. */
export function writeIdMaps(pid: number, uid: { containerID: number; hostID: number; size: number }[], gid: typeof uid, rootless: boolean): void {
  const fmt = (m: typeof uid) => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
  // An unprivileged writer may only map gids after denying setgroups.
  if (rootless) fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
  fs.writeFileSync(`/proc/${pid}/uid_map`, fmt(uid));
  fs.writeFileSync(`/proc/${pid}/gid_map`, fmt(gid));
}
