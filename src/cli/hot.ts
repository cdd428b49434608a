/**
 * bin/joey's entry, bundled as CommonJS (dist/cli-bundle/joey.cjs).
 *
 * Every call pays Node's start-up (~65-70 ms here; bin/joey's launcher drops
 * NODE_EXTRA_CA_CERTS, which costs 40 ms more); on top of it, what the
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
 * The verbs that execute most of a big bundle (run, create, exec) load it
 * through a V8 code cache (code-cache.ts), both mapped rather than read. A
 * V8 startup snapshot was measured and lost: an empty one costs Node ~35 ms
 * more at start than it saves. Once the verb is done, fast.ts exitIfIdle ends
 * the process without Node's teardown.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exitIfIdle, parseFast, runFast, type Verb, type VerbBody } from './fast.js';
import { CACHED_VERBS, requireCached, requireCompiled } from './code-cache.js';

const self = process.argv[1]!;
const here = dirname(self);
// joey.cjs's own require (a CommonJS bundle has one): node:module's
// createRequire would cost ~0.9 ms of every call to load.
(globalThis as { __joeyCold?: (p: string) => Promise<unknown> }).__joeyCold = async (p) => require(join(here, p.replace(/\.js$/, '.cjs')));

const c = parseFast(process.argv.slice(2));
const CACHED: ReadonlySet<Verb> = new Set(CACHED_VERBS);

function loadVerb(verb: Verb): VerbBody {
  const file = join(here, `verb-${verb}.cjs`);
  const m = CACHED.has(verb) ? requireCached(file).exports : requireCompiled(file);
  return (m as { run: VerbBody }).run;
}

if (c) void runFast(c, loadVerb(c.verb)).then(exitIfIdle);
else void import(pathToFileURL(join(here, 'index.js')).href);
