/**
 * CartPole-v1, step-for-step as Gymnasium's `CartPoleEnv`:
 * https://github.com/Farama-Foundation/Gymnasium/blob/main/gymnasium/envs/classic_control/cartpole.py
 * (registration: https://github.com/Farama-Foundation/Gymnasium/blob/main/gymnasium/envs/__init__.py).
 *
 * State [x, ẋ, θ, θ̇] in float64; actions 0 = push left (−10 N), 1 = push right (+10 N). Dynamics from
 * Florian's corrected cart-pole equations, integrated with explicit Euler (Gymnasium's default
 * `kinematics_integrator = "euler"`: positions advance with the *old* velocities). Reward 1 on every step,
 * the terminating one included. Terminates when |x| > 2.4 or |θ| > 12°.
 *
 * Arithmetic is written in the source's evaluation order so results match numpy bit for bit (up to the
 * last ulp of sin/cos, where the two libms may differ).
 */
import type { Rng } from '../util/rng.ts';
import { ClassicControlEnv, type EnvSpec } from './base.ts';
import type { EnvOptions } from './types.ts';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
/** Half the pole's length (Gymnasium's `length`). */
const LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU = 0.02;
/** 12 degrees, computed as the source does (`12 * 2 * math.pi / 360`) so the threshold is the same double. */
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;
const RESET_LOW = -0.05;
const RESET_HIGH = 0.05;

export const CARTPOLE_SPEC: EnvSpec = {
  id: 'CartPole-v1',
  observationSize: 4,
  actionCount: 2,
  stateLabels: ['x', 'x_dot', 'theta', 'theta_dot'],
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
};

export class CartPoleEnv extends ClassicControlEnv {
  static readonly THETA_THRESHOLD = THETA_THRESHOLD;
  static readonly X_THRESHOLD = X_THRESHOLD;

  constructor(options?: EnvOptions) {
    super(CARTPOLE_SPEC, options);
  }

  protected sampleInitialState(rng: Rng, state: Float64Array): void {
    // np_random.uniform(low, high, size=(4,)): four independent draws, in state order.
    for (let i = 0; i < 4; i++) state[i] = rng.uniform(RESET_LOW, RESET_HIGH);
  }

  protected advance(action: number): boolean {
    const s = this.state;
    let x = s[0];
    let xDot = s[1];
    let theta = s[2];
    let thetaDot = s[3];
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cosTheta = Math.cos(theta);
    const sinTheta = Math.sin(theta);

    const temp = (force + POLE_MASS_LENGTH * (thetaDot * thetaDot) * sinTheta) / TOTAL_MASS;
    const thetaAcc =
      (GRAVITY * sinTheta - cosTheta * temp) / (LENGTH * (4.0 / 3.0 - (MASS_POLE * (cosTheta * cosTheta)) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;

    // Explicit Euler: every update uses the pre-step values.
    x = x + TAU * xDot;
    xDot = xDot + TAU * xAcc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaAcc;

    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;
    return x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
  }

  protected stepReward(_terminated: boolean): number {
    return 1.0;
  }

  writeObservation(out: Float32Array, offset: number): void {
    const s = this.state;
    out[offset] = s[0];
    out[offset + 1] = s[1];
    out[offset + 2] = s[2];
    out[offset + 3] = s[3];
  }
}
