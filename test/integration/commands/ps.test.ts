/** `joey ps` — runc-ps.8: json lists host pids in the container's cgroup; table filters ps(1). */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { JOEY, isRoot, joey, leftovers, stateRoot } from '../helpers.js';
import { containerPids, filterPsOutput, pidColumn } from '../../../src/lifecycle/ps.js';
import { joeyDetached, startContainer, waitFor } from './common.js';

describe('ps output filtering (runc getPidIndex and row filter)', () => {
  const out = 'UID   PID  PPID CMD\nroot    1     0 init\nroot  42     1 probe sleep\nroot  43    42 probe\n';
  it('keeps the header and the rows whose PID column is a container pid', () => {
    expect(filterPsOutput(out, [42, 43])).toBe('UID   PID  PPID CMD\nroot  42     1 probe sleep\nroot  43    42 probe\n');
    expect(filterPsOutput(out, [])).toBe('UID   PID  PPID CMD\n');
  });
  it('needs a PID column, and a number in it', () => {
    expect(pidColumn('  PID TTY CMD')).toBe(0);
    expect(() => filterPsOutput('USER COMMAND\nroot x\n', [1])).toThrow("couldn't find PID field in ps output");
    expect(() => filterPsOutput('PID CMD\nabc x\n', [1])).toThrow('unable to parse pid');
  });
});

describe.runIf(isRoot)('joey ps (needs root: real containers)', () => {
  const root = stateRoot('cmd-ps');
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('json: the init and an exec’d process, as host pids; table: the same rows of ps -ef', () => {
    const c = startContainer(root, ['/bin/probe', 'sleep', '60']);
    cleanups.push(c.cleanup);
    const e = joeyDetached(root, ['exec', '--detach', c.id, '/bin/probe', 'sleep', '60']);
    expect(e.stderr).toBe('');
    expect(e.status).toBe(0);

    let pids: number[] = [];
    expect(waitFor(() => {
      const r = joey(root, ['ps', '--format', 'json', c.id]);
      pids = JSON.parse(r.stdout) as number[];
      return pids.length === 2;
    })).toBe(true);
    expect(pids).toContain(c.pid);
    const other = pids.find((p) => p !== c.pid)!;
    expect(fs.readFileSync(`/proc/${other}/cmdline`, 'utf8')).toBe('/bin/probe\0sleep\x0060\0');

    const t = joey(root, ['ps', c.id]);
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort()).toEqual([...pids].sort());

    // ps options after the id go to ps(1), dashes included; short -f is joey's only before the id
    const o = joey(root, ['ps', '-f', 'table', c.id, '-o', 'pid,comm']);
    expect(o.stderr).toBe('');
    expect(o.stdout.split('\n')[0]).toMatch(/^\s*PID COMMAND$/);
    expect(o.stdout).toMatch(new RegExp(`^\\s*${c.pid} probe$`, 'm'));
  }, 120_000);

  it('a child the init forked is listed (probe fork), with the init as its parent', async () => {
    // The children live 2 s: look for them in-process (the CLI's own function)
    // while `start` runs, so a loaded machine cannot make the window close first.
    const c = startContainer(root, ['/bin/probe', 'fork', '2', ';', 'sleep', '60'], undefined, false);
    cleanups.push(c.cleanup);
    const g = { root, debug: false, systemdCgroup: false, warn: () => {}, vm: false };
    const starter = spawn(JOEY, ['--root', root, 'start', c.id], { stdio: 'ignore' });
    let pids: number[] = [];
    let parents: number[] = [];
    const end = Date.now() + 20_000;
    while (Date.now() < end && pids.length < 3) {
      pids = await containerPids(g, c.id);
      parents = pids.filter((p) => p !== c.pid).map((p) => {
        try {
          return Number(/^PPid:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
        } catch {
          return -1; // exited meanwhile
        }
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => (starter.exitCode !== null ? r(null) : starter.on('exit', r)));
    expect(pids, `pids ${JSON.stringify(pids)}`).toHaveLength(3);
    expect(pids).toContain(c.pid);
    expect(parents.filter((p) => p !== -1).every((p) => p === c.pid)).toBe(true);
  }, 60_000);

  it('works with no PATH in the environment (podman runs joey with an empty one)', () => {
    const c = startContainer(root, ['/bin/probe', 'sleep', '60']);
    cleanups.push(c.cleanup);
    const r = spawnSync(JOEY, ['--root', root, 'ps', c.id], { encoding: 'utf8', env: {} });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    c.cleanup();
    expect(leftovers(root, c.id)).toEqual([]);
  }, 60_000);

  it('a container that does not exist is an error', () => {
    const r = joey(root, ['ps', 'no-such-container']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('joey: container does not exist\n');
  });
});
