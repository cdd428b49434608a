/**
 * pid reuse (security.md row 18): `kill` must not signal a process that only
 * has the container's old pid. The state records the init's start time
 * (/proc/<pid>/stat field 22); a mismatch means the container is gone.
 * Simulated by editing state.json's startTime of a running container.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cid, isRoot, joey, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { cleanup, joeyDetached, state } from './common.js';

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const st = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return st !== 'Z' && st !== 'X';
  } catch {
    return false;
  }
}

describe.runIf(isRoot)('pid reuse: kill checks the init start time', () => {
  const root = stateRoot('pid-reuse');
  const bundle = makeBundle(['/bin/probe', 'sleep', '60']);
  afterAll(() => removeBundle(bundle));

  it('a running container whose recorded start time no longer matches is not signalled', () => {
    const id = cid('reuse');
    const file = join(root, id, 'state.json');
    let saved: { startTime: number } | undefined;
    try {
      expect(joeyDetached(root, ['run', '-d', '--bundle', bundle, id])).toEqual({ status: 0, output: '' });
      const { pid } = state(root, id);
      expect(alive(pid)).toBe(true);
      saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { startTime: number };
      expect(saved.startTime).toBeGreaterThan(0);
      fs.writeFileSync(file, JSON.stringify({ ...saved, startTime: saved.startTime + 1 }));
      for (const sig of ['KILL', 'TERM']) {
        const r = joey(root, ['kill', id, sig]);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain('container not running');
      }
      expect(alive(pid)).toBe(true);
      // The real start time back: now it is the container and kill works.
      fs.writeFileSync(file, JSON.stringify(saved));
      expect(joey(root, ['kill', id, 'KILL']).status).toBe(0);
      for (let i = 0; i < 200 && alive(pid); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      expect(alive(pid)).toBe(false);
    } finally {
      // With a wrong start time delete believes it stopped and leaves its
      // processes; put the real one back before cleaning up.
      if (saved && fs.existsSync(file)) fs.writeFileSync(file, JSON.stringify(saved));
      cleanup(root, id);
    }
  });
});
