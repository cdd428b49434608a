/** `joey create [--bundle B] ID` — runtime.md#create. */
import { createContainer, type CreateOptions } from '../../lifecycle/create.js';
import type { FastCommand, VerbBody } from '../fast.js';
import type { Globals } from '../../lifecycle/context.js';

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

/**
 * --vm: start QEMU before the backend is loaded (src/vm/launch.ts says why),
 * then hand the early launch to the backend; a failed load abandons it.
 */
export async function withEarlyVm<T>(
  g: Globals,
  id: string,
  o: CreateOptions,
  mode: 'ports' | 'relay',
  use: (backend: typeof import('../../vm/backend.js'), early: ReturnType<typeof import('../../vm/launch.js').launchEarly>) => Promise<T>,
): Promise<T> {
  const { launchEarly, abandon } = await import('../../vm/launch.js');
  const early = launchEarly(g, id, o, mode);
  let backend;
  try {
    backend = await import('../../vm/backend.js');
  } catch (err) {
    if (early) abandon(early);
    throw err;
  }
  return use(backend, early);
}

export const run: VerbBody = async (c, g) => {
  const o = createOptions(c);
  if (g.vm) await withEarlyVm(g, c.id, o, 'ports', (backend, early) => backend.vmCreate(g, c.id, o, early));
  else await createContainer(g, c.id, o);
};
