/**
 * Timestamps for state.json's `created` and the log's `time` — runtime.md
 * (state), RFC 3339 — without JavaScript's Date.
 *
 * The first toISOString() in a process costs ~0.8-1.0 ms here: V8 sets up
 * its date cache and ICU's time zone data before it breaks any time down,
 * even for UTC. `create` and `run` write one timestamp per call, so they
 * format Date.now()'s milliseconds themselves: the same text as
 * toISOString() ("2026-11-28T05:20:00.123Z"; test/unit/time.test.ts
 * compares the two), for any time from 1970 to 9999.
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `ms` (milliseconds since the epoch, default now) as toISOString() writes it. */
export function isoTime(ms: number = Date.now()): string {
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  // Days since 1970-01-01 to a proleptic Gregorian date (the era-based
  // civil_from_days; eras are 400 years, 146097 days, from 0000-03-01).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(inDay % 1000, 3)}Z`;
}
