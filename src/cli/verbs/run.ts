/** `joey run [--detach] [--bundle B] ID` — create, start, wait, delete (runc's run). */
import { runContainer } from '../../lifecycle/run.js';
import type { VerbBody } from '../fast.js';
import { createOptions, withEarlyVm } from './create.js';

export const run: VerbBody = async (c, g) => {
  const o = { ...createOptions(c), detach: !!c.opts.detach, keep: !!c.opts.keep };
  process.exitCode = g.vm
    ? await withEarlyVm(g, c.id, o, o.detach ? 'ports' : 'relay', (backend, early) => backend.vmRun(g, c.id, o, early))
    : await runContainer(g, c.id, o);
};
