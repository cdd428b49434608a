/** list.ts: runc's table byte for byte, and every status from state files of the current and older layouts. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listContainers, renderTable } from '../../../src/lifecycle/list.js';
import type { StateOutput } from '../../../src/lifecycle/state.js';
import { parseProcStat } from '../../../src/lifecycle/status.js';
import { writeState, type StoredState } from '../../../src/lifecycle/store.js';
import type { Globals } from '../../../src/lifecycle/context.js';

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

describe('listContainers', () => {
  const root = mkdtempSync(join(tmpdir(), 'joey-list-'));
  const cgroups = mkdtempSync(join(tmpdir(), 'joey-list-cg-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(cgroups, { recursive: true, force: true });
  });
  // this test process stands in for every container's init: alive, not a zombie
  const me = { pid: process.pid, startTime: parseProcStat(readFileSync('/proc/self/stat', 'latin1')).startTime };

  /** A state dir for `id`; its freezer dir (v1 freezer.state, or v2 cgroup.events) holds `frozen`. */
  function container(id: string, o: { frozen?: string; v2?: boolean; layout?: 'old'; fifo?: boolean; over?: Partial<StoredState> }) {
    const dir = join(root, id);
    const cg = join(cgroups, id);
    mkdirSync(dir);
    mkdirSync(cg);
    if (o.frozen !== undefined) writeFileSync(join(cg, o.v2 ? 'cgroup.events' : 'freezer.state'), o.frozen);
    const s: StoredState = {
      ociVersion: '1.0.2',
      id,
      ...me,
      bundle: `/b/${id}`,
      rootfs: `/b/${id}/rootfs`,
      created: '2026-11-28T01:07:39.792Z',
      owner: '',
      phase: 'created',
      cgroup: { driver: o.v2 ? 'v2' : 'v1', paths: o.v2 ? { '': cg } : { freezer: cg }, created: [], layout: {} },
      rootless: false,
      ...o.over,
    };
    // before `freezer`: the cgroup section in the middle, nothing derived from it
    if (o.layout === 'old') writeFileSync(join(dir, 'state.json'), JSON.stringify(s));
    else writeState(dir, s);
    if (o.fifo) writeFileSync(join(dir, 'exec.fifo'), ''); // only its presence is asked
  }

  it('derives every status from current and older state files, skipping what is not a state', () => {
    container('paused', { frozen: 'FROZEN\n' });
    container('running', { frozen: 'THAWED\n' });
    container('paused-v2', { frozen: 'populated 1\nfrozen 1\n', v2: true });
    container('old-paused', { frozen: 'FROZEN\n', layout: 'old' });
    container('old-running', { frozen: 'THAWED\n', layout: 'old' });
    container('created', { frozen: 'FROZEN\n', fifo: true });
    container('stopped', { over: { startTime: me.startTime + 1 } });
    container('creating', { over: { pid: 0, startTime: 0, phase: 'creating' } });
    container('annotated', { frozen: 'FROZEN\n', over: { annotations: { cgroup: 'x', other: 'y' } } });
    container('no-cgroup', { over: { cgroup: undefined } });
    mkdirSync(join(root, 'being-made'));
    mkdirSync(join(root, 'half'));
    writeFileSync(join(root, 'half', 'state.json'), '{"ociVersion":"1.0.2","id":"ha');
    const got = listContainers({ root } as Globals).sort((a, b) => a.id.localeCompare(b.id));
    expect(got.map((c) => [c.id, c.status, c.pid])).toEqual([
      ['annotated', 'paused', me.pid],
      ['created', 'created', me.pid],
      ['creating', 'creating', 0],
      ['no-cgroup', 'running', me.pid],
      ['old-paused', 'paused', me.pid],
      ['old-running', 'running', me.pid],
      ['paused', 'paused', me.pid],
      ['paused-v2', 'paused', me.pid],
      ['running', 'running', me.pid],
      ['stopped', 'stopped', 0],
    ]);
    expect(got[0]).toEqual({
      ociVersion: '1.0.2',
      id: 'annotated',
      pid: me.pid,
      status: 'paused',
      bundle: '/b/annotated',
      rootfs: '/b/annotated/rootfs',
      created: '2026-11-28T01:07:39.792Z',
      annotations: { cgroup: 'x', other: 'y' },
      owner: '',
    });
  });
});
