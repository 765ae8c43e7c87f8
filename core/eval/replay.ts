/**
 * Episode recordings for the replay viewer: per step the observation, the greedy action, the reward and the
 * policy's Q-values, plus the final observation, so that an episode can be redrawn exactly. Recorded on the
 * same fixed seeds as the evaluation, so teacher and student replays of a seed start from the same state.
 */
import { createEnv } from '../envs/index.ts';
import type { QFunction } from '../nn/q-function.ts';
import { argmax } from '../nn/q-network.ts';

export interface EpisodeReplay {
  readonly seed: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly length: number;
  readonly totalReturn: number;
  readonly terminated: boolean;
  /** (length + 1) × observationSize: the observation before each step, then the final one. */
  readonly observations: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  /** length × actionCount. */
  readonly qValues: Float32Array;
}

export function recordEpisode(envId: string, net: QFunction, seed: number): EpisodeReplay {
  const env = createEnv(envId);
  const n = env.observationSize;
  const a = env.actionCount;
  const obs: number[] = [];
  const actions: number[] = [];
  const rewards: number[] = [];
  const qs: number[] = [];
  let o = env.reset(seed);
  let total = 0;
  let terminated = false;
  for (;;) {
    const q = net.predict(o, 1);
    const action = argmax(q, 0, a);
    for (let d = 0; d < n; d++) obs.push(o[d]);
    for (let j = 0; j < a; j++) qs.push(q[j]);
    const r = env.step(action);
    actions.push(action);
    rewards.push(r.reward);
    total += r.reward;
    o = r.observation;
    if (r.terminated || r.truncated) {
      terminated = r.terminated;
      break;
    }
  }
  for (let d = 0; d < n; d++) obs.push(o[d]);
  return {
    seed,
    observationSize: n,
    actionCount: a,
    length: actions.length,
    totalReturn: total,
    terminated,
    observations: Float32Array.from(obs),
    actions: Int32Array.from(actions),
    rewards: Float32Array.from(rewards),
    qValues: Float32Array.from(qs),
  };
}
