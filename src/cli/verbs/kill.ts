/** `joey kill [--all] ID [SIGNAL]` — runtime.md#kill. */
import { killContainer } from '../../lifecycle/kill.js';
import type { VerbBody } from '../fast.js';

export const run: VerbBody = async (c, g) => {
  await killContainer(g, c.id, c.signal, !!c.opts.all);
};
