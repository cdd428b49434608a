/**
 * cgroup path traversal (runc issue 4103), security.md row 15: a
 * `cgroupsPath` with `..` escaped the cgroup filesystem. joey refuses it at
 * validation, before anything is created.
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cid, isRoot, joey, leftovers, makeBundle, removeBundle, stateRoot } from '../helpers.js';

describe.runIf(isRoot)('cgroup path traversal (runc#4103)', () => {
  const root = stateRoot('cgroup-path-traversal');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));

  for (const path of ['../../etc', '/../../etc', 'joey/../../../etc', '/joey/x/../../..', 'a/./../../b']) {
    it(`cgroupsPath ${JSON.stringify(path)} is rejected and nothing is created`, () => {
      const id = cid('cgtrav');
      const b = makeBundle(['/bin/probe', 'pid'], (s) => {
        s.linux!.cgroupsPath = path;
      });
      bundles.push(b);
      const etc = fs.readdirSync('/etc').sort();
      const r = joey(root, ['run', '--bundle', b, id]);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/linux\.cgroupsPath/);
      expect(r.stderr).toMatch(/\.\./);
      expect(fs.readdirSync('/etc').sort()).toEqual(etc);
      expect(leftovers(root, id)).toEqual([]);
      joey(root, ['delete', '--force', id]);
    });
  }
});
