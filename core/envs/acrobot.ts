/**
 * Acrobot-v1, step-for-step as Gymnasium's `AcrobotEnv` (book dynamics, the default `book_or_nips = "book"`):
 * https://github.com/Farama-Foundation/Gymnasium/blob/main/gymnasium/envs/classic_control/acrobot.py
 * (registration: https://github.com/Farama-Foundation/Gymnasium/blob/main/gymnasium/envs/__init__.py).
 *
 * State [θ1, θ2, θ̇1, θ̇2] in float64 (θ1 = 0: first link hanging down; θ2 relative to the first link).
 * Actions 0/1/2 apply torque −1/0/+1 at the elbow. One step is a single classic RK4 step of dt = 0.2,
 * then angles are wrapped to [−π, π] and velocities clipped to ±4π, ±9π. Terminates when the free end is
 * more than one link length above the pivot: −cos θ1 − cos(θ1 + θ2) > 1. Reward −1 per step, 0 on the
 * terminating step. Observation [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2] as float32.
 *
 * Arithmetic follows the source's evaluation order so results match numpy bit for bit (up to the last ulp
 * of sin/cos, where the two libms may differ).
 */
import type { Rng } from '../util/rng.ts';
import { ClassicControlEnv, type EnvSpec } from './base.ts';
import type { EnvOptions } from './types.ts';

const DT = 0.2;
// Gymnasium's rk4 is called with t = [0, dt]: one step, dt2 = dt / 2, weights dt / 6.
const DT2 = DT / 2.0;
const DT6 = DT / 6.0;

const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
/** Moment of inertia of both links. */
const LINK_MOI = 1.0;
const G = 9.8;
const PI = Math.PI;
const TWO_PI = PI - -PI;

const MAX_VEL_1 = 4 * PI;
const MAX_VEL_2 = 9 * PI;
/** Torque for each action (`AVAIL_TORQUE`). Gymnasium's `torque_noise_max` is 0, so no noise is drawn. */
const AVAIL_TORQUE: readonly number[] = [-1.0, 0.0, 1.0];

const RESET_LOW = -0.1;
const RESET_HIGH = 0.1;

export const ACROBOT_SPEC: EnvSpec = {
  id: 'Acrobot-v1',
  observationSize: 6,
  actionCount: 3,
  stateLabels: ['theta1', 'theta2', 'theta1_dot', 'theta2_dot'],
  maxEpisodeSteps: 500,
  rewardThreshold: -100,
};

/**
 * Gymnasium's `wrap(x, -π, π)`: shifts by whole turns until −π ≤ x ≤ π. Both ends are inclusive (x = π
 * stays π), and repeated subtraction (not `%`) is kept because it rounds differently from fmod. The
 * source's loop would spin forever on huge finite inputs (x − 2π == x), reachable only through
 * `setState`, so those are first reduced with an exact fmod.
 */
function wrapAngle(x: number): number {
  if (x > 1e6 || x < -1e6) x %= TWO_PI;
  while (x > PI) x -= TWO_PI;
  while (x < -PI) x += TWO_PI;
  return x;
}

