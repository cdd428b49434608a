/** `joey list [--format table|json] [--quiet]` — every container under --root, as runc lists them. */
import { listContainers, renderTable } from '../../lifecycle/list.js';
import type { VerbBody } from '../fast.js';
import { writeOut } from '../output.js';

export const run: VerbBody = async (c, g) => {
  const rows = listContainers(g);
  if (c.opts.quiet) writeOut(rows.map((r) => `${r.id}\n`).join(''));
  else if (c.opts.format === 'json') writeOut(`${JSON.stringify(rows)}\n`);
  else writeOut(renderTable(rows));
};
