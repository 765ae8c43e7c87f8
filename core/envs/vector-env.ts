/**
 * N copies of one environment stepped in lock-step with same-step auto-reset (like Gymnasium's
 * `SyncVectorEnv` in `AutoresetMode.SAME_STEP`, or the old gym's final_observation convention): a copy that
 * terminates or is truncated is reset within the same `step`, its next episode's first observation is
 * returned in `observations`, and the true last observation of the finished episode in
 * `finalObservations` (the one to bootstrap from on truncation).
 *
 * All arrays are flat, row i = copy i. Each copy owns its Rng; auto-resets continue that copy's stream.
 */
import type { ClassicControlEnv } from './base.ts';
import { createClassicEnv } from './registry.ts';
import type { Env, EnvId, EnvOptions } from './types.ts';

/**
 * One vector step. The arrays are the vector env's own buffers: they are **overwritten by the next
 * `step`** (the same object is returned every time); copy what must outlive it.
 */
export interface VectorStepResult {
  /** [numEnvs * observationSize] next observations; for copies that finished, already the reset observation. */
  readonly observations: Float32Array;
  /** [numEnvs] reward of this step. */
  readonly rewards: Float64Array;
  /** [numEnvs] 1 where the copy reached a terminal state this step. */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 where the copy hit the time limit this step (may be 1 together with `terminated`). */
  readonly truncated: Uint8Array;
  /** [numEnvs * observationSize] the observation the step produced, before any auto-reset (= `observations` for unfinished copies). */
  readonly finalObservations: Float32Array;
  /** [numEnvs] undiscounted return of the episode that finished this step; 0 for unfinished copies. */
  readonly episodeReturns: Float64Array;
  /** [numEnvs] length of the episode that finished this step; 0 for unfinished copies. */
  readonly episodeLengths: Int32Array;
}

export class VectorEnv {
  readonly id: EnvId;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number;

  private readonly envs: ClassicControlEnv[];
  private readonly result: VectorStepResult;
  private readonly observations: Float32Array;
  private readonly finalObservations: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly episodeReturns: Float64Array;
  private readonly episodeLengths: Int32Array;
  /** Return and length of each copy's running episode. */
  private readonly runningReturns: Float64Array;
  private readonly runningLengths: Int32Array;
  private started = false;

  constructor(id: string, numEnvs: number, options?: EnvOptions) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new Error(`VectorEnv: numEnvs must be a positive integer, got ${String(numEnvs)}`);
    }
    this.envs = [];
    for (let i = 0; i < numEnvs; i++) this.envs.push(createClassicEnv(id, options));
    const first = this.envs[0];
    this.id = first.id;
    this.numEnvs = numEnvs;
    this.observationSize = first.observationSize;
    this.actionCount = first.actionCount;
    this.maxEpisodeSteps = first.maxEpisodeSteps;
    this.rewardThreshold = first.rewardThreshold;

    const flat = numEnvs * this.observationSize;
    this.observations = new Float32Array(flat);
    this.finalObservations = new Float32Array(flat);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturns = new Float64Array(numEnvs);
    this.episodeLengths = new Int32Array(numEnvs);
    this.runningReturns = new Float64Array(numEnvs);
    this.runningLengths = new Int32Array(numEnvs);
    this.result = {
      observations: this.observations,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      finalObservations: this.finalObservations,
      episodeReturns: this.episodeReturns,
      episodeLengths: this.episodeLengths,
    };
  }

  /** Copy i (e.g. for `getState`/`setState` in tests). Stepping it directly desynchronises the episode statistics. */
  env(index: number): Env {
    if (!Number.isInteger(index) || index < 0 || index >= this.numEnvs) {
      throw new Error(`VectorEnv(${this.id}): env index must be an integer in [0, ${this.numEnvs - 1}], got ${String(index)}`);
    }
    return this.envs[index];
  }

  /**
   * Resets every copy; with a seed, copy i is reseeded with `seed + i` (as Gymnasium's vector envs do),
   * otherwise each copy continues its own stream. Returns a fresh [numEnvs * observationSize] array.
   */
  reset(seed?: number): Float32Array {
    if (seed !== undefined && !Number.isFinite(seed)) {
      throw new Error(`VectorEnv(${this.id}): reset seed must be a finite number, got ${String(seed)}`);
    }
    const n = this.observationSize;
    for (let i = 0; i < this.numEnvs; i++) {
      this.envs[i].resetInto(this.observations, i * n, seed === undefined ? undefined : seed + i);
    }
    this.runningReturns.fill(0);
    this.runningLengths.fill(0);
    this.started = true;
    return this.observations.slice();
  }

  /**
   * Steps every copy with `actions[i]` and auto-resets the copies that finished. Returns the env's own
   * buffers, overwritten by the next call (see `VectorStepResult`). Actions are all validated before any
   * copy moves.
   */
  step(actions: ArrayLike<number>): VectorStepResult {
    if (!this.started) throw new Error(`VectorEnv(${this.id}): step() called before reset(); call reset() first`);
    const numEnvs = this.numEnvs;
    if (actions == null || actions.length !== numEnvs) {
      throw new Error(`VectorEnv(${this.id}): expected ${numEnvs} actions, got ${actions == null ? String(actions) : actions.length}`);
    }
    const maxAction = this.actionCount - 1;
    for (let i = 0; i < numEnvs; i++) {
      const a = actions[i];
      if (!(Number.isInteger(a) && a >= 0 && a <= maxAction)) {
        throw new Error(`VectorEnv(${this.id}): actions[${i}] must be an integer in [0, ${maxAction}], got ${String(a)}`);
      }
    }

    const n = this.observationSize;
    const obs = this.observations;
    const finalObs = this.finalObservations;
    for (let i = 0; i < numEnvs; i++) {
      const env = this.envs[i];
      const offset = i * n;
      env.stepInto(actions[i], finalObs, offset);
      const reward = env.lastReward;
      const term = env.lastTerminated;
      const trunc = env.lastTruncated;
      this.rewards[i] = reward;
      this.terminated[i] = term ? 1 : 0;
      this.truncated[i] = trunc ? 1 : 0;
      const ret = this.runningReturns[i] + reward;
      const len = this.runningLengths[i] + 1;
      if (term || trunc) {
        this.episodeReturns[i] = ret;
        this.episodeLengths[i] = len;
        this.runningReturns[i] = 0;
        this.runningLengths[i] = 0;
        env.resetInto(obs, offset);
      } else {
        this.episodeReturns[i] = 0;
        this.episodeLengths[i] = 0;
        this.runningReturns[i] = ret;
        this.runningLengths[i] = len;
        for (let j = offset, end = offset + n; j < end; j++) obs[j] = finalObs[j];
      }
    }
    return this.result;
  }
}
