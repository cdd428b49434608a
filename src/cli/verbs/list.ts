/** `joey list [--format table|json] [--quiet]` — every container under --root, as runc lists them. */
import { listContainers, renderTable } from '../../lifecycle/list.js';
import type { VerbBody } from '../fast.js';

export const run: VerbBody = async (c, g) => {
  const rows = listContainers(g);
  if (c.opts.quiet) process.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
  else if (c.opts.format === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
  else process.stdout.write(renderTable(rows));
};
