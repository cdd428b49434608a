/** addon-read.ts: kill's and delete's reads through the addon give what store.ts and status.ts give, errors included. */
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { procStatByAddon, readStateByAddon, removeStateDirByAddon } from '../../../src/lifecycle/addon-read.js';
import { readState } from '../../../src/lifecycle/store.js';
import { procStat } from '../../../src/lifecycle/status.js';
import { addon } from '../../../src/native/addon.js';

const top = mkdtempSync(join(tmpdir(), 'joey-addon-read-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('readStateByAddon', () => {
  it('parses state.json like readState, a big one too, and throws readState’s errors', () => {
    const root = join(top, 'root');
    mkdirSync(join(root, 'c1'), { recursive: true });
    const state = { ociVersion: '1.0.2', id: 'c1', pid: 42, startTime: 7, bundle: '/b', rootfs: '/b/rootfs', created: 'now', owner: '', phase: 'created' };
    writeFileSync(join(root, 'c1', 'state.json'), JSON.stringify(state));
    expect(readStateByAddon(root, 'c1')).toEqual(readState(root, 'c1'));
    // 64 KiB or more: readFiles gives null, store.ts reads it
    mkdirSync(join(root, 'big'));
    writeFileSync(join(root, 'big', 'state.json'), JSON.stringify({ ...state, id: 'big', annotations: { pad: 'x'.repeat(70_000) } }));
    expect(readStateByAddon(root, 'big').annotations?.pad).toHaveLength(70_000);
    for (const id of ['missing', '../c1']) {
      const mine = thrown(() => readStateByAddon(root, id));
      const theirs = thrown(() => readState(root, id));
      expect([mine.constructor, mine.message]).toEqual([theirs.constructor, theirs.message]);
    }
  });
});

describe('procStatByAddon', () => {
  it('agrees with procStat on a live process and on pid 1, and is null for no process', () => {
    expect(procStatByAddon(process.pid)).toEqual(procStat(process.pid));
    expect(procStatByAddon(1)).toEqual(procStat(1));
    expect(procStatByAddon(0x3fffffff)).toBeNull();
  });
});

describe('removeStateDirByAddon / removeFlatDir', () => {
  it('removes a dir of files in one call; a subdirectory falls back to the recursive removal; a gone dir is quiet', () => {
    const flat = join(top, 'flat');
    mkdirSync(flat);
    for (const f of ['state.json', 'config.json', '.lock']) writeFileSync(join(flat, f), 'x');
    removeStateDirByAddon(flat);
    expect(existsSync(flat)).toBe(false);

    const nested = join(top, 'nested');
    mkdirSync(join(nested, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(nested, 'state.json'), 'x');
    writeFileSync(join(nested, 'sub', 'deeper', 'f'), 'x');
    expect((thrown(() => addon().removeFlatDir(nested)) as NodeJS.ErrnoException).code).toBe('EISDIR');
    removeStateDirByAddon(nested);
    expect(existsSync(nested)).toBe(false);

    expect(() => removeStateDirByAddon(join(top, 'never-made'))).not.toThrow();
  });
  it('refuses a symlink in place of the dir, and leaves its target alone', () => {
    const target = join(top, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    symlinkSync(target, join(top, 'link'));
    expect((thrown(() => addon().removeFlatDir(join(top, 'link'))) as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(existsSync(join(target, 'keep'))).toBe(true);
  });
});
