/**
 * Foreground processes: forward the signals we get to the container process,
 * and turn its wait status into ours (runc's exit status convention:
 * the status, or 128 + the signal).
 */
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
