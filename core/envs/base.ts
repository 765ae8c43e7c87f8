/**
 * Shared episode bookkeeping for the classic-control environments: seeding, Gymnasium's `TimeLimit`
 * (truncated when elapsed steps >= max), action/state validation and the strict "reset before stepping"
 * rule. Subclasses supply only the physics (`sampleInitialState`, `advance`, `stepReward`,
 * `writeObservation`).
 *
 * Hot path: `stepInto` writes the observation into a caller's buffer and leaves reward/flags in
 * `lastReward`/`lastTerminated`/`lastTruncated`, so a vector env steps with no allocation at all; the
 * public `step` allocates only the returned observation and its result record.
 */
import { Rng } from '../util/rng.ts';
import type { Env, EnvId, EnvOptions, StepResult } from './types.ts';

/** Static facts of one environment (Gymnasium class constants + its registration in `gymnasium/envs/__init__.py`). */
export interface EnvSpec {
  readonly id: EnvId;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Names of the internal state components, in `getState()` order (for error messages). */
  readonly stateLabels: readonly string[];
  /** `max_episode_steps` of the registration (the `TimeLimit` wrapper). */
  readonly maxEpisodeSteps: number;
  /** `reward_threshold` of the registration. */
  readonly rewardThreshold: number;
}

const enum Phase {
  /** Never reset (and no setState): stepping throws. */
  Fresh,
  Running,
  /** Last step terminated or truncated: stepping throws until reset/setState. */
  Ended,
}

/** A seed from entropy, as Gymnasium seeds `np_random` when `reset()` is first called without a seed. */
function entropySeed(): number {
  return Math.floor(Math.random() * 4294967296);
}

function describeValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export abstract class ClassicControlEnv implements Env {
  readonly id: EnvId;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number;

  /** Reward of the last `stepInto`/`step`. */
  lastReward = 0;
  /** Whether the last step reached a terminal state of the MDP. */
  lastTerminated = false;
  /** Whether the last step hit the time limit (may coincide with `lastTerminated`, as in Gymnasium). */
  lastTruncated = false;

  /** Internal float64 state, as Gymnasium's `env.unwrapped.state`. */
  protected readonly state: Float64Array;
  protected readonly rng: Rng;
  private readonly stateLabels: readonly string[];
  private elapsed = 0;
  private phase: Phase = Phase.Fresh;

  protected constructor(spec: EnvSpec, options: EnvOptions = {}) {
    this.id = spec.id;
    this.observationSize = spec.observationSize;
    this.actionCount = spec.actionCount;
    this.rewardThreshold = spec.rewardThreshold;
    this.stateLabels = spec.stateLabels;
    this.state = new Float64Array(spec.stateLabels.length);
    const max = options.maxEpisodeSteps ?? spec.maxEpisodeSteps;
    if (!(max === Infinity || (Number.isInteger(max) && max > 0))) {
      throw new Error(`${spec.id}: maxEpisodeSteps must be a positive integer or Infinity, got ${describeValue(max)}`);
    }
    this.maxEpisodeSteps = max;
    this.rng = new Rng(entropySeed());
  }

  /** Steps taken in the current episode (what `TimeLimit` compares with `maxEpisodeSteps`). */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  reset(seed?: number): Float32Array {
    const obs = new Float32Array(this.observationSize);
    this.resetInto(obs, 0, seed);
    return obs;
  }

  /** `reset` writing the initial observation into `out[offset .. offset + observationSize)`. */
  resetInto(out: Float32Array, offset: number, seed?: number): void {
    if (seed !== undefined) {
      if (!Number.isFinite(seed)) throw new Error(`${this.id}: reset seed must be a finite number, got ${describeValue(seed)}`);
      this.rng.reseed(seed);
    }
    this.sampleInitialState(this.rng, this.state);
    this.elapsed = 0;
    this.phase = Phase.Running;
    this.writeObservation(out, offset);
  }

  step(action: number): StepResult {
    const observation = new Float32Array(this.observationSize);
    this.stepInto(action, observation, 0);
    return { observation, reward: this.lastReward, terminated: this.lastTerminated, truncated: this.lastTruncated };
  }

  /**
   * `step` without allocation: writes the next observation into `out[offset .. offset + observationSize)`
   * and leaves the reward and flags in `lastReward`, `lastTerminated`, `lastTruncated`.
   */
  stepInto(action: number, out: Float32Array, offset: number): void {
    if (this.phase !== Phase.Running) throw this.notRunningError();
    if (!(Number.isInteger(action) && action >= 0 && action < this.actionCount)) {
      throw new Error(`${this.id}: action must be an integer in [0, ${this.actionCount - 1}], got ${describeValue(action)}`);
    }
    const terminated = this.advance(action);
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    this.lastReward = this.stepReward(terminated);
    this.lastTerminated = terminated;
    this.lastTruncated = truncated;
    if (terminated || truncated) this.phase = Phase.Ended;
    this.writeObservation(out, offset);
  }

  getState(): Float64Array {
    return this.state.slice();
  }

  setState(state: ArrayLike<number>): void {
    const n = this.state.length;
    const labels = `[${this.stateLabels.join(', ')}]`;
    if (state == null || typeof state.length !== 'number') {
      throw new Error(`${this.id}: setState expects ${n} numbers ${labels}, got ${describeValue(state)}`);
    }
    if (state.length !== n) {
      throw new Error(`${this.id}: setState expects ${n} numbers ${labels}, got ${state.length}`);
    }
    for (let i = 0; i < n; i++) {
      const v = state[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`${this.id}: setState: state[${i}] (${this.stateLabels[i]}) must be a finite number, got ${describeValue(v)}`);
      }
    }
    for (let i = 0; i < n; i++) this.state[i] = state[i];
    this.elapsed = 0;
    this.phase = Phase.Running;
  }

  /** Writes the float32 observation of the current state into `out` at `offset`. */
  abstract writeObservation(out: Float32Array, offset: number): void;

  /** Draws the initial state into `state` (Gymnasium's `reset` body). */
  protected abstract sampleInitialState(rng: Rng, state: Float64Array): void;

  /** Applies one transition to `this.state` for a validated action; returns `terminated`. */
  protected abstract advance(action: number): boolean;

  /** The unwrapped env's reward for a step that did (not) terminate. */
  protected abstract stepReward(terminated: boolean): number;

  private notRunningError(): Error {
    if (this.phase === Phase.Fresh) {
      return new Error(`${this.id}: step() called before reset(); call reset() (or setState()) first`);
    }
    const how = this.lastTerminated ? 'terminated' : 'was truncated';
    return new Error(
      `${this.id}: step() called after the episode ${how} at step ${this.elapsed}; call reset() to start a new episode`,
    );
  }
}
