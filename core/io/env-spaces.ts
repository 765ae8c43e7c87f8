/**
 * Gymnasium's observation and action spaces of the studio's environments, to check a teacher trained elsewhere
 * against the env it is imported for. Bounds from Gymnasium's sources (classic_control/cartpole.py: x limit 2.4·2,
 * θ limit 12°·2 in radians, velocities unbounded as float32 max; acrobot.py: cos/sin in [−1, 1], velocities
 * 4π and 9π; mountain_car.py: position [−1.2, 0.6], speed ±0.07).
 */
import { ENV_SPECS, type EnvId } from '../envs/index.ts';

const F32_MAX = 3.4028234663852886e38;

export interface BoxSpace {
  readonly low: readonly number[];
  readonly high: readonly number[];
}

const CARTPOLE_HIGH = [2.4 * 2, F32_MAX, ((12 * 2 * Math.PI) / 360) * 2, F32_MAX];
const ACROBOT_HIGH = [1, 1, 1, 1, 4 * Math.PI, 9 * Math.PI];

export const OBSERVATION_BOUNDS: Record<EnvId, BoxSpace> = {
  'CartPole-v1': { low: CARTPOLE_HIGH.map((v) => -v), high: CARTPOLE_HIGH },
  'Acrobot-v1': { low: ACROBOT_HIGH.map((v) => -v), high: ACROBOT_HIGH },
  'MountainCar-v0': { low: [-1.2, -0.07], high: [0.6, 0.07] },
};

export function envSizes(env: EnvId): { observationSize: number; actionCount: number } {
  const spec = ENV_SPECS[env];
  return { observationSize: spec.observationSize, actionCount: spec.actionCount };
}

/** Two float32 bounds printed by numpy (8 significant digits) are the same bound. */
export function sameBound(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Math.abs(a) >= F32_MAX * 0.999 && Math.abs(b) >= F32_MAX * 0.999 && Math.sign(a) === Math.sign(b);
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}
