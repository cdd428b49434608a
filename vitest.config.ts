import { defineConfig } from 'vitest/config';

// `npm test` is unit tests plus real-container integration tests (root).
// The suites that need Debian packages (QEMU for --vm, the client e2e) have
// their own npm scripts, which set JOEY_TEST_SUITE.
const suite = process.env.JOEY_TEST_SUITE;

export default defineConfig({
  test: {
    include: suite === 'vm' ? ['test/integration/vm/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: suite === 'vm' ? [] : ['test/integration/vm/**', 'test/e2e/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
