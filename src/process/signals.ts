/**
 * Foreground processes: forward the signals we get to the container process,
 * and turn its wait status into ours (runc's exit status convention:
 * the status, or 128 + the signal).
 */
// linux/signals.ts's table, not node:os: loading that module cost ~0.4 ms of every run and exec
import { SIGNALS } from '../linux/signals.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

/**
 * Forward our signals until the returned function is called: to a pid, or
 * through `send` (the --vm backend forwards them over its control channel).
 *
 * Stopping only disarms the handlers; they stay installed until the process
 * ends. Removing them closed one libuv signal handle per signal, ~0.26 ms of
 * every foreground `run` and `exec`, which end a moment later anyway. And a
 * signal that arrives after the container is gone (while `run` deletes it)
 * is dropped rather than killing joey half-way through the cleanup, as runc's
 * signal loop drops it.
 */
export function forwardSignals(target: number | ((sig: NodeJS.Signals, signo: number) => void)): () => void {
  let live = true;
  const h = (sig: NodeJS.Signals) => {
    if (!live) return;
    try {
      if (typeof target === 'number') process.kill(target, sig);
      else target(sig, SIGNALS[sig]!);
    } catch {
      /* gone */
    }
  };
  for (const sig of FORWARDED) process.on(sig, h);
  return () => {
    live = false;
  };
}

export function exitStatus(r: { code: number | null; signal: number | null }): number {
  return r.signal !== null ? 128 + r.signal : (r.code ?? 0);
}
