/**
 * run — runc's `run`: create + start, then (in the foreground) wait, forward
 * signals, delete, and exit with the container's status or 128 + signal.
 * The container process is our child (stage 2 was cloned with CLONE_PARENT),
 * so we reap it ourselves; libuv does not know its pid and leaves it to us.
 */
import { addon } from '../native/addon.js';
import { createContainer, type CreateOptions } from './create.js';
import { startContainer } from './start.js';
import { deleteContainer } from './delete.js';
import type { Globals } from './context.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

/** Forward our signals to pid until the returned function is called. */
export function forwardSignals(pid: number): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => handlers.forEach(([sig, h]) => process.off(sig, h));
}

export function exitStatus(r: { code: number | null; signal: number | null }): number {
  return r.signal !== null ? 128 + r.signal : (r.code ?? 0);
}

export async function runContainer(g: Globals, id: string, o: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  const created = await createContainer(g, id, o);
  const stop = o.detach ? () => {} : forwardSignals(created.pid);
  try {
    await startContainer(g, id);
  } catch (err) {
    stop();
    await deleteContainer(g, id, true);
    throw err;
  }
  if (o.detach) return 0;
  const result = await addon().waitAsync(created.pid);
  stop();
  if (!o.keep) await deleteContainer(g, id, true);
  return exitStatus(result);
}
