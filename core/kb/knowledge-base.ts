/**
 * A knowledge base (seed §3.1): what a teacher knows, as the Q-values it assigns on the states it visits.
 * One row per env transition of the teacher's rollout, in column arrays (typed, row-major per row):
 *   state, action, reward, nextState (the true next state: the final observation at an episode's end),
 *   terminated (a real terminal: no bootstrap), episodeEnd (terminated or truncated), episode index,
 *   teacherQ[actionCount].
 * Rows of one episode are contiguous and in time order, so Monte-Carlo returns can be computed from it.
 */
import type { EnvId } from '../envs/types.ts';

export interface KnowledgeBaseMeta {
  readonly env: EnvId;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Where the knowledge came from (teacher bundle path or model id, its parameter count, …). */
  readonly teacher: { readonly source: string; readonly paramCount: number; readonly hiddenSizes: readonly number[] };
  readonly seed: number;
  /** ε of the teacher's ε-greedy behaviour during extraction. */
  readonly epsilon: number;
  readonly createdAt: string;
  /** Episodes cut short by the extraction budget (left out of the episode-return statistics). */
  readonly incompleteEpisodes?: readonly number[];
  /** Env copies of the rollout. */
  readonly numEnvs?: number;
}

export interface KnowledgeBase {
  readonly meta: KnowledgeBaseMeta;
  readonly size: number;
  readonly states: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly nextStates: Float32Array;
  readonly terminated: Uint8Array;
  readonly episodeEnd: Uint8Array;
  readonly episode: Int32Array;
  readonly teacherQ: Float32Array;
}

export interface KnowledgeBaseStats {
  readonly size: number;
  readonly episodes: number;
  /** Per observation dimension. */
  readonly stateMean: number[];
  readonly stateStd: number[];
  readonly stateMin: number[];
  readonly stateMax: number[];
  /** Fraction of rows per action. */
  readonly actionMix: number[];
  /** Undiscounted returns of the complete episodes the rows came from (not those cut by the budget). */
  readonly episodeReturns: number[];
  readonly meanEpisodeReturn: number;
  /** Mean and std of the teacher's max-Q over the rows. */
  readonly teacherMaxQMean: number;
  readonly teacherMaxQStd: number;
  /** Fraction of rows whose action is the teacher's argmax (1 − ε·(A−1)/A expected). */
  readonly greedyFraction: number;
}

/** The column arrays' expected lengths, checked on construction from storage. */
export function validateKnowledgeBase(kb: KnowledgeBase, source = 'knowledge base'): void {
  const { observationSize: n, actionCount: a } = kb.meta;
  const expect = (name: string, arr: ArrayLike<number>, len: number) => {
    if (arr.length !== len) throw new Error(`${source}: column "${name}" has ${arr.length} values, expected ${len} (${kb.size} rows)`);
  };
  if (!Number.isInteger(kb.size) || kb.size < 0) throw new Error(`${source}: size must be a non-negative integer, got ${kb.size}`);
  expect('states', kb.states, kb.size * n);
  expect('nextStates', kb.nextStates, kb.size * n);
  expect('actions', kb.actions, kb.size);
  expect('rewards', kb.rewards, kb.size);
  expect('terminated', kb.terminated, kb.size);
  expect('episodeEnd', kb.episodeEnd, kb.size);
  expect('episode', kb.episode, kb.size);
  expect('teacherQ', kb.teacherQ, kb.size * a);
  for (let i = 0; i < kb.size; i++) {
    if (kb.actions[i] < 0 || kb.actions[i] >= a) throw new Error(`${source}: row ${i} has action ${kb.actions[i]}, outside [0, ${a - 1}]`);
    if (kb.terminated[i] > 1 || kb.episodeEnd[i] > 1) throw new Error(`${source}: row ${i} has terminated=${kb.terminated[i]}, episodeEnd=${kb.episodeEnd[i]}; flags are 0 or 1`);
    if (kb.terminated[i] === 1 && kb.episodeEnd[i] !== 1) throw new Error(`${source}: row ${i} is terminated but not marked as the end of its episode`);
  }
  // NaN or ±Inf would only show up later as a NaN loss ("try a lower learning rate"), blaming the wrong thing.
  for (const [name, values, width] of [['states', kb.states, n], ['nextStates', kb.nextStates, n], ['rewards', kb.rewards, 1], ['teacherQ', kb.teacherQ, a]] as const) {
    for (let j = 0; j < values.length; j++) {
      if (!Number.isFinite(values[j])) {
        const what = name === 'teacherQ' ? 'Q-value' : name === 'rewards' ? 'reward' : 'state value';
        throw new Error(`${source}: column "${name}" row ${Math.floor(j / width)} holds ${values[j]}; every ${what} must be a finite number (the knowledge base is damaged)`);
      }
    }
  }
}

export function knowledgeBaseStats(kb: KnowledgeBase): KnowledgeBaseStats {
  const { observationSize: n, actionCount: a } = kb.meta;
  const mean = new Array<number>(n).fill(0);
  const m2 = new Array<number>(n).fill(0);
  const min = new Array<number>(n).fill(Infinity);
  const max = new Array<number>(n).fill(-Infinity);
  const counts = new Array<number>(a).fill(0);
  const episodeReturns: number[] = [];
  const incomplete = new Set(kb.meta.incompleteEpisodes ?? []);
  let running = 0;
  let greedy = 0;
  let qSum = 0;
  let qSq = 0;
  for (let i = 0; i < kb.size; i++) {
    for (let d = 0; d < n; d++) {
      const v = kb.states[i * n + d];
      // Welford's update keeps the variance accurate over 10⁶ rows.
      const delta = v - mean[d];
      mean[d] += delta / (i + 1);
      m2[d] += delta * (v - mean[d]);
      if (v < min[d]) min[d] = v;
      if (v > max[d]) max[d] = v;
    }
    counts[kb.actions[i]]++;
    let best = 0;
    for (let j = 1; j < a; j++) if (kb.teacherQ[i * a + j] > kb.teacherQ[i * a + best]) best = j;
    if (best === kb.actions[i]) greedy++;
    const q = kb.teacherQ[i * a + best];
    qSum += q;
    qSq += q * q;
    running += kb.rewards[i];
    if (kb.episodeEnd[i]) {
      if (!incomplete.has(kb.episode[i])) episodeReturns.push(running);
      running = 0;
    }
  }
  const size = kb.size;
  const qMean = size ? qSum / size : Number.NaN;
  return {
    size,
    episodes: episodeReturns.length,
    stateMean: mean,
    stateStd: m2.map((v) => (size ? Math.sqrt(v / size) : Number.NaN)),
    stateMin: min,
    stateMax: max,
    actionMix: counts.map((c) => (size ? c / size : Number.NaN)),
    episodeReturns,
    meanEpisodeReturn: episodeReturns.length ? episodeReturns.reduce((x, y) => x + y, 0) / episodeReturns.length : Number.NaN,
    teacherMaxQMean: qMean,
    teacherMaxQStd: size ? Math.sqrt(Math.max(qSq / size - qMean * qMean, 0)) : Number.NaN,
    greedyFraction: size ? greedy / size : Number.NaN,
  };
}
