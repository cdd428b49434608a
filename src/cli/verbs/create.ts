/** `joey create [--bundle B] ID` — runtime.md#create. */
import { createContainer, type CreateOptions } from '../../lifecycle/create.js';
import type { FastCommand, VerbBody } from '../fast.js';

export function createOptions(c: FastCommand): CreateOptions {
  const o = c.opts;
  return {
    bundle: o.bundle as string | undefined,
    pidFile: o.pidFile as string | undefined,
    consoleSocket: o.consoleSocket as string | undefined,
    preserveFds: (o.preserveFds as number | undefined) ?? 0,
    noPivot: !!o.noPivot,
  };
}

export const run: VerbBody = async (c, g) => {
  // --vm: QEMU starts before the backend is loaded (src/vm/launch.ts says why)
  if (g.vm) {
    const o = createOptions(c);
    const { launchEarly, abandon } = await import('../../vm/launch.js');
    const early = launchEarly(g, c.id, o, 'ports');
    let backend;
    try {
      backend = await import('../../vm/backend.js');
    } catch (err) {
      if (early) abandon(early);
      throw err;
    }
    await backend.vmCreate(g, c.id, o, early);
    return;
  }
  await createContainer(g, c.id, createOptions(c));
};
