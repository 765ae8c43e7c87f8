import { defineConfig } from 'vitest/config';

/**
 * Test tiers (vitest projects). `npm test` runs all of them (CI); a developer can run one alone:
 *   npm run test:unit      fast checks of single pieces (< 30 s)            test/**\/*.test.ts but the ones below
 *   npm run test:smoke     tiny-budget runs of every pipeline, CLI, workers, the browser UI, fault injection
 *   npm run test:learning  thresholds real training runs must reach          *.learning.test.ts
 *   npm run test:slow      long learning runs, opt-in (DISTILL_SLOW=1)       test/slow
 */
const SMOKE = ['test/**/*.smoke.test.ts', 'test/cli/**/*.test.ts', 'test/electron/**/*.test.ts', 'test/ui/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/io/cli.test.ts'];
const LEARNING = ['test/**/*.learning.test.ts', 'test/io/distill-imported.test.ts'];
const SLOW = ['test/slow/**/*.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...SMOKE, ...LEARNING, ...SLOW] } },
      { extends: true, test: { name: 'smoke', include: SMOKE } },
      { extends: true, test: { name: 'learning', include: LEARNING } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
