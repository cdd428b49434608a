/**
 * Issue #7: `joey create`, `run` and `exec` must not load zod for a valid
 * config (docs performance.md §8.3: it costs about one more Node start-up).
 * esbuild follows every static and dynamic import from those commands, as
 * the CLI bundle does; the one import allowed to reach zod is open.ts's
 * lazy import of validate.ts, taken only for an invalid config or process
 * file. test/integration/spec/no-zod.test.ts checks the same at run time.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { describe, expect, test } from 'vitest';

const TOP = resolve(__dirname, '..', '..', '..');

/** Modules that import zod, or whose only job is to (types.ts holds the schemas). */
const ZOD_SIDE = ['src/spec/types.ts', 'src/spec/validate.ts', 'src/spec/bundle.ts'];

/** importer → imported, for dynamic imports that may load zod because they run only on an error. */
const ERROR_PATH_ONLY = [['src/spec/open.ts', 'src/spec/validate.ts']];

async function reachable(entries: string[]): Promise<{ inputs: string[]; deferred: string[][] }> {
  const deferred: string[][] = [];
  const plugin: Plugin = {
    name: 'error-path-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const from = relative(TOP, args.importer);
        const to = relative(TOP, resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
        if (args.kind === 'dynamic-import' && ERROR_PATH_ONLY.some(([f, t]) => f === from && t === to)) {
          deferred.push([from, to]);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  const result = await build({
    absWorkingDir: TOP,
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outdir: join(TOP, 'dist', 'no-zod-check'),
    splitting: true,
    external: ['koffi'],
    logLevel: 'silent',
    plugins: [plugin],
  });
  return { inputs: Object.keys(result.metafile.inputs), deferred };
}

describe('the create/run/exec module graph (issue #7)', () => {
  const entries = [
    'src/lifecycle/create.ts',
    'src/lifecycle/run.ts',
    'src/lifecycle/exec.ts',
    // the CLI's per-verb entry points, where they exist (src/cli/hot.ts)
    'src/cli/verbs/create.ts',
    'src/cli/verbs/run.ts',
    'src/cli/verbs/exec.ts',
  ].filter((f) => existsSync(join(TOP, f)));

  test('reaches zod only through open.ts’s lazy import of validate.ts', async () => {
    const { inputs, deferred } = await reachable(entries);
    expect(inputs).toContain('src/spec/open.ts');
    expect(inputs).toContain('src/spec/shape.generated.ts');
    expect(inputs.filter((f) => f.includes('node_modules/zod/') || ZOD_SIDE.includes(f))).toEqual([]);
    expect(deferred).toContainEqual(['src/spec/open.ts', 'src/spec/validate.ts']);
  });

  test('the check would notice a static import of zod', async () => {
    // the same build from a module that does import it, so a pass above is not vacuous
    const { inputs } = await reachable(['src/spec/bundle.ts']);
    expect(inputs).toContain('src/spec/types.ts');
    expect(inputs.some((f) => f.includes('node_modules/zod/'))).toBe(true);
  });
});
