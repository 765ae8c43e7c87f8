import { defineConfig } from 'vitest/config';

// Long learning tests (test/slow) are opt-in: DISTILL_SLOW=1 npm test (see README).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
