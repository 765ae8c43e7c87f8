/**
 * Teacher reliability, opt-in and long: `npm run test:slow` (DISTILL_SLOW=1). The default preset of every
 * environment reaches its reward threshold (CartPole 475, Acrobot −100, MountainCar −110) on the 20 test
 * episodes for each of seeds 1-5: a teacher worth distilling on every seed. It runs on the default engine
 * (wasm+fused), the one a user's teacher trains on; each seed's return and wall-clock are printed, and the
 * measured ones are in README "Results" (MountainCar dominates, about a minute a seed on a 2-core VM).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../core/dqn/presets.ts';
import { trainTeacher } from '../../core/dqn/train-teacher.ts';
import { ENV_IDS } from '../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../core/eval/evaluate.ts';
import { selectBackend } from '../../core/nn/backend.ts';

const slow = process.env.DISTILL_SLOW === '1';

describe.skipIf(!slow)('slow: the default teacher preset reaches the threshold on 5 of 5 seeds (DISTILL_SLOW=1)', () => {
  beforeAll(async () => {
    await selectBackend('wasm+fused');
  });

  it.each(ENV_IDS)('%s', async (env) => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const t0 = performance.now();
      const r = await trainTeacher({ ...presetConfig(env, 'default'), env, seed });
      const seconds = (performance.now() - t0) / 1000;
      const ret = evaluatePolicy(env, (o, b) => r.network.act(o, b), episodeSeeds(20)).mean;
      console.log(`${env} seed ${seed}: test return ${ret.toFixed(2)} (threshold ${r.rewardThreshold}), ${seconds.toFixed(1)} s`);
      expect.soft(ret, `seed ${seed}`).toBeGreaterThanOrEqual(r.rewardThreshold);
      r.network.dispose();
    }
  }, 3 * 3600_000);
});
