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
  await createContainer(g, c.id, createOptions(c));
};
