/** freezer.ts: `state`'s paused check, from the saved freezer file or an older state's cgroup paths. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freezerFile, isFrozen } from '../../../src/lifecycle/freezer.js';
import type { StoredState } from '../../../src/lifecycle/store.js';

const dir = mkdtempSync(join(tmpdir(), 'joey-freezer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const s = (over: Partial<StoredState>) => ({ id: 'c', pid: 1, ...over }) as StoredState;

describe('freezer', () => {
  it('names freezer.state on v1 (preferred), cgroup.events on v2, nothing without either', () => {
    expect(freezerFile({ paths: { freezer: '/f/c', '': '/u/c' } })).toBe('/f/c/freezer.state');
    expect(freezerFile({ paths: { '': '/u/c' } })).toBe('/u/c/cgroup.events');
    expect(freezerFile({ paths: { memory: '/m/c' } })).toBe('');
    expect(freezerFile(undefined)).toBe('');
  });

  it('isFrozen reads the saved file, or the one an older state implies', () => {
    writeFileSync(join(dir, 'freezer.state'), 'FROZEN\n');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    expect(isFrozen(s({ freezer: join(dir, 'freezer.state') }))).toBe(true);
    expect(isFrozen(s({ freezer: join(dir, 'cgroup.events') }))).toBe(false);
    expect(isFrozen(s({ cgroup: { paths: { freezer: dir } } }))).toBe(true);
    expect(isFrozen(s({ cgroup: { paths: { '': dir } } }))).toBe(false);
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    expect(isFrozen(s({ cgroup: { paths: { '': dir } } }))).toBe(true);
    // the saved file wins: '' is "no freezer", even with cgroup paths
    expect(isFrozen(s({ freezer: '', cgroup: { paths: { freezer: dir } } }))).toBe(false);
    expect(isFrozen(s({ freezer: join(dir, 'gone', 'freezer.state') }))).toBe(false);
  });
});
