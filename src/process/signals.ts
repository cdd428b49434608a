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
 */
export function forwardSignals(target: number | ((sig: NodeJS.Signals, signo: number) => void)): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      try {
        if (typeof target === 'number') process.kill(target, sig);
        else target(sig, SIGNALS[sig]!);
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
