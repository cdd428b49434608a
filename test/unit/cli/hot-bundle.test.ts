/**
 * bin/joey's entry loads one small CommonJS bundle per verb (src/cli/hot.ts):
 * check that `state` reads exactly joey.cjs and verb-state.cjs, and that no
 * verb bundle carries commander or zod.
 * Needs the bundle (`npm run build`, done by `npm ci`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const OUT = join(__dirname, '..', '..', '..', 'dist', 'cli-bundle');
const built = existsSync(join(OUT, 'joey.cjs'));

describe.runIf(built)('the per-verb CommonJS bundles (dist/cli-bundle, built by npm ci)', () => {
  it('state loads joey.cjs and verb-state.cjs and nothing else of ours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'joey-hot-'));
    try {
      const preload = join(dir, 'preload.cjs');
      writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.OUT_FILE, JSON.stringify(Object.keys(require.cache))));");
      const r = spawnSync(process.execPath, ['-r', preload, join(OUT, 'joey.cjs'), '--root', dir, 'state', 'nope'], { encoding: 'utf8', env: { ...process.env, OUT_FILE: join(dir, 'loaded.json') } });
      expect(r.stderr).toContain('container does not exist');
      const loaded = (JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[]).filter((f) => f !== preload);
      expect(loaded.map((f) => f.slice(OUT.length + 1)).sort()).toEqual(['joey.cjs', 'verb-state.cjs']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('keeps commander and zod out of every verb bundle (zod is cold-validate.js, for invalid configs only)', () => {
    for (const verb of ['state', 'start', 'kill', 'delete', 'create', 'run', 'exec', 'list']) {
      const src = readFileSync(join(OUT, `verb-${verb}.cjs`), 'utf8');
      expect(src, verb).not.toContain('node_modules/commander');
      expect(src, verb).not.toContain('node_modules/zod');
    }
    expect(readFileSync(join(OUT, 'cold-validate.js'), 'utf8')).toMatch(/from "\.\/chunk-|node_modules\/zod/);
  });
});
