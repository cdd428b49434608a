/**
 * src/paths.ts projectRoot(): the checkout, found from tsc's ESM output and
 * from the CommonJS bundles (where scripts/bundle.mjs defines
 * __joeyBundleFile). Needs the build (`npm run build`, done by `npm ci`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const TOP = resolve(__dirname, '..', '..');
const ESM = join(TOP, 'dist', 'paths.js');

describe.runIf(existsSync(ESM))('projectRoot', () => {
  it('is the checkout from the ESM build, even where a global __filename exists (node -e defines one)', () => {
    const r = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(ESM)}).then((m) => console.log(m.projectRoot()))`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(TOP);
  });
  it('is the checkout from a verb bundle, through its own __filename', () => {
    const bundle = join(TOP, 'dist', 'cli-bundle', 'verb-kill.cjs');
    expect(readFileSync(bundle, 'utf8')).toContain('typeof __filename === "string" ? __filename');
    // kill loads the addon from projectRoot()/native/addon/build: an unknown id fails after that, not before
    const r = spawnSync(join(TOP, 'bin', 'joey'), ['--root', '/nonexistent-root', 'kill', 'nope', 'KILL'], { encoding: 'utf8' });
    expect(r.stderr).toBe('joey: container does not exist\n');
  });
  it('is found once per process: a second copy of the module (joey.cjs and the verb bundle each have one) reuses the answer', () => {
    const script = `import(${JSON.stringify(ESM)}).then((m) => { const a = m.projectRoot(); console.log(a, globalThis.__joeyProjectRoot === a); globalThis.__joeyProjectRoot = '/elsewhere'; console.log(m.projectRoot()); })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${TOP} true\n/elsewhere\n`);
  });
});
