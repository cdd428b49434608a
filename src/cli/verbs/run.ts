/** `joey run [--detach] [--bundle B] ID` — create, start, wait, delete (runc's run). */
import { runContainer } from '../../lifecycle/run.js';
import type { VerbBody } from '../fast.js';
import { createOptions } from './create.js';

export const run: VerbBody = async (c, g) => {
  process.exitCode = await runContainer(g, c.id, { ...createOptions(c), detach: !!c.opts.detach, keep: !!c.opts.keep });
};
