/**
 * MountainCar-v0, step-for-step as Gymnasium's `MountainCarEnv` (discrete actions, `goal_velocity = 0`):
 * https://github.com/Farama-Foundation/Gymnasium/blob/main/gymnasium/envs/classic_control/mountain_car.py
 * (registration: https://github.com/Farama-Foundation/Gymnasium/blob/main/gymnasium/envs/__init__.py).
 *
 * State [position, velocity] in float64; actions 0/1/2 accelerate left / not / right. Per step:
 *   velocity += (action − 1)·0.001 − cos(3·position)·0.0025, clipped to ±0.07;
 *   position += velocity (the *new* velocity), clipped to [−1.2, 0.6].
 * Terminates when position ≥ 0.5 and velocity ≥ 0. Reward −1 on every step, the terminating one included.
 */
import type { Rng } from '../util/rng.ts';
import { ClassicControlEnv, type EnvSpec } from './base.ts';
import type { EnvOptions } from './types.ts';

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const GOAL_VELOCITY = 0;
const FORCE = 0.001;
const GRAVITY = 0.0025;
const RESET_LOW = -0.6;
const RESET_HIGH = -0.4;

export const MOUNTAIN_CAR_SPEC: EnvSpec = {
  id: 'MountainCar-v0',
  observationSize: 2,
  actionCount: 3,
  stateLabels: ['position', 'velocity'],
  maxEpisodeSteps: 200,
  rewardThreshold: -110,
};

export class MountainCarEnv extends ClassicControlEnv {
  static readonly MIN_POSITION = MIN_POSITION;
  static readonly GOAL_POSITION = GOAL_POSITION;

  constructor(options?: EnvOptions) {
    super(MOUNTAIN_CAR_SPEC, options);
  }

  protected sampleInitialState(rng: Rng, state: Float64Array): void {
    state[0] = rng.uniform(RESET_LOW, RESET_HIGH);
    state[1] = 0;
  }

  protected advance(action: number): boolean {
    const s = this.state;
    let position = s[0];
    let velocity = s[1];
    // The source sums the two terms first, then adds them to the velocity (`velocity += a + b`).
    velocity += (action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY;
    if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
    else if (velocity > MAX_SPEED) velocity = MAX_SPEED;
    position += velocity;
    if (position < MIN_POSITION) position = MIN_POSITION;
    else if (position > MAX_POSITION) position = MAX_POSITION;
    // Inelastic wall on the left only: a car clipped to the left end stops. The source has no such rule at
    // the right end (0.6): from any in-range position, reaching it takes a positive velocity, which is
    // past the goal and terminates the episode.
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    s[0] = position;
    s[1] = velocity;
    return position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
  }

  protected stepReward(_terminated: boolean): number {
    return -1.0;
  }

  writeObservation(out: Float32Array, offset: number): void {
    const s = this.state;
    out[offset] = s[0];
    out[offset + 1] = s[1];
  }
}
