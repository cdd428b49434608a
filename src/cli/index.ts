/**
 * The ESM entry: tsc's dist/cli/index.js (no bundle), and the bundle's
 * fallback for everything the fast path does not take (bin/joey runs
 * dist/cli-bundle/joey.cjs, see hot.ts). The verbs containerd and podman call
 * for every container take the fast path; everything else loads the full CLI.
 */
import { parseFast, runFast } from './fast.js';
import { loadVerb } from './verbs/load.js';

const c = parseFast(process.argv.slice(2));
if (c) await runFast(c, (await loadVerb(c.verb)).run);
else {
  const { main } = await import('./main.js');
  await main(process.argv);
}
