/**
 * bin/joey's entry, bundled as CommonJS (dist/cli-bundle/joey.cjs).
 *
 * Every call pays Node's start-up (~110 ms here); on top of it, what the
 * runtime loads is the cost (performance.md §8.3). Measured on this machine,
 * for `state`: the ESM bundle with its loader 1.29× `node empty.js`, one
 * CommonJS file 1.16×, and each 100 KB of bundled source another ~4 %. So
 * this entry parses argv with no dependency, then loads one small CommonJS
 * bundle holding only that verb (verb-<verb>.cjs); anything the fast parser
 * does not take goes to the full ESM CLI (index.js, commander). Rarely used
 * heavy modules (zod's validation, the --vm backend, libseccomp) stay out of
 * the verb bundles and are imported from the ESM bundle when needed, through
 * globalThis.__joeyCold (scripts/bundle.mjs rewrites their import()s).
 *
 * The verb bundle is compiled with V8's code cache (verb-<verb>.cjs.cache,
 * written next to it after the first call that succeeds, so it holds the
 * functions of the usual path): `run` measured 1.76× → 1.54× `node empty.js`.
 * A rejected or missing cache is rewritten; an unwritable directory only
 * costs speed.
 * A V8 startup snapshot was measured too and lost: an empty one is 1.29×.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import { parseFast, runFast, type VerbBody } from './fast.js';

const self = process.argv[1]!;
const here = dirname(self);
(globalThis as { __joeyCold?: (p: string) => Promise<unknown> }).__joeyCold = (p) => import(pathToFileURL(join(here, p)).href);

/** Load a CommonJS bundle through vm.Script with a code cache beside it; `save` writes the cache at exit if it is missing or stale. */
function loadCached(file: string): { run: VerbBody; save: () => void } {
  const source = fs.readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(`${file}.cache`);
  } catch {
    /* first use */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const save = () => {
    if (cachedData && !script.cachedDataRejected) return;
    process.once('exit', () => {
      try {
        const tmp = `${file}.cache.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
        fs.renameSync(tmp, `${file}.cache`);
      } catch {
        /* a read-only checkout: no cache, only slower */
      }
    });
  };
  const mod = { exports: {} as { run: VerbBody } };
  (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, createRequire(file), mod, file, dirname(file));
  return { run: mod.exports.run, save };
}

const c = parseFast(process.argv.slice(2));
if (c) {
  const verb = loadCached(join(here, `verb-${c.verb}.cjs`));
  void runFast(c, verb.run).then((ok) => ok && verb.save());
}
else void import(pathToFileURL(join(here, 'index.js')).href);
