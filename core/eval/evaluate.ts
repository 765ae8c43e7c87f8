/**
 * Greedy evaluation on a fixed list of episode seeds. Every policy in an experiment is evaluated on the same
 * seeds, so their returns are paired; the episodes run side by side and the policy is queried in one batch
 * per step (small networks are dispatch-bound).
 */
import { createEnv, type Env } from '../envs/index.ts';
import { runCooperatively, runToEnd, type CooperativeOptions, type Work } from '../training/cooperative.ts';
import { returnStats, type ReturnStats } from './stats.ts';

/** Maps `batch` observations (row-major in `obs`) to actions. */
export type BatchPolicy = (obs: Float32Array, batch: number) => ArrayLike<number>;

/** The studio's fixed evaluation seeds: test episodes (reported scores). */
export const TEST_SEED_BASE = 1_000_000;
/** Validation episodes (model selection during training), disjoint from the test seeds. */
export const VALIDATION_SEED_BASE = 2_000_000;

export function episodeSeeds(count: number, base = TEST_SEED_BASE): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

export interface EvaluationResult extends ReturnStats {
  readonly returns: number[];
  readonly lengths: number[];
  readonly seeds: number[];
  /** Wall-clock microseconds per policy query, per observation (batched). */
  readonly microsecondsPerAction: number;
}

export interface EvaluateOptions {
  readonly maxEpisodeSteps?: number;
}

export function evaluatePolicy(envId: string, policy: BatchPolicy, seeds: readonly number[], options: EvaluateOptions = {}): EvaluationResult {
  return runToEnd(evaluationWork(envId, policy, seeds, options));
}

/** The same evaluation, yielding to the event loop as it goes; progress counts finished episodes. */
export function evaluatePolicyAsync(envId: string, policy: BatchPolicy, seeds: readonly number[], options: EvaluateOptions & CooperativeOptions = {}): Promise<EvaluationResult> {
  return runCooperatively(evaluationWork(envId, policy, seeds, options), { what: 'evaluation', ...options });
}

/** The episodes side by side, one batched policy query per step; yields the number of finished episodes after each step. */
function* evaluationWork(envId: string, policy: BatchPolicy, seeds: readonly number[], options: EvaluateOptions): Work<EvaluationResult> {
  const envs: Env[] = seeds.map(() => createEnv(envId, options));
  const obsSize = envs[0].observationSize;
  const returns = new Array<number>(seeds.length).fill(0);
  const lengths = new Array<number>(seeds.length).fill(0);
  const current: Float32Array[] = envs.map((env, i) => env.reset(seeds[i]));
  let active = seeds.map((_, i) => i);
  const obs = new Float32Array(seeds.length * obsSize);
  let policyTime = 0;
  let policyRows = 0;
  while (active.length > 0) {
    for (let k = 0; k < active.length; k++) obs.set(current[active[k]], k * obsSize);
    const t0 = performance.now();
    const actions = policy(obs.subarray(0, active.length * obsSize), active.length);
    policyTime += performance.now() - t0;
    policyRows += active.length;
    const still: number[] = [];
    for (let k = 0; k < active.length; k++) {
      const i = active[k];
      const r = envs[i].step(actions[k]);
      returns[i] += r.reward;
      lengths[i]++;
      current[i] = r.observation;
      if (!r.terminated && !r.truncated) still.push(i);
    }
    active = still;
    yield seeds.length - active.length;
  }
  return {
    ...returnStats(returns),
    returns,
    lengths,
    seeds: [...seeds],
    microsecondsPerAction: policyRows > 0 ? (policyTime * 1000) / policyRows : Number.NaN,
  };
}
