/**
 * Where the checkout is. Files find the native build and package.json from
 * here, not by counting `..` from their own location: the CLI also runs as
 * one bundled file (dist/cli-bundle/), whose depth differs from tsc's output.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __joeyBundleFile: string | undefined;

// One answer per process: joey.cjs and the verb's bundle each carry a copy
// of this module (scripts/bundle.mjs), both in dist/cli-bundle/, and the
// walk up with existsSync cost the verb's bundle ~0.3 ms again at load.
const shared = globalThis as { __joeyProjectRoot?: string };

export function projectRoot(): string {
  const cached = shared.__joeyProjectRoot;
  if (cached) return cached;
  // In the CommonJS bundles (dist/cli-bundle/*.cjs) scripts/bundle.mjs defines
  // __joeyBundleFile as __filename: no URL round trip there.
  let dir = dirname(typeof __joeyBundleFile === 'string' ? __joeyBundleFile : fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('joey: cannot find the checkout (no package.json above the code)');
    dir = up;
  }
  shared.__joeyProjectRoot = dir;
  return dir;
}
