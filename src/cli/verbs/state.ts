/** `joey state ID` — runtime.md#query-state; the state JSON, as runc prints it. */
import { containerState } from '../../lifecycle/state.js';
import type { VerbBody } from '../fast.js';
import { writeOut } from '../output.js';

export const run: VerbBody = async (c, g) => {
  writeOut(`${JSON.stringify(containerState(g, c.id), null, 2)}\n`);
};