/** Gymnasium's `bound(x, m, M)` = min(max(x, m), M). */
function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export class AcrobotEnv extends ClassicControlEnv {
  static readonly MAX_VEL_1 = MAX_VEL_1;
  static readonly MAX_VEL_2 = MAX_VEL_2;

  /** Angular accelerations [θ̈1, θ̈2] written by `accelerations` (scratch, avoids allocation). */
  private readonly acc = new Float64Array(2);

  constructor(options?: EnvOptions) {
    super(ACROBOT_SPEC, options);
  }

  protected sampleInitialState(rng: Rng, state: Float64Array): void {
    // Gymnasium draws float64 then casts the state to float32 (`.astype(np.float32)`); the first step
    // promotes it back to float64. Rounding here keeps trajectories identical from the reset state on.
    for (let i = 0; i < 4; i++) state[i] = Math.fround(rng.uniform(RESET_LOW, RESET_HIGH));
  }

  /**
   * `_dsdt` of the book dynamics. The source's derivative is of the augmented state [θ1, θ2, θ̇1, θ̇2, τ]:
   * its first two components are the velocities themselves and the torque's derivative is 0 (τ is held
   * constant over the step), so only the two accelerations need computing.
   */
  private accelerations(theta1: number, theta2: number, dtheta1: number, dtheta2: number, a: number): void {
    const m1 = LINK_MASS_1;
    const m2 = LINK_MASS_2;
    const l1 = LINK_LENGTH_1;
    const lc1 = LINK_COM_POS_1;
    const lc2 = LINK_COM_POS_2;
    const I1 = LINK_MOI;
    const I2 = LINK_MOI;
    const sin2 = Math.sin(theta2);
    const d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
    const d2 = m2 * (lc2 * lc2 + l1 * lc2 * Math.cos(theta2)) + I2;
    const phi2 = m2 * lc2 * G * Math.cos(theta1 + theta2 - PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2 -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
      (m1 * lc1 + m2 * l1) * G * Math.cos(theta1 - PI / 2) +
      phi2;
    // Book (and Java implementation) version: has the −m2·l1·lc2·θ̇1²·sin θ2 term the NIPS paper omits.
    const ddtheta2 =
      (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2) /
      (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    this.acc[0] = ddtheta1;
    this.acc[1] = ddtheta2;
  }

  protected advance(action: number): boolean {
    const s = this.state;
    const torque = AVAIL_TORQUE[action];
    const acc = this.acc;
    const t1 = s[0];
    const t2 = s[1];
    const w1 = s[2];
    const w2 = s[3];

    // Classic RK4 over [0, dt]. k·[0..1] are velocities, k·[2..3] accelerations.
    this.accelerations(t1, t2, w1, w2, torque);
    const k1a = w1;
    const k1b = w2;
    const k1c = acc[0];
    const k1d = acc[1];

    const k2a = w1 + DT2 * k1c;
    const k2b = w2 + DT2 * k1d;
    this.accelerations(t1 + DT2 * k1a, t2 + DT2 * k1b, k2a, k2b, torque);
    const k2c = acc[0];
    const k2d = acc[1];

    const k3a = w1 + DT2 * k2c;
    const k3b = w2 + DT2 * k2d;
    this.accelerations(t1 + DT2 * k2a, t2 + DT2 * k2b, k3a, k3b, torque);
    const k3c = acc[0];
    const k3d = acc[1];

    const k4a = w1 + DT * k3c;
    const k4b = w2 + DT * k3d;
    this.accelerations(t1 + DT * k3a, t2 + DT * k3b, k4a, k4b, torque);
    const k4c = acc[0];
    const k4d = acc[1];

    const nt1 = t1 + DT6 * (k1a + 2 * k2a + 2 * k3a + k4a);
    const nt2 = t2 + DT6 * (k1b + 2 * k2b + 2 * k3b + k4b);
    const nw1 = w1 + DT6 * (k1c + 2 * k2c + 2 * k3c + k4c);
    const nw2 = w2 + DT6 * (k1d + 2 * k2d + 2 * k3d + k4d);

    const theta1 = wrapAngle(nt1);
    const theta2 = wrapAngle(nt2);
    s[0] = theta1;
    s[1] = theta2;
    s[2] = clip(nw1, -MAX_VEL_1, MAX_VEL_1);
    s[3] = clip(nw2, -MAX_VEL_2, MAX_VEL_2);
    return -Math.cos(theta1) - Math.cos(theta2 + theta1) > 1.0;
  }

  protected stepReward(terminated: boolean): number {
    return terminated ? 0.0 : -1.0;
  }

  writeObservation(out: Float32Array, offset: number): void {
    const s = this.state;
    out[offset] = Math.cos(s[0]);
    out[offset + 1] = Math.sin(s[0]);
    out[offset + 2] = Math.cos(s[1]);
    out[offset + 3] = Math.sin(s[1]);
    out[offset + 4] = s[2];
    out[offset + 5] = s[3];
  }
}
