/** status.ts: the /proc/<pid>/stat fields status derivation depends on. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStat } from '../../../src/lifecycle/status.js';

describe('parseProcStat', () => {
  it('reads state (field 3) and starttime (field 22) past a comm holding spaces and parentheses', () => {
    const line = '4242 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 19\n';
    expect(parseProcStat(line)).toEqual({ state: 'S', startTime: 987654 });
  });
  it('agrees with a plain field split on this process and on pid 1', () => {
    for (const pid of ['self', '1']) {
      const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      expect(parseProcStat(text)).toEqual({ state: fields[0], startTime: Number(fields[19]) });
    }
  });
  it('gives no start time for a truncated line (never alive)', () => {
    expect(parseProcStat('4242 (x) Z 1 2').startTime).toBeNaN();
  });
});
