/** isoTime writes exactly what Date's toISOString() writes, without Date. */
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/time.js';

describe('isoTime', () => {
  it('matches toISOString at the edges of days, months, leap years and centuries', () => {
    const edges = [
      0, 999, 1000, 86_399_999, 86_400_000,
      Date.UTC(2000, 1, 28, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(2000, 2, 1),
      Date.UTC(2100, 1, 28), Date.UTC(2100, 2, 1), Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2025, 0, 1),
      Date.UTC(2038, 0, 19, 3, 14, 8), Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('matches toISOString over random times from 1970 to 9999, and for now', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(next() * Date.UTC(9999, 11, 31));
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    const before = Date.now();
    const now = isoTime();
    expect(now >= new Date(before).toISOString() && now <= new Date().toISOString()).toBe(true);
  });
});
