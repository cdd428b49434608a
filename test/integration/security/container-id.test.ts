/**
 * Container ids (security.md row 16): an id like `../x` wrote state outside
 * `--root`. Ids match `^[\w+\-.]+$` and are not `.` or `..`.
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, joey, makeBundle, removeBundle, stateRoot } from '../helpers.js';

describe.runIf(isRoot)('container ids', () => {
  const root = stateRoot('container-id');
  const bundle = makeBundle(['/bin/probe', 'pid']);
  afterAll(() => removeBundle(bundle));
  const parent = dirname(root);

  const bad = ['../escape-id', '..', 'a/b', 'x y', '', '../../../tmp/escape-id'];
  for (const id of bad) {
    it(`${JSON.stringify(id)} is rejected with a clear error and leaves nothing behind`, () => {
      const before = fs.readdirSync(root).sort();
      for (const cmd of [['create', '--bundle', bundle, id], ['run', '--bundle', bundle, id]]) {
        const r = joey(root, cmd);
        expect(r.status, `${cmd[0]} ${JSON.stringify(id)}`).not.toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^joey: .*(id|ID)/m);
      }
      for (const cmd of [['delete', id]]) {
        expect(joey(root, cmd).status, `${cmd[0]} ${JSON.stringify(id)}`).not.toBe(0);
      }
      expect(fs.readdirSync(root).sort()).toEqual(before);
      // other test files share the parent: look only for what this id would name
      expect(fs.existsSync(join(parent, 'escape-id'))).toBe(false);
      expect(fs.existsSync('/tmp/escape-id')).toBe(false);
    });
  }

  it('a good id with every allowed character works', () => {
    const id = `Ok_id+1-2.3-${process.pid}`;
    const r = joey(root, ['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    joey(root, ['delete', '--force', id]);
    expect(fs.existsSync(join(root, id))).toBe(false);
  });
});
