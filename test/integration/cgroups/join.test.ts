/**
 * The cgroup join of a new container (config-linux.md#control-groups,
 * #namespaces): the runtime makes the cgroups and moves stage 2 into them
 * while stage 2 mounts, and stage 2 waits at sync-cgroup before its cgroup
 * mounts, device nodes and hooks, and creates its cgroup namespace only there.
 * Checked from inside (the probe's /proc/self/cgroup) and from the host, and
 * for a failure on the runtime's side of that overlap: nothing is left.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { cid, isRoot, joey, leftovers, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { cleanup, createSleeper, runProbe } from './../core/common.js';

/** `hierarchy-id:controllers:path` lines of a /proc/<pid>/cgroup text, as [controllers, path]. */
function cgroupLines(text: string): [string, string][] {
  return text
    .trim()
    .split('\n')
    .map((l) => {
      const a = l.indexOf(':');
      const b = l.indexOf(':', a + 1);
      return [l.slice(a + 1, b), l.slice(b + 1)] as [string, string];
    });
}

/** The hierarchies joey makes a cgroup in: every v1 controller mounted here, and the unified one. */
function hierarchies(): string[] {
  return cgroupLines(fs.readFileSync('/proc/self/cgroup', 'utf8')).map(([c]) => c);
}

describe.runIf(isRoot)('the cgroup join, overlapped with the init', () => {
  const root = stateRoot('cgroup-join');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));

  it('from the host: the container process is in /joey/<id> in every hierarchy', () => {
    const c = createSleeper(root);
    try {
      const lines = cgroupLines(fs.readFileSync(`/proc/${c.pid}/cgroup`, 'utf8'));
      expect(lines.map(([ctrl]) => ctrl).sort()).toEqual(hierarchies().sort());
      for (const [ctrl, path] of lines) expect(`${ctrl}:${path}`).toBe(`${ctrl}:/joey/${c.id}`);
      // and the dirs hold exactly that process
      const procs = fs.readFileSync(`/sys/fs/cgroup/memory/joey/${c.id}/cgroup.procs`, 'utf8').trim().split('\n');
      expect(procs).toEqual([String(c.pid)]);
    } finally {
      cleanup(root, c.id, c.bundle);
    }
  });

  it('from inside, with a cgroup namespace: every hierarchy is rooted at the container\'s own cgroup', () => {
    const r = runProbe(root, ['probe', 'cgroup']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = cgroupLines(r.stdout);
    expect(lines.map(([ctrl]) => ctrl).sort()).toEqual(hierarchies().sort());
    // unshared before the join, the namespace would be rooted at the caller's cgroup: `/joey/<id>`
    for (const [ctrl, path] of lines) expect(`${ctrl}:${path}`).toBe(`${ctrl}:/`);
    expect(r.leftovers).toEqual([]);
  });

  it('from inside, without a cgroup namespace: the host paths, /joey/<id>', () => {
    const r = runProbe(root, ['probe', 'cgroup'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const [ctrl, path] of cgroupLines(r.stdout)) expect(`${ctrl}:${path}`).toBe(`${ctrl}:/joey/${r.id}`);
  });

  it('a limit the kernel refuses, written while the init mounts: one line naming the field, and nothing left', () => {
    // cpuset.cpus of a cpu this host does not have: EINVAL from the write, in
    // afterPlan, when stage 1 may already have cloned stage 2.
    const b = makeBundle(['probe', 'echo', 'hi'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '4000' } };
    });
    bundles.push(b);
    for (let i = 0; i < 5; i++) {
      const id = cid();
      const r = joey(root, ['run', '--bundle', b, id], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(/linux\.resources\.cpu\.cpus/);
        expect(leftovers(root, id)).toEqual([]);
      } finally {
        cleanup(root, id);
      }
    }
  });
});
