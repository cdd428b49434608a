/**
 * The ESM entry: tsc's dist/cli/index.js (no bundle), and the bundle's
 * fallback for everything the fast path does not take (bin/joey runs
 * dist/cli-bundle/joey.cjs, see hot.ts). The verbs containerd and podman call
 * for every container take the fast path; everything else loads the full CLI.
 */
import { parseFast, runFast, type Verb, type VerbBody } from './fast.js';

function loadVerb(verb: Verb): Promise<{ run: VerbBody }> {
  switch (verb) {
    case 'state':
      return import('./verbs/state.js');
    case 'start':
      return import('./verbs/start.js');
    case 'kill':
      return import('./verbs/kill.js');
    case 'delete':
      return import('./verbs/delete.js');
    case 'create':
      return import('./verbs/create.js');
    case 'run':
      return import('./verbs/run.js');
    case 'exec':
      return import('./verbs/exec.js');
    case 'list':
      return import('./verbs/list.js');
  }
}

const c = parseFast(process.argv.slice(2));
if (c) await runFast(c, (await loadVerb(c.verb)).run);
else {
  const { main } = await import('./main.js');
  await main(process.argv);
}
