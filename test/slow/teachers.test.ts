/**
 * Teacher reliability, opt-in and long: `npm run test:slow` (DISTILL_SLOW=1). The default preset of every
 * environment reaches its reward threshold (CartPole 475, Acrobot −100, MountainCar −110) on the 20 test
 * episodes for each of seeds 1-5: a teacher worth distilling on every seed. Measured wall-clock per run on a
 * 2-core VM is in README "Results" (MountainCar dominates).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../core/dqn/presets.ts';
import { trainTeacher } from '../../core/dqn/train-teacher.ts';
import { ENV_IDS } from '../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../core/eval/evaluate.ts';
import { pinBackend } from '../helpers.ts';

const slow = process.env.DISTILL_SLOW === '1';

describe.skipIf(!slow)('slow: the default teacher preset reaches the threshold on 5 of 5 seeds (DISTILL_SLOW=1)', () => {
  beforeAll(pinBackend);

  it.each(ENV_IDS)('%s', async (env) => {
    const returns: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = await trainTeacher({ ...presetConfig(env, 'default'), env, seed });
      returns.push(evaluatePolicy(env, (o, b) => r.network.act(o, b), episodeSeeds(20)).mean);
      expect.soft(returns.at(-1)!, `seed ${seed}`).toBeGreaterThanOrEqual(r.rewardThreshold);
      r.network.dispose();
    }
  }, 3 * 3600_000);
});
