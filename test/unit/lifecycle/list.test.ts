/** list.ts: runc's table, byte for byte. */
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../src/lifecycle/list.js';
import type { StateOutput } from '../../../src/lifecycle/state.js';

const row = (id: string, pid: number, status: StateOutput['status'], bundle: string, owner = ''): StateOutput => ({
  ociVersion: '1.0.2',
  id,
  pid,
  status,
  bundle,
  rootfs: `${bundle}/rootfs`,
  created: '2026-11-28T01:07:39.792Z',
  owner,
});

describe('renderTable', () => {
  it('prints only the header for no containers', () => {
    expect(renderTable([])).toBe('ID   PID   STATUS   BUNDLE   CREATED   OWNER\n');
  });

  it('pads each column to its widest cell plus 3, owner root when unset, no trailing blanks', () => {
    const t = renderTable([row('a', 0, 'stopped', '/b'), row('a-much-longer-id', 123456, 'running', '/work/bundle', 'alice')]);
    expect(t).toBe(
      [
        'ID                 PID      STATUS    BUNDLE         CREATED                    OWNER',
        'a                  0        stopped   /b             2026-11-28T01:07:39.792Z   root',
        'a-much-longer-id   123456   running   /work/bundle   2026-11-28T01:07:39.792Z   alice',
        '',
      ].join('\n'),
    );
  });

  it('trims the padding of a row whose owner is blank', () => {
    expect(renderTable([row('x', 1, 'paused', '/b', ' ')]).split('\n')[1]).toBe('x    1     paused   /b       2026-11-28T01:07:39.792Z');
  });
});
