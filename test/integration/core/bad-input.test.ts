/**
 * Bad input (runtime.md#create, #errors): each case fails with one line that
 * names the cause, and leaves no state dir, cgroup dir or process behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { cid, isRoot, joey, leftovers, makeBundle, removeBundle, stateRoot, type JoeyResult } from '../helpers.js';
import type { Spec } from '../../../src/spec/types.js';
import { cleanup, joeyToFiles, tmpDir } from './common.js';

describe.runIf(isRoot)('bad input', () => {
  const root = stateRoot('core-bad');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));

  function bundle(args: string[] = ['probe', 'echo', 'hi'], edit: (s: Spec) => void = () => {}): string {
    const b = makeBundle(args, edit);
    bundles.push(b);
    return b;
  }

  /** create must fail with one stderr line matching `re`, leaving nothing for `id`. */
  function refused(b: string, re: RegExp, id = cid()): JoeyResult {
    const r = joey(root, ['create', '--bundle', b, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^joey: /);
      expect(r.stderr).toMatch(re);
      if (id !== '../x') expect(leftovers(root, id)).toEqual([]);
    } finally {
      if (id !== '../x') cleanup(root, id);
    }
    return r;
  }

  it('invalid JSON in config.json', () => {
    const b = bundle();
    fs.writeFileSync(join(b, 'config.json'), '{"ociVersion": "1.2.0", "process": {');
    refused(b, /config\.json/);
  });

  it('an unknown ociVersion', () => {
    const b = bundle(undefined, (s) => {
      s.ociVersion = '9.0.0';
    });
    refused(b, /ociVersion.*9\.0\.0|9\.0\.0.*ociVersion/);
  });

  it('a bad id', () => {
    const b = bundle();
    refused(b, /id/, '../x');
    expect(fs.existsSync(join(root, '..', 'x'))).toBe(false);
    expect(fs.existsSync(join(root, 'x'))).toBe(false);
  });

  it('a duplicate id: the first container is untouched', () => {
    const b = bundle(['probe', 'wait-signal']);
    const id = cid();
    const first = joeyToFiles(root, ['create', '--bundle', b, id]);
    try {
      expect(first.err()).toBe('');
      expect(first.status).toBe(0);
      const pid = JSON.parse(joey(root, ['state', id]).stdout).pid as number;
      const r = joey(root, ['create', '--bundle', b, id], { stdio: ['ignore', 'pipe', 'pipe'] });
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`exists.*${id}|${id}.*exists`));
      const st = JSON.parse(joey(root, ['state', id]).stdout);
      expect(st).toMatchObject({ status: 'created', pid });
    } finally {
      cleanup(root, id);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a missing rootfs', () => {
    const b = bundle();
    fs.rmSync(join(b, 'rootfs'), { recursive: true });
    refused(b, /rootfs/);
  });

  it('a missing executable', () => {
    const b = bundle(['no-such-program', 'x']);
    refused(b, /executable file not found in \$PATH|no such file or directory/);
    const abs = bundle(['/bin/no-such-program']);
    refused(abs, /no-such-program.*(no such file or directory|executable file not found)/);
  });

  it('a mount destination that is a symlink out of the rootfs never touches the host', () => {
    const outside = tmpDir('joey-core-outside-');
    const b = bundle(['probe', 'ls', '/escape'], (s) => {
      s.mounts!.push({ destination: '/escape', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    });
    fs.symlinkSync(outside, join(b, 'rootfs', 'escape'));
    const rel = bundle(['probe', 'ls', '/up'], (s) => {
      s.mounts!.push({ destination: '/up/x', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    });
    fs.symlinkSync('../../../../../../../..' + outside, join(rel, 'rootfs', 'up'));
    const hostMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(outside));
    try {
      // The symlinks resolve inside the root, as if it were /: the mounts land
      // at rootfs<outside> (seen through the symlink as an empty tmpfs, or as
      // holding the mount point x), or create fails with one line.
      for (const [bb, expected] of [[b, ''], [rel, 'ls x\n']] as const) {
        const id = cid();
        const r = joey(root, ['run', '--bundle', bb, id], { stdio: ['ignore', 'pipe', 'pipe'] });
        if (r.status !== 0) expect(r.stderr.trim().split('\n')).toHaveLength(1);
        else expect(r.stdout).toBe(expected);
        expect(leftovers(root, id)).toEqual([]);
        cleanup(root, id);
      }
      expect(hostMounts()).toEqual([]);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
