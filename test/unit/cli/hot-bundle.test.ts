/**
 * bin/joey's entry loads one small CommonJS bundle per verb (src/cli/hot.ts):
 * check that `state` reads exactly joey.cjs and verb-state.cjs, and that no
 * verb bundle carries commander or zod.
 * Needs the bundle (`npm run build`, done by `npm ci`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHED_VERBS, WRAP_HEAD, WRAP_TAIL } from '../../../src/cli/code-cache.js';

const OUT = join(__dirname, '..', '..', '..', 'dist', 'cli-bundle');
const built = existsSync(join(OUT, 'joey.cjs'));

describe.runIf(built)('the per-verb CommonJS bundles (dist/cli-bundle, built by npm ci)', () => {
  /** The files of dist/cli-bundle a CLI call opens, reads or maps (a big verb's bundle is mapped and compiled through vm.Script, so not only require.cache). */
  function filesRead(args: string[]): { stderr: string; files: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'joey-hot-'));
    try {
      const preload = join(dir, 'preload.cjs');
      writeFileSync(
        preload,
        `const fs = require('fs'); const seen = new Set(); const open = fs.openSync;
const read = fs.readFileSync; const note = (p) => { if (String(p).startsWith(${JSON.stringify(OUT)})) seen.add(String(p)); };
fs.openSync = function (p, ...rest) { note(p); return open.call(this, p, ...rest); };
fs.readFileSync = function (p, ...rest) { note(p); return read.call(this, p, ...rest); };
const dlopen = process.dlopen;
process.dlopen = function (m, ...rest) { dlopen.call(this, m, ...rest); const a = m.exports; m.exports = { ...a, mapBuffer: (p) => { note(p); return a.mapBuffer(p); }, mapSource: (p) => { note(p); return a.mapSource(p); } }; };
process.on('exit', () => { fs.writeFileSync(process.env.OUT_FILE, JSON.stringify([...seen, ...Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(OUT)}))])); });`,
      );
      const r = spawnSync(process.execPath, ['-r', preload, join(OUT, 'joey.cjs'), '--root', dir, ...args], { encoding: 'utf8', env: { ...process.env, OUT_FILE: join(dir, 'loaded.json') } });
      const files = [...new Set((JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[]).map((f) => f.slice(OUT.length + 1)))].sort();
      return { stderr: r.stderr, files };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  it('state reads joey.cjs and verb-state.cjs and no other code of ours (no code cache: it would cost what it saves)', () => {
    const r = filesRead(['state', 'nope']);
    expect(r.stderr).toContain('container does not exist');
    expect(r.files).toEqual(['joey.cjs', 'verb-state.cjs']);
  });
  it('run loads its bundle through the V8 code cache (src/cli/code-cache.ts)', () => {
    const r = filesRead(['run', '--bundle', '/nonexistent-bundle', 'x']);
    expect(r.stderr).toContain('/nonexistent-bundle');
    expect(r.files).toEqual(['joey.cjs', 'verb-run.cjs', 'verb-run.cjs.cache']);
  });
  it('writes the cached verbs bundles wrapped for code-cache.ts and in ASCII (mapped as one-byte strings without a copy: native/addon/map.c)', () => {
    const cached = CACHED_VERBS.map((v) => `verb-${v}.cjs`) as string[];
    expect(cached).toEqual(['verb-run.cjs', 'verb-create.cjs', 'verb-exec.cjs']);
    for (const f of readdirSync(OUT).filter((n) => n.endsWith('.cjs'))) {
      const src = readFileSync(join(OUT, f));
      expect(src.toString('latin1').startsWith(WRAP_HEAD), f).toBe(cached.includes(f));
      if (!cached.includes(f)) continue;
      expect(src.toString('latin1').endsWith(WRAP_TAIL), f).toBe(true);
      expect(src.every((c) => c < 0x80), f).toBe(true);
    }
  });
  it('bin/joey starts Node without NODE_EXTRA_CA_CERTS (Node would parse that CA bundle at every call)', () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent-ca-bundle.pem' };
    // The witness: Node warns at start-up when it cannot load the file.
    expect(spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env }).stderr).toContain('/nonexistent-ca-bundle.pem');
    const dir = mkdtempSync(join(tmpdir(), 'joey-hot-'));
    try {
      const r = spawnSync(join(OUT, '..', '..', 'bin', 'joey'), ['--root', dir, 'state', 'nope'], { encoding: 'utf8', env });
      expect(r.stderr).toBe('joey: container does not exist\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('keeps commander and zod out of every verb bundle (zod is cold-validate.cjs, for invalid configs only)', () => {
    for (const verb of ['state', 'start', 'kill', 'delete', 'create', 'run', 'exec', 'list']) {
      const src = readFileSync(join(OUT, `verb-${verb}.cjs`), 'utf8');
      expect(src, verb).not.toContain('node_modules/commander');
      expect(src, verb).not.toContain('node_modules/zod');
    }
    expect(readFileSync(join(OUT, 'cold-validate.cjs'), 'utf8')).toContain('node_modules/zod');
  });
  it('keeps the --vm code (QEMU launch, backend) out of the verb bundles: namespace mode does not parse it', () => {
    for (const verb of ['create', 'run', 'start', 'delete', 'kill', 'exec']) {
      const src = readFileSync(join(OUT, `verb-${verb}.cjs`), 'utf8');
      expect(src, verb).not.toContain('// src/vm/launch.ts');
      expect(src, verb).not.toContain('// src/vm/qemu.ts');
      expect(src, verb).not.toContain('// src/vm/backend.ts');
    }
    expect(readFileSync(join(OUT, 'cold-launch.cjs'), 'utf8')).toContain('// src/vm/launch.ts');
  });
});
