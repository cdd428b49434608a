/** store.ts: removing a state dir without Node's rimraf, and the fallback when it holds more than files. */
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStateDir } from '../../../src/lifecycle/store.js';

const top = mkdtempSync(join(tmpdir(), 'joey-store-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('removeStateDir', () => {
  it('removes a dir of files, a dir with a subdir (fallback), and is quiet when the dir is gone', () => {
    const flat = join(top, 'flat');
    mkdirSync(flat);
    for (const f of ['state.json', 'config.json', '.lock']) writeFileSync(join(flat, f), 'x');
    removeStateDir(flat);
    expect(existsSync(flat)).toBe(false);

    const nested = join(top, 'nested');
    mkdirSync(join(nested, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(nested, 'state.json'), 'x');
    writeFileSync(join(nested, 'sub', 'deeper', 'f'), 'x');
    removeStateDir(nested);
    expect(existsSync(nested)).toBe(false);

    expect(() => removeStateDir(join(top, 'never-made'))).not.toThrow();
  });
});
