/** The README's quick start: examples/hello runs and greets from pid 1 with its own hostname. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TOP, isRoot, joey, stateRoot, leftovers } from './helpers.js';

describe.runIf(isRoot)('examples/hello (needs root: real namespaces)', () => {
  const root = stateRoot('hello');
  it('prints the greeting from pid 1 inside the container and exits 0', () => {
    const r = joey(root, ['run', '--bundle', join(TOP, 'examples', 'hello'), 'hello-quickstart']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from joey! I am pid 1 on host "joey", inside a container.\n');
    expect(r.status).toBe(0);
    expect(leftovers(root, 'hello-quickstart')).toEqual([]);
  });
});
