/** list — runc's `list [--format table|json] [-q]`; per container: one small JSON read and one /proc read. */
import { listIds, readState } from './store.js';
import { stateOf, type StateOutput } from './state.js';
import type { Globals } from './context.js';

export function listContainers(g: Globals): StateOutput[] {
  const out: StateOutput[] = [];
  for (const id of listIds(g.root)) {
    try {
      out.push(stateOf(g.root, readState(g.root, id)));
    } catch {
      /* a state dir being created or deleted right now */
    }
  }
  return out;
}

export function renderTable(rows: StateOutput[]): string {
  const head = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
  const data = rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner || 'root']);
  const widths = head.map((h, i) => Math.max(h.length, ...data.map((d) => d[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd();
  return [line(head), ...data.map(line)].join('\n') + '\n';
}
