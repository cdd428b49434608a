/**
 * Issue #7 at run time: `joey run`, `create` and `exec --process` of a valid
 * config evaluate no zod module (docs performance.md §8.3); an invalid one
 * loads it to word the error. Runs tsc's ESM output (dist/cli/index.js)
 * under a loader hook that logs every module URL: the CommonJS CLI bundle
 * inlines modules, so file loads say nothing there.
 * test/unit/spec/no-zod.test.ts checks the module graph without root.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cid, isRoot, leftovers, makeBundle, removeBundle, stateRoot, TOP } from '../helpers.js';

const ENTRY = join(TOP, 'dist', 'cli', 'index.js');
const HOOK = join(__dirname, 'record-loads.mjs');

describe.runIf(isRoot && fs.existsSync(ENTRY))('create/run/exec without zod (issue #7)', () => {
  const root = stateRoot('spec-no-zod');
  const tmp = fs.mkdtempSync(join(tmpdir(), 'joey-no-zod-'));
  const bundles: string[] = [];
  afterAll(() => {
    bundles.forEach(removeBundle);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * Run dist/cli/index.js; the URLs of the modules it loaded, in order.
   * Output goes to files: a created container keeps a pipe open.
   */
  function traced(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
    const base = join(tmp, cid());
    const out = fs.openSync(`${base}.out`, 'w');
    const err = fs.openSync(`${base}.err`, 'w');
    let status: number | null;
    try {
      status = spawnSync(process.execPath, ['--import', HOOK, ENTRY, '--root', root, ...args], {
        stdio: ['ignore', out, err],
        timeout: 60_000,
        env: { ...process.env, JOEY_LOAD_LOG: `${base}.log` },
      }).status;
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
    return { status, stdout: read(`${base}.out`), stderr: read(`${base}.err`), loaded: read(`${base}.log`).split('\n').filter(Boolean) };
  }

  const zodModules = (loaded: string[]) => loaded.filter((u) => /\/node_modules\/zod\/|\/dist\/spec\/(types|validate)\.js$/.test(u));

  function bundle(args: string[], edit?: Parameters<typeof makeBundle>[1]): string {
    const b = makeBundle(args, edit);
    bundles.push(b);
    return b;
  }

  it('run of a valid bundle loads no zod', () => {
    const id = cid();
    const r = traced(['run', '--bundle', bundle(['/bin/probe', 'echo', 'fast']), id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('fast');
    expect(r.status).toBe(0);
    // the hook saw the run: the fast shape check was loaded
    expect(r.loaded.some((u) => u.endsWith('/dist/spec/shape.generated.js'))).toBe(true);
    expect(zodModules(r.loaded)).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('create, and exec --process of a valid process.json, load no zod', () => {
    const id = cid();
    const b = bundle(['/bin/probe', 'sleep', '30']);
    try {
      const c = traced(['create', '--bundle', b, id]);
      expect(c.stderr).toBe('');
      expect(c.status).toBe(0);
      expect(zodModules(c.loaded)).toEqual([]);
      expect(spawnSync(process.execPath, [ENTRY, '--root', root, 'start', id], { stdio: 'ignore' }).status).toBe(0);

      const proc = join(tmp, 'process.json');
      fs.writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['/bin/probe', 'echo', 'in-exec'], env: ['PATH=/bin'] }));
      const e = traced(['exec', '--process', proc, id]);
      expect(e.stderr).toBe('');
      expect(e.stdout).toContain('in-exec');
      expect(e.status).toBe(0);
      expect(zodModules(e.loaded)).toEqual([]);

      // an invalid process.json: zod words the error, as before
      fs.writeFileSync(proc, JSON.stringify({ cwd: '/', args: [] }));
      const bad = traced(['exec', '--process', proc, id]);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr.trim()).toBe('joey: process.args: at least one entry is required (config.md#process)');
      expect(zodModules(bad.loaded).length).toBeGreaterThan(0);
    } finally {
      spawnSync(process.execPath, [ENTRY, '--root', root, 'delete', '--force', id], { stdio: 'ignore' });
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('an invalid config loads zod for the message, which is unchanged', () => {
    const id = cid();
    const b = bundle(['/bin/probe', 'echo', 'x'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_TEST' as 'RLIMIT_CORE', soft: 1, hard: 1 }];
    });
    const r = traced(['run', '--bundle', b, id]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe('joey: process.rlimits[0].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)');
    expect(zodModules(r.loaded).length).toBeGreaterThan(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a rule between fields is reported without zod', () => {
    const id = cid();
    const b = bundle(['/bin/probe', 'echo', 'x'], (s) => {
      s.process!.cwd = 'relative';
    });
    const r = traced(['run', '--bundle', b, id]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe('joey: process.cwd: `relative` is not an absolute path (config.md#process)');
    expect(zodModules(r.loaded)).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
  });
});
