/** `joey run [--detach] [--bundle B] ID` — create, start, wait, delete (runc's run). */
import { runContainer } from '../../lifecycle/run.js';
import type { VerbBody } from '../fast.js';
import { createOptions } from './create.js';

export const run: VerbBody = async (c, g) => {
  const o = { ...createOptions(c), detach: !!c.opts.detach, keep: !!c.opts.keep };
  // --vm: QEMU starts before the backend is loaded (src/vm/launch.ts says why)
  if (g.vm) {
    const { launchEarly, abandon } = await import('../../vm/launch.js');
    const early = launchEarly(g, c.id, o, o.detach ? 'ports' : 'relay');
    let backend;
    try {
      backend = await import('../../vm/backend.js');
    } catch (err) {
      if (early) abandon(early);
      throw err;
    }
    process.exitCode = await backend.vmRun(g, c.id, o, early);
    return;
  }
  process.exitCode = await runContainer(g, c.id, o);
};
