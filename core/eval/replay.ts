/**
 * Episode recordings for the replay viewer: per step the observation, the greedy action, the reward and the
 * policy's Q-values, plus the final observation, so that an episode can be redrawn exactly. Recorded on the
 * same fixed seeds as the evaluation, so teacher and student replays of a seed start from the same state.
 */
import { createEnv } from '../envs/index.ts';
import type { QFunction } from '../nn/q-function.ts';
import { argmax } from '../nn/q-network.ts';
import { runCooperatively, runToEnd, type CooperativeOptions, type Work } from '../training/cooperative.ts';

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
  return runToEnd(episodeWork(envId, net, seed));
}

/**
 * Records one episode per seed, yielding to the event loop as it goes (progress: episodes recorded); each
 * replay is handed to `onReplay` as soon as it is complete.
 */
export async function recordEpisodesAsync(envId: string, net: QFunction, seeds: readonly number[], onReplay: (r: EpisodeReplay) => void, options: CooperativeOptions = {}): Promise<void> {
  function* all(): Work<void> {
    for (let i = 0; i < seeds.length; i++) {
      const inner = episodeWork(envId, net, seeds[i]);
      let next = inner.next();
      while (!next.done) {
        yield i;
        next = inner.next();
      }
      onReplay(next.value);
      yield i + 1;
    }
  }
  await runCooperatively(all(), { what: 'replay recording', ...options });
}

/** One greedy episode; yields the number of steps taken after each. */
function* episodeWork(envId: string, net: QFunction, seed: number): Work<EpisodeReplay> {
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
    yield actions.length;
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
