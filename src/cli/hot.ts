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
 * the verb bundles in cold-<name>.cjs, loaded when needed through
 * globalThis.__joeyCold (scripts/bundle.mjs rewrites their import()s).
 *
 * Measured and not used: a V8 code cache for the verb bundle (vm.Script
 * with cachedData) made `run` 3 % faster on a quiet machine but raised its
 * peak RSS from 45 to 52 MB, over the 50 MB target (issue #7).
 * A V8 startup snapshot was measured too and lost: an empty one is 1.29×.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseFast, runFast, type VerbBody } from './fast.js';

const self = process.argv[1]!;
const here = dirname(self);
(globalThis as { __joeyCold?: (p: string) => Promise<unknown> }).__joeyCold = async (p) => createRequire(self)(join(here, p.replace(/\.js$/, '.cjs')));

const c = parseFast(process.argv.slice(2));
if (c) void runFast(c, (createRequire(self)(join(here, `verb-${c.verb}.cjs`)) as { run: VerbBody }).run);
else void import(pathToFileURL(join(here, 'index.js')).href);
