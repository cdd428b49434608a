/**
 * The verb bodies by name, for the ESM CLI: the fast path in index.ts and
 * commander's actions in main.ts run the same code (bin/joey's CommonJS entry
 * loads them from their own bundles instead, src/cli/hot.ts).
 */
import type { Verb, VerbBody } from '../fast.js';

export function loadVerb(verb: Verb): Promise<{ run: VerbBody }> {
  switch (verb) {
    case 'state':
      return import('./state.js');
    case 'start':
      return import('./start.js');
    case 'kill':
      return import('./kill.js');
    case 'delete':
      return import('./delete.js');
    case 'create':
      return import('./create.js');
    case 'run':
      return import('./run.js');
    case 'exec':
      return import('./exec.js');
    case 'list':
      return import('./list.js');
  }
}
