import { describe, expect, it } from 'vitest';
import { createEnv } from '../../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';

describe('evaluatePolicy', () => {
  it('runs each seed as its own episode, batching the policy, and equals a sequential rollout', () => {
    // A simple hand-written CartPole controller: push toward the pole's lean.
    const policy = (obs: Float32Array, batch: number) => Int32Array.from({ length: batch }, (_, b) => (obs[b * 4 + 2] + 0.5 * obs[b * 4 + 3] > 0 ? 1 : 0));
    const seeds = episodeSeeds(5);
    const result = evaluatePolicy('CartPole-v1', policy, seeds);
    expect(result.returns).toHaveLength(5);
    for (let i = 0; i < seeds.length; i++) {
      const env = createEnv('CartPole-v1');
      let obs = env.reset(seeds[i]);
      let total = 0;
      for (;;) {
        const r = env.step(policy(obs, 1)[0]);
        total += r.reward;
        obs = r.observation;
        if (r.terminated || r.truncated) break;
      }
      expect(result.returns[i]).toBe(total);
      expect(result.lengths[i]).toBe(total);
    }
    expect(result.mean).toBeCloseTo(result.returns.reduce((a, b) => a + b) / 5, 9);
  });

  it('a random policy on MountainCar never reaches the goal in 200 steps', () => {
    const result = evaluatePolicy('MountainCar-v0', (_o, b) => new Int32Array(b), episodeSeeds(3));
    expect(result.returns).toEqual([-200, -200, -200]);
  });
});
