/**
 * The small reads of `kill` and `delete` through the addon, which both load
 * anyway for their pidfds: state.json and /proc/<pid>/stat by readFiles
 * (files.c), the state dir's removal by removeFlatDir (fds.c).
 *
 * A process pays the first call of each of fs's and Buffer's functions once,
 * and far more than the syscalls: fs.openSync + readSync + Buffer#toString
 * on a first small file cost 0.55 ms here, the addon's readFiles 0.2 ms;
 * readdirSync + unlinkSync + rmdirSync on a state dir 0.35 ms (measured,
 * fresh processes). These two verbs then never run fs's readers at all.
 * `state` and `list` keep store.ts and status.ts, which load no addon.
 *
 * Anything unusual (a missing or unreadable file, 64 KiB or more, a state
 * dir with a subdirectory) goes to store.ts and status.ts, which word the
 * errors exactly as before.
 */
import { join } from 'node:path';
import { addon } from '../native/addon.js';
import { readState, removeStateDir, stateDir, type StoredState } from './store.js';
import { aliveFrom, parseProcStat } from './status.js';

/** store.readState, one addon call in the common case. */
export function readStateByAddon(root: string, id: string): StoredState {
  const text = addon().readFiles([join(stateDir(root, id), 'state.json')])[0];
  return text === null || text === undefined ? readState(root, id) : (JSON.parse(text) as StoredState);
}

/** status.procStat: start time and state of a process, or null if it is gone. */
export function procStatByAddon(pid: number): ReturnType<typeof parseProcStat> | null {
  // UTF-8 instead of latin1 can only change bytes of the command name, which
  // parseProcStat skips: it counts fields after the last ')'
  const text = addon().readFiles([`/proc/${pid}/stat`])[0];
  return text === null || text === undefined ? null : parseProcStat(text);
}

/** Whether the container's init is still the process state.json names (start time checked). */
export function aliveByAddon(s: Pick<StoredState, 'pid' | 'startTime'>): boolean {
  return !!s.pid && aliveFrom(s, procStatByAddon(s.pid));
}

/**
 * A pidfd for the container's init, or undefined if it is gone. The caller
 * closes it. SECURITY(pid reuse, security.md row 18): the start time is
 * checked after the pidfd is open, so a signal sent through it can never
 * reach a process that reused the pid.
 */
export function initPidfd(s: Pick<StoredState, 'pid' | 'startTime'>): number | undefined {
  if (!s.pid) return undefined;
  const a = addon();
  let fd: number;
  try {
    fd = a.pidfdOpen(s.pid);
  } catch {
    return undefined; // gone
  }
  if (!aliveFrom(s, procStatByAddon(s.pid))) {
    a.close(fd);
    return undefined;
  }
  return fd;
}

/** store.removeStateDir: the dir holds only files, so one addon call unlinks them and removes it. */
export function removeStateDirByAddon(dir: string): void {
  try {
    addon().removeFlatDir(dir);
  } catch {
    removeStateDir(dir);
  }
}
