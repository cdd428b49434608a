import { defineConfig } from 'vitest/config';

// Integration tests start real containers as root; they share /run/joey-test
// state roots per file, so files may run in parallel but tests inside a file run in order.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
