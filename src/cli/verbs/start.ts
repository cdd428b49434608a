/** `joey start ID` — runtime.md#start. */
import { startContainer } from '../../lifecycle/start.js';
import type { VerbBody } from '../fast.js';

export const run: VerbBody = async (c, g) => {
  await startContainer(g, c.id);
};
