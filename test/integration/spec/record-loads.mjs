// `node --import ./record-loads.mjs …`: appends the URL of every ES module
// (and CommonJS file loaded through import) to $JOEY_LOAD_LOG, one a line.
// Used by no-zod.test.ts to see which modules a joey command evaluates.
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url);
