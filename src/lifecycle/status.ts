/**
 * Container status — runtime-spec runtime.md#state (creating, created,
 * running, stopped; paused from runc)
 * Kernel: proc(5) /proc/<pid>/stat
 *
 * The status is derived, never stored: the init's pid plus its start time
 * (field 22 of /proc/<pid>/stat) tell our process from a reused pid; the
 * exec.fifo tells created from running; the freezer tells paused.
 */
import * as fs from 'node:fs';
import { readSmall } from './small-read.js';
import { join } from 'node:path';
import type { StoredState } from './store.js';

export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** Field 22 (starttime) and field 3 (state) of /proc/<pid>/stat, or null if gone. */
export function procStat(pid: number): { startTime: number; state: string } | null {
  let text: string;
  try {
    text = readSmall(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // comm (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '?', startTime: Number(rest[19]) };
}

export function isAlive(state: Pick<StoredState, 'pid' | 'startTime'>): boolean {
  if (!state.pid) return false;
  const st = procStat(state.pid);
  return st !== null && st.startTime === state.startTime && st.state !== 'Z' && st.state !== 'X';
}

export function deriveStatus(dir: string, state: StoredState, paused: () => boolean): Status {
  if (state.phase === 'creating') return isAlive(state) || !state.pid ? 'creating' : 'stopped';
  if (!isAlive(state)) return 'stopped';
  if (fs.existsSync(join(dir, 'exec.fifo'))) return 'created';
  return paused() ? 'paused' : 'running';
}
