/** kill.ts: signal names, and signalPid's refusal of a process that is not the container's init. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { signalNumber, signalPid } from '../../../src/lifecycle/kill.js';
import { procStat } from '../../../src/lifecycle/status.js';
import { UsageError } from '../../../src/errors.js';

describe('signalNumber', () => {
  it('takes names with and without SIG, numbers and real-time offsets; TERM by default', () => {
    expect(signalNumber(undefined)).toBe(15);
    expect(signalNumber('KILL')).toBe(9);
    expect(signalNumber('sigkill')).toBe(9);
    expect(signalNumber('9')).toBe(9);
    expect(signalNumber('SIGRTMIN')).toBe(34);
    expect(signalNumber('rtmin+3')).toBe(37);
    expect(signalNumber('SIGRTMAX-1')).toBe(63);
  });
  it('refuses unknown names and numbers out of range', () => {
    for (const bad of ['FOO', '0', '65', 'RTMIN+31', '-9']) expect(() => signalNumber(bad), bad).toThrow(UsageError);
  });
});

describe('signalPid', () => {
  it('signals only the process that started at the saved start time', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
    try {
      const pid = child.pid!;
      const startTime = procStat(pid)!.startTime;
      expect(signalPid({ pid: 0, startTime }, 9)).toBe(false);
      // another start time: a reused pid, left alone
      expect(signalPid({ pid, startTime: startTime + 1 }, 9)).toBe(false);
      expect(procStat(pid)?.state).not.toBe('Z');
      expect(signalPid({ pid, startTime }, 9)).toBe(true);
      expect(await exited).toBe('SIGKILL');
      // gone: nothing to signal
      expect(signalPid({ pid, startTime }, 9)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
