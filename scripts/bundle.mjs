// Bundle the CLI into dist/cli-bundle/ (esbuild). Three outputs:
//
//  - joey.cjs + verb-<verb>.cjs (CommonJS, one self-contained file per verb):
//    bin/joey runs joey.cjs, which parses argv and loads only the verb's
//    bundle (src/cli/hot.ts says why and what it measured).
//  - cold-<name>.cjs (CommonJS): modules a verb needs only sometimes, loaded
//    through globalThis.__joeyCold: cold-vm (the --vm backend), cold-validate
//    (zod, to word an invalid config), cold-seccomp (libseccomp via koffi, on
//    a filter-cache miss), cold-killall (`kill --all`'s cgroup code, which
//    `kill ID SIGNAL` does without). CommonJS, because Node's ESM loader
//    alone brings fs/promises, readline and the stream modules (~4 MB of RSS).
//  - index.js + chunks (ESM, split per lazily loaded command): the full
//    commander CLI, for everything the fast path does not take.
//
// The output directory is not dist/bundle: that is tsc's output for src/bundle/.
import { build } from 'esbuild';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
// tsc's output (every build script runs tsc first). The verbs hot.ts loads
// through a V8 code cache get bundles written already wrapped in
// Module.wrap's text, so that code-cache.ts compiles the mapped file as it
// is; require() cannot load them (only code-cache.ts does).
import { CACHED_VERBS, WRAP_HEAD, WRAP_TAIL } from '../dist/cli/code-cache.js';

const OUT = 'dist/cli-bundle';
const COLD = {
  'src/vm/backend.ts': 'cold-vm',
  'src/spec/validate.ts': 'cold-validate',
  'src/linux/seccomp.ts': 'cold-seccomp',
  'src/vm/launch.ts': 'cold-launch',
  'src/lifecycle/kill-all.ts': 'cold-killall',
};
// Cold modules another cold module may import statically (a copy is inlined
// there): launch.ts starts QEMU early from the verb (cold-launch) and is part
// of the backend (cold-vm). It keeps no module state, so two copies are safe.
const INLINE_IN = { 'src/vm/launch.ts': ['src/vm/backend.ts'] };
const VERBS = ['state', 'start', 'kill', 'delete', 'create', 'run', 'exec', 'list'];
const top = resolve('.');
const common = { bundle: true, platform: 'node', target: 'node20', outdir: OUT, logLevel: 'warning', external: ['koffi'] };

// Outputs of earlier builds: the ESM build's chunks are named by content
// hash, so each build would leave the previous ones behind.
for (const f of await readdir(OUT).catch(() => [])) {
  if (/\.(js|cjs|cache)$/.test(f)) await rm(`${OUT}/${f}`, { force: true });
}

await build({
  ...common,
  entryPoints: { index: 'src/cli/index.ts' },
  splitting: true,
  format: 'esm',
  // CommonJS dependencies (commander) call require() for Node's builtins.
  banner: { js: "import { createRequire as __joeyRequire } from 'node:module'; const require = __joeyRequire(import.meta.url);" },
});

// A dynamic import of a cold module stays out of the bundle; a static one
// would pull it into every verb bundle, so it is an error.
const coldModules = {
  name: 'cold-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const abs = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      const rel = abs.slice(top.length + 1);
      const name = COLD[rel];
      if (!name || args.kind === 'entry-point') return undefined;
      if (args.kind !== 'dynamic-import' && INLINE_IN[rel]?.includes(args.importer.slice(top.length + 1))) return undefined;
      if (args.kind !== 'dynamic-import') return { errors: [{ text: `${args.path} is a cold module: import it with import() (scripts/bundle.mjs)` }] };
      return { path: `./${name}.js`, external: true };
    });
  },
};

// Edits to each CommonJS output (the cached verbs' bundles also get their
// wrapper, see CACHED_VERBS):
//  - a cold module's import() becomes globalThis.__joeyCold(), which joey.cjs
//    defines (src/cli/hot.ts): a require() of cold-<name>.cjs;
//  - esbuild's __toESM copies every export of a CommonJS module (node:fs has
//    ~100) into a fresh object of getters at each import site; memoize it per
//    module so node:fs is wrapped once, not once per file that imports it.
//    For a Node builtin (`import * as fs from 'node:fs'`, isNodeMode) the
//    namespace is an object whose prototype is the module, plus `default`:
//    reads see the module's live properties as the getters did, with no copy
//    (the one copy of node:fs cost 0.4-0.5 ms of every verb bundle's load,
//    and joey.cjs paid it again; measured). Nothing in joey enumerates or
//    spreads a module namespace.
const postProcess = {
  name: 'post-process',
  setup(b) {
    b.onEnd(async (result) => {
      if (result.errors.length) return;
      for (const path of Object.keys(result.metafile.outputs).filter((p) => p.endsWith('.cjs'))) {
        let src = await readFile(path, 'utf8');
        src = src.replace(/\bimport\((".\/cold-[a-z]+\.js")\)/g, 'globalThis.__joeyCold($1)');
        if (/\bimport\("\.\/cold-/.test(src)) throw new Error(`${path}: a cold import() was not rewritten`);
        const head = 'var __toESM = (mod, isNodeMode, target) => (';
        if (src.includes('__toESM(')) {
          if (src.split(head).length !== 2) throw new Error(`${path}: esbuild's __toESM helper changed; update scripts/bundle.mjs`);
          const memo = 'var __toESMMemo = [new WeakMap(), new WeakMap()];\nvar __toESM = (mod, isNodeMode) => {\n  if (mod == null || typeof mod !== "object") return __toESMRaw(mod, isNodeMode);\n  const m = __toESMMemo[isNodeMode ? 1 : 0];\n  let r = m.get(mod);\n  if (!r) m.set(mod, (r = isNodeMode && !("default" in mod) ? Object.create(mod, { default: { value: mod, enumerable: true } }) : __toESMRaw(mod, isNodeMode)));\n  return r;\n};\n';
          src = src.replace(head, `${memo}var __toESMRaw = (mod, isNodeMode, target) => (`);
        }
        if (CACHED_VERBS.some((v) => path.endsWith(`/verb-${v}.cjs`))) src = WRAP_HEAD + src + WRAP_TAIL;
        // code-cache.ts maps these files (native/addon/map.c): never rewrite
        // one in place under a running joey, replace it.
        await writeFile(`${path}.tmp`, src);
        await rename(`${path}.tmp`, path);
      }
    });
  },
};

await build({
  ...common,
  entryPoints: {
    joey: 'src/cli/hot.ts',
    ...Object.fromEntries(VERBS.map((v) => [`verb-${v}`, `src/cli/verbs/${v}.ts`])),
    ...Object.fromEntries(Object.entries(COLD).map(([src, name]) => [name, src])),
  },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  metafile: true,
  plugins: [coldModules, postProcess],
  // import.meta.url, computed when read: most verbs never read it, and a
  // URL parse at every bundle's start is not free.
  define: { 'import.meta.url': '__joeyMeta.url', __joeyBundleFile: '__filename' },
  banner: { js: "const __joeyMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
});
