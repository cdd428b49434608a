/**
 * ps — runc's `ps [--format table|json] ID [ps-options...]` (runc-ps.8)
 * Kernel: cgroups(7) cgroup.procs; ps(1)
 *
 * json: the host pids of every process in the container's cgroup (and its
 * sub-cgroups), from the cgroup manager. table: the host's ps(1), run at an
 * absolute path (the CLI may run with no PATH), filtered to the rows whose
 * PID column is one of those pids; the header line is always kept. As with
 * runc, a ps option that drops the PID column is an error, and columns with
 * spaces before PID make the filtering undefined.
 */
import { spawnSync } from 'node:child_process';
import { RuntimeError, UnsupportedError } from '../errors.js';
import { readState, type StoredState } from './store.js';
import { openManager } from './cgroup.js';
import type { CgroupManager, CgroupManagerState } from '../cgroups/manager.js';
import type { Globals } from './context.js';

/** Where ps(1) lives on Debian, Fedora and Alpine; the first that exists is used. */
export const PS_PATHS = ['/bin/ps', '/usr/bin/ps'];

/** The manager for a saved container; a container without cgroup state (--vm) has none. */
export async function managerOf(s: StoredState, what: string): Promise<CgroupManager> {
  if (!s.cgroup) throw new UnsupportedError(`${what}: container ${s.id} has no cgroup state`);
  return openManager(s.id, undefined, s.cgroup as CgroupManagerState, s.rootless === true);
}

export async function containerPids(g: Globals, id: string): Promise<number[]> {
  const s = readState(g.root, id);
  const m = await managerOf(s, 'ps');
  return m.pids();
}

/** The index of the `PID` column in ps's header line. */
export function pidColumn(header: string): number {
  const i = header.trim().split(/\s+/).indexOf('PID');
  if (i < 0) throw new RuntimeError("couldn't find PID field in ps output");
  return i;
}

/** Keep the header and the rows whose PID column is in `pids` (runc's filtering). */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const lines = output.split('\n');
  const idx = pidColumn(lines[0] ?? '');
  const want = new Set(pids);
  const out = [lines[0]!];
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const field = line.trim().split(/\s+/)[idx];
    const pid = field !== undefined && /^\d+$/.test(field) ? Number(field) : NaN;
    if (Number.isNaN(pid)) throw new RuntimeError(`unable to parse pid: ${JSON.stringify(field ?? '')}`);
    if (want.has(pid)) out.push(line);
  }
  return `${out.join('\n')}\n`;
}

export async function psTable(g: Globals, id: string, psArgs: string[], psPaths = PS_PATHS): Promise<string> {
  const pids = await containerPids(g, id);
  const args = psArgs.length > 0 ? psArgs : ['-ef'];
  const { existsSync } = await import('node:fs');
  const ps = psPaths.find((p) => existsSync(p));
  if (!ps) throw new UnsupportedError(`ps: no ps(1) at ${psPaths.map((p) => `\`${p}\``).join(' or ')}`);
  const r = spawnSync(ps, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) throw new RuntimeError(`ps: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) {
    const why = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new RuntimeError(`${why}: ${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim()}`);
  }
  return filterPsOutput(r.stdout, pids);
}
