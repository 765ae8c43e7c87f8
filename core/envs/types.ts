/** Result of one environment step, as Gymnasium's `step` returns it (info omitted). */
export interface StepResult {
  /** Observation after the step, float32 as Gymnasium's observation space. */
  readonly observation: Float32Array;
  readonly reward: number;
  /** The MDP reached a terminal state: do not bootstrap. */
  readonly terminated: boolean;
  /** Cut off by the time limit: bootstrap from `observation`. */
  readonly truncated: boolean;
}

export type EnvId = 'CartPole-v1' | 'Acrobot-v1' | 'MountainCar-v0';

export interface EnvOptions {
  /** Time limit as truncation; default the Gymnasium registration's (500 / 500 / 200). Infinity: none. */
  maxEpisodeSteps?: number;
}

export interface Env {
  readonly id: EnvId;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Time limit in force (Infinity for the unwrapped env). */
  readonly maxEpisodeSteps: number;
  /** Gymnasium's `spec.reward_threshold` (the "solved" return). */
  readonly rewardThreshold: number;
  /** Starts an episode. A seed reseeds the env's RNG (as `env.reset(seed=...)`); without one the stream continues. */
  reset(seed?: number): Float32Array;
  /**
   * Advances one step. Throws (rather than Gymnasium's warning) when called before `reset()`/`setState()`
   * or after the episode terminated or was truncated, and on an action that is not an integer in
   * [0, actionCount - 1].
   */
  step(action: number): StepResult;
  /** The internal float64 state vector (a copy), as `env.unwrapped.state` in Gymnasium. */
  getState(): Float64Array;
  /** Replaces the internal state (tests); validates length and finiteness. Resets the elapsed-step counter. */
  setState(state: ArrayLike<number>): void;
}
