/**
 * src/process/signals.ts forwardSignals: while armed, each forwarded signal
 * joey gets goes to the target once, with its number; once stopped, a signal
 * is dropped (it neither reaches the target nor kills joey, as runc's signal
 * loop drops one that arrives while it cleans up). signal(7).
 */
import { describe, expect, it } from 'vitest';
import { exitStatus, forwardSignals } from '../../../src/process/signals.js';

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('forwardSignals', () => {
  it('forwards while armed, then drops signals once stopped', async () => {
    const got: [string, number][] = [];
    const stop = forwardSignals((sig, signo) => got.push([sig, signo]));
    try {
      process.kill(process.pid, 'SIGUSR2');
      await settle();
      process.kill(process.pid, 'SIGHUP');
      await settle();
      expect(got).toEqual([
        ['SIGUSR2', 12],
        ['SIGHUP', 1],
      ]);
      stop();
      // still installed, disarmed: we are not killed and nothing is forwarded
      process.kill(process.pid, 'SIGUSR2');
      await settle();
      expect(got).toHaveLength(2);
    } finally {
      stop();
    }
  });

  it('turns a wait status into runc’s exit status', () => {
    expect(exitStatus({ code: 7, signal: null })).toBe(7);
    expect(exitStatus({ code: null, signal: 9 })).toBe(137);
  });
});
