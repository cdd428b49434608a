// Bundle the CLI into dist/cli-bundle/ (esbuild, ESM, one chunk per lazily
// loaded command). Every CLI call pays Node's start-up, and Node 20's ESM
// loader costs about a millisecond per module: the unbundled CLI loads ~90
// (ours, zod's, commander). bin/joey runs the bundle when it exists, and
// tsc's dist/cli/index.js otherwise.
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'src/cli/index.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/cli-bundle',
  // koffi loads a native library of its own; it stays a runtime require.
  external: ['koffi'],
  // CommonJS dependencies (commander) call require() for Node's builtins.
  banner: { js: "import { createRequire as __joeyRequire } from 'node:module'; const require = __joeyRequire(import.meta.url);" },
  logLevel: 'warning',
});
