/**
 * src/cli/code-cache.ts: the V8 code cache of the big verb bundles. Each case
 * runs a fresh Node (the cache is written at exit) on a small CommonJS file.
 * Needs tsc's output (`npm run build`, done by `npm ci`).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRAP_HEAD, WRAP_TAIL } from '../../../src/cli/code-cache.js';

const MODULE = join(__dirname, '..', '..', '..', 'dist', 'cli', 'code-cache.js');
const built = existsSync(MODULE);

let dir = '';
let file = '';

/** Load `file` through requireCached in a new Node; its exports say what ran. */
function load(exitCode = 0): { cache: string; value: string } {
  const src = `import { requireCached } from ${JSON.stringify(MODULE)};
const r = requireCached(process.argv[1]);
console.log(JSON.stringify({ cache: r.cache, value: r.exports.value() }));
process.exitCode = ${exitCode};`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src, file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { cache: string; value: string };
}

/** A module whose function bodies are compiled lazily, so the cache holds real bytecode. */
function writeModule(letter: string): void {
  writeFileSync(file, `function pick() { return ${JSON.stringify(letter.repeat(8))}; }\nmodule.exports.value = () => pick();\n`);
}

describe.runIf(built)('the verb bundles V8 code cache (src/cli/code-cache.ts)', () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'joey-cc-'));
    file = join(dir, 'verb.cjs');
    writeModule('a');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('misses, writes <file>.cache keyed to the file at exit, then hits', () => {
    expect(load()).toEqual({ cache: 'miss', value: 'aaaaaaaa' });
    const st = statSync(file);
    const cache = readFileSync(`${file}.cache`);
    expect(cache.subarray(0, cache.indexOf(10)).toString()).toBe(`joey-v8-cache ${st.ino} ${st.size} ${st.mtimeMs}`);
    expect(load()).toEqual({ cache: 'hit', value: 'aaaaaaaa' });
  });

  it('never runs the bytecode of an older bundle of the same length (V8 checks only the length)', () => {
    load();
    const old = readFileSync(`${file}.cache`);
    // Same length, other code: V8 alone would accept the old cache.
    rmSync(file);
    writeModule('b');
    expect(statSync(file).size).toBe(old.subarray(0, old.indexOf(10)).toString().split(' ').map(Number)[2]);
    expect(load()).toEqual({ cache: 'miss', value: 'bbbbbbbb' });
    expect(load()).toEqual({ cache: 'hit', value: 'bbbbbbbb' });
  });

  it('compiles from source when V8 rejects the data, and writes a good cache', () => {
    load();
    const cache = readFileSync(`${file}.cache`);
    const head = cache.subarray(0, cache.indexOf(10) + 1);
    writeFileSync(`${file}.cache`, Buffer.concat([head, Buffer.alloc(cache.length - head.length, 0x5a)]));
    expect(load()).toEqual({ cache: 'rejected', value: 'aaaaaaaa' });
    expect(load()).toEqual({ cache: 'hit', value: 'aaaaaaaa' });
  });

  it('compiles a bundle written already wrapped (scripts/bundle.mjs) as it is, and caches it', () => {
    // wrapped again, it would only define a function: exports would stay empty
    writeFileSync(file, `${WRAP_HEAD}function pick() { return "wrapped!"; }\nmodule.exports.value = () => pick();${WRAP_TAIL}`);
    expect(load()).toEqual({ cache: 'miss', value: 'wrapped!' });
    expect(load()).toEqual({ cache: 'hit', value: 'wrapped!' });
  });

  it('writes nothing after a call that failed', () => {
    expect(load(1).cache).toBe('miss');
    expect(existsSync(`${file}.cache`)).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('writes nothing when the bundle belongs to another user (root never writes into their checkout)', () => {
    chownSync(file, 65534, 65534);
    expect(load().cache).toBe('miss');
    expect(existsSync(`${file}.cache`)).toBe(false);
  });
});

describe.runIf(built)('the small verb bundles (requireCompiled)', () => {
  it('gives the module its exports, require, __filename and __dirname, and names the file in a syntax error', () => {
    const d = mkdtempSync(join(tmpdir(), 'joey-cc-'));
    try {
      const f = join(d, 'verb.cjs');
      writeFileSync(f, `module.exports.value = () => [__filename, __dirname, typeof require('node:fs').readFileSync, this === module.exports].join(' ');\n`);
      const src = `import { requireCompiled } from ${JSON.stringify(MODULE)};
try { console.log(requireCompiled(process.argv[1]).value()); } catch (e) { console.log(String(e.stack).split('\\n')[0]); }`;
      const run = () => spawnSync(process.execPath, ['--input-type=module', '-e', src, f], { encoding: 'utf8' }).stdout.trim();
      expect(run()).toBe(`${f} ${d} function true`);
      writeFileSync(f, 'module.exports = {;\n');
      expect(run()).toContain(f);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
