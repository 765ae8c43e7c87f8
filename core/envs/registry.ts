/** The environment registry: ids, specs and the factory (kept apart from index.ts so vector-env.ts can import it). */
import { AcrobotEnv, ACROBOT_SPEC } from './acrobot.ts';
import type { ClassicControlEnv, EnvSpec } from './base.ts';
import { CartPoleEnv, CARTPOLE_SPEC } from './cartpole.ts';
import { MountainCarEnv, MOUNTAIN_CAR_SPEC } from './mountain-car.ts';
import type { EnvId, EnvOptions } from './types.ts';

/** Every registered environment id, in a fixed order. */
export const ENV_IDS: readonly EnvId[] = Object.freeze(['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0'] as const);

/** Static facts of each environment (sizes, default time limit, reward threshold). */
export const ENV_SPECS: Readonly<Record<EnvId, EnvSpec>> = Object.freeze({
  'CartPole-v1': CARTPOLE_SPEC,
  'Acrobot-v1': ACROBOT_SPEC,
  'MountainCar-v0': MOUNTAIN_CAR_SPEC,
});

export function isEnvId(s: unknown): s is EnvId {
  return typeof s === 'string' && (ENV_IDS as readonly string[]).includes(s);
}

/** Like `createEnv`, typed as the concrete base class (for the vector env's allocation-free stepping). */
export function createClassicEnv(id: string, options?: EnvOptions): ClassicControlEnv {
  switch (id) {
    case 'CartPole-v1':
      return new CartPoleEnv(options);
    case 'Acrobot-v1':
      return new AcrobotEnv(options);
    case 'MountainCar-v0':
      return new MountainCarEnv(options);
    default:
      throw new Error(`Unknown environment ${JSON.stringify(String(id))}; known: ${ENV_IDS.join(', ')}`);
  }
}
