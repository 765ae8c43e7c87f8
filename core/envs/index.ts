/**
 * Classic-control environments, step-for-step as Gymnasium's (CartPole-v1, Acrobot-v1, MountainCar-v0),
 * with Gymnasium's `TimeLimit` as truncation, plus a same-step auto-resetting vector env.
 */
import { createClassicEnv } from './registry.ts';
import type { Env, EnvOptions } from './types.ts';

export type { Env, EnvId, EnvOptions, StepResult } from './types.ts';
export type { EnvSpec } from './base.ts';
export { ClassicControlEnv } from './base.ts';
export { CartPoleEnv } from './cartpole.ts';
export { AcrobotEnv } from './acrobot.ts';
export { MountainCarEnv } from './mountain-car.ts';
export { ENV_IDS, ENV_SPECS, isEnvId } from './registry.ts';
export { VectorEnv, type VectorStepResult } from './vector-env.ts';

/**
 * `gymnasium.make(id)`: the environment with its registered time limit (override with
 * `{ maxEpisodeSteps }`; `Infinity` for none). Throws on an unknown id, listing the known ones.
 */
export function createEnv(id: string, options?: EnvOptions): Env {
  return createClassicEnv(id, options);
}
