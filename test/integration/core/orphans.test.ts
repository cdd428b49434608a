/**
 * A stopped container whose cgroup still holds processes (its init shared the
 * host's pid namespace, or a pod's, and left a child behind): `kill --all`
 * exits 0 and kills them, `delete` removes the cgroup — what containerd's
 * StopPodSandbox and cleanup rely on (runc behaves the same).
 */
import { describe, expect, it, afterAll } from 'vitest';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { isRoot, joey, stateRoot, cid, leftovers, makeBundle, removeBundle } from '../helpers.js';
import { exited, waitFor } from './common.js';

const busybox = fs.existsSync('/bin/busybox') ? '/bin/busybox' : undefined;

describe.runIf(isRoot && busybox)('processes left in a stopped container\'s cgroup (needs root and busybox-static)', () => {
  const root = stateRoot('orphans');
  const bundle = makeBundle(['/bin/busybox', 'sh', '-c', 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!'], (spec) => {
    // No pid namespace of its own: the init's exit does not take its child with it.
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'pid');
  });
  fs.copyFileSync(busybox!, join(bundle, 'rootfs', 'bin', 'busybox'));
  fs.chmodSync(join(bundle, 'rootfs', 'bin', 'busybox'), 0o755);
  afterAll(() => removeBundle(bundle));

  it('kill --all exits 0 and kills them; delete removes the cgroup', () => {
    const id = cid('orphan');
    const r = joey(root, ['run', '--keep', '--bundle', bundle, id]);
    expect(r.status).toBe(0);
    const orphan = Number(r.stdout.trim());
    expect(orphan).toBeGreaterThan(1);
    expect(exited(orphan)).toBe(false);
    expect(JSON.parse(joey(root, ['state', id]).stdout).status).toBe('stopped');
    const k = joey(root, ['kill', '--all', id, 'KILL']);
    expect(k.stderr).toBe('');
    expect(k.status).toBe(0);
    expect(waitFor(() => exited(orphan))).toBe(true);
    const d = joey(root, ['delete', id]);
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('delete alone also kills what is left, so the cgroup can go', () => {
    const id = cid('orphan');
    const r = joey(root, ['run', '--keep', '--bundle', bundle, id]);
    const orphan = Number(r.stdout.trim());
    expect(exited(orphan)).toBe(false);
    const d = joey(root, ['delete', id]);
    expect(d.status).toBe(0);
    expect(waitFor(() => exited(orphan))).toBe(true);
    expect(leftovers(root, id)).toEqual([]);
  });
});
