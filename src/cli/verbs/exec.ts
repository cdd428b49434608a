/** `joey exec [flags] ID COMMAND...` or `--process FILE` — a new process in a running container. */
import { isRuntimeError } from '../../errors.js';
import { execInContainer, type ExecOptions } from '../../lifecycle/exec.js';
import type { VerbBody } from '../fast.js';

export const run: VerbBody = async (c, g) => {
  const o = { ...c.opts, preserveFds: (c.opts.preserveFds as number | undefined) ?? 0, args: c.args } as unknown as ExecOptions;
  try {
    process.exitCode = await execInContainer(g, c.id, o);
  } catch (err) {
    // runc exits 255 when exec itself fails (clients.md §6).
    if (isRuntimeError(err)) (err as { exitCode: number }).exitCode = 255;
    throw err;
  }
};
