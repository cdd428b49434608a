/** `joey pause` / `joey resume` — runc-pause.8, runc-resume.8: the freezer stops every process; state says paused. */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { isRoot, joey, leftovers, stateRoot } from '../helpers.js';
import { cpuTicks, sleepMs, startContainer, stateOf, waitFor } from './common.js';

describe.runIf(isRoot)('joey pause / resume (needs root: real containers)', () => {
  const root = stateRoot('cmd-pause');
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('pause stops a spinning process, state says paused, resume lets it run again', () => {
    const c = startContainer(root, ['/bin/probe', 'spin', '120']);
    cleanups.push(c.cleanup);
    // it is burning CPU before the pause
    const t0 = cpuTicks(c.pid);
    expect(waitFor(() => cpuTicks(c.pid) > t0, 10_000)).toBe(true);

    const p = joey(root, ['pause', c.id]);
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    expect(stateOf(root, c.id).status).toBe('paused');
    const st = JSON.parse(fs.readFileSync(`${root}/${c.id}/state.json`, 'utf8')) as { cgroup: { paths: Record<string, string> } };
    expect(fs.readFileSync(`${st.cgroup.paths['freezer']}/freezer.state`, 'utf8').trim()).toBe('FROZEN');
    const frozenAt = cpuTicks(c.pid);
    sleepMs(500);
    expect(cpuTicks(c.pid)).toBe(frozenAt);

    // runc's errors for the wrong state
    const again = joey(root, ['pause', c.id]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('joey: container not running\n');

    const r = joey(root, ['resume', c.id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(stateOf(root, c.id).status).toBe('running');
    expect(waitFor(() => cpuTicks(c.pid) > frozenAt, 10_000)).toBe(true);

    const notPaused = joey(root, ['resume', c.id]);
    expect(notPaused.status).toBe(1);
    expect(notPaused.stderr).toBe('joey: container not paused\n');
  }, 120_000);

  it('a paused container can be killed and deleted', () => {
    const c = startContainer(root, ['/bin/probe', 'sleep', '60']);
    cleanups.push(c.cleanup);
    expect(joey(root, ['pause', c.id]).status).toBe(0);
    expect(stateOf(root, c.id).status).toBe('paused');
    const d = joey(root, ['delete', '--force', c.id]);
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    expect(leftovers(root, c.id)).toEqual([]);
  }, 60_000);

  it('a stopped container cannot be paused', () => {
    const c = startContainer(root, ['/bin/probe', 'exit', '0']);
    cleanups.push(c.cleanup);
    expect(waitFor(() => stateOf(root, c.id).status === 'stopped', 10_000)).toBe(true);
    const r = joey(root, ['pause', c.id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('joey: container not running\n');
    const s = joey(root, ['resume', c.id]);
    expect(s.stderr).toBe('joey: container not paused\n');
  }, 60_000);
});
