/** `joey delete [--force] ID` — runtime.md#delete. */
import { deleteContainer } from '../../lifecycle/delete.js';
import type { VerbBody } from '../fast.js';

export const run: VerbBody = async (c, g) => {
  await deleteContainer(g, c.id, !!c.opts.force);
};
