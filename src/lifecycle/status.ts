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

type ProcStat = { startTime: number; state: string };

/** Field 22 (starttime) and field 3 (state) of a /proc/<pid>/stat text. */
export function parseProcStat(text: string): ProcStat {
  // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
  // Scanning for the 19th space after the state instead of split(' ') saves ~50
  // strings per call; `list` calls this once per container.
  const at = text.lastIndexOf(')') + 2;
  let i = at;
  for (let n = 0; n < 19 && i > 0; n++) i = text.indexOf(' ', i) + 1;
  const end = text.indexOf(' ', i);
  return { state: text[at] ?? '?', startTime: i > 0 ? Number(text.slice(i, end < 0 ? undefined : end)) : NaN };
}

/** /proc/<pid>/stat's start time and state, or null if gone. */
export function procStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readSmall(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return null;
  }
}

/** Our init is alive: same start time (not a reused pid), not a zombie. */
export function aliveFrom(state: Pick<StoredState, 'pid' | 'startTime'>, st: ProcStat | null): boolean {
  return !!state.pid && st !== null && st.startTime === state.startTime && st.state !== 'Z' && st.state !== 'X';
}

export function isAlive(state: Pick<StoredState, 'pid' | 'startTime'>): boolean {
  return !!state.pid && aliveFrom(state, procStat(state.pid));
}

/**
 * The status from the facts it depends on, each asked only when needed:
 * `alive` (aliveFrom), whether exec.fifo exists, whether the cgroup is frozen.
 * `list` gathers the facts for every container in batches (list.ts).
 */
export function statusFrom(state: StoredState, alive: boolean, fifoExists: () => boolean, paused: () => boolean): Status {
  if (state.phase === 'creating') return alive || !state.pid ? 'creating' : 'stopped';
  if (!alive) return 'stopped';
  if (fifoExists()) return 'created';
  return paused() ? 'paused' : 'running';
}

export function deriveStatus(dir: string, state: StoredState, paused: () => boolean): Status {
  return statusFrom(state, isAlive(state), () => fs.existsSync(join(dir, 'exec.fifo')), paused);
}
