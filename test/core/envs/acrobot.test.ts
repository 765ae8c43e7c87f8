import { describe, it, expect } from 'vitest';
import { createEnv } from '../../../core/envs/index.ts';
import { GYMNASIUM_REFERENCE } from './gymnasium-reference.ts';

// ---- Independent re-derivation of Gymnasium's Acrobot step, written as the source structures it: ------
// the derivative of the augmented state [θ1, θ2, θ̇1, θ̇2, τ], one generic RK4 step over [0, 0.2] on the
// 5-vector, then wrap/clip on the first four components.

type Vec = number[];

function dsdt(y: Vec): Vec {
  const m1 = 1.0;
  const m2 = 1.0;
  const l1 = 1.0;
  const lc1 = 0.5;
  const lc2 = 0.5;
  const I1 = 1.0;
  const I2 = 1.0;
  const g = 9.8;
  const [theta1, theta2, dtheta1, dtheta2, a] = y;
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  const ddtheta2 =
    (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return [dtheta1, dtheta2, ddtheta1, ddtheta2, 0];
}

const axpy = (y: Vec, h: number, k: Vec): Vec => y.map((v, i) => v + h * k[i]);

function rk4Step(y0: Vec, dt: number): Vec {
  const k1 = dsdt(y0);
  const k2 = dsdt(axpy(y0, dt / 2, k1));
  const k3 = dsdt(axpy(y0, dt / 2, k2));
  const k4 = dsdt(axpy(y0, dt, k3));
  return y0.map((v, i) => v + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
}

function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x -= diff;
  while (x < m) x += diff;
  return x;
}

function acrobotStep(state: readonly number[], action: number): number[] {
  const torque = [-1, 0, 1][action];
  const ns = rk4Step([...state, torque], 0.2).slice(0, 4);
  return [
    wrap(ns[0], -Math.PI, Math.PI),
    wrap(ns[1], -Math.PI, Math.PI),
    Math.min(Math.max(ns[2], -4 * Math.PI), 4 * Math.PI),
    Math.min(Math.max(ns[3], -9 * Math.PI), 9 * Math.PI),
  ];
}

const isGoal = (s: ArrayLike<number>): boolean => -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `component ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe('Acrobot-v1 dynamics', () => {
  const states: number[][] = [
    [0, 0, 0, 0],
    [0.1, -0.2, 0.3, -0.4],
    [2.5, 1.0, 3.0, -5.0],
    [-3.0, 2.9, -10, 25],
    [3.1, 0.05, 12.0, 27.0], // crosses π and saturates θ̇1 at 4π
  ];
  for (const start of states) {
    for (const action of [0, 1, 2]) {
      it(`steps [${start.join(', ')}] with action ${action} by the book equations + RK4`, () => {
        const env = createEnv('Acrobot-v1');
        env.setState(start);
        const r = env.step(action);
        const expected = acrobotStep(start, action);
        expectClose(env.getState(), expected);
        expect(r.observation).toBeInstanceOf(Float32Array);
        expect(r.observation.length).toBe(6);
        const [t1, t2, w1, w2] = expected;
        const obs = [Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), w1, w2];
        expectClose(r.observation, obs.map(Math.fround), 1e-7);
        expect(r.terminated).toBe(isGoal(expected));
        expect(r.reward).toBe(r.terminated ? 0 : -1);
      });
    }
  }

  it('wraps angles into [−π, π] and clips velocities to ±4π, ±9π', () => {
    const env = createEnv('Acrobot-v1');
    env.setState([3.1, 0.05, 12.0, 27.0]);
    env.step(2);
    const s = env.getState();
    expect(s[2]).toBe(4 * Math.PI); // saturated
    expect(Math.abs(s[0])).toBeLessThanOrEqual(Math.PI);
    expect(Math.abs(s[1])).toBeLessThanOrEqual(Math.PI);

    env.setState([-3.1, -0.05, -12.0, -27.0]); // the mirror image
    env.step(0);
    expect(env.getState()[2]).toBe(-4 * Math.PI);

    env.setState([0, 0, 0, -28]);
    env.step(0);
    expect(env.getState()[3]).toBe(-9 * Math.PI);
    env.setState([0, 0, 0, 28]);
    env.step(2);
    expect(env.getState()[3]).toBe(9 * Math.PI);

    // Here the raw RK4 θ1 leaves [−π, π]: it comes back exactly one turn lower.
    const raw = rk4Step([3.1, 0.05, 12.0, 27.0, 1], 0.2);
    expect(raw[0]).toBeGreaterThan(Math.PI);
    expect(raw[0]).toBeLessThan(3 * Math.PI);
    env.setState([3.1, 0.05, 12.0, 27.0]);
    env.step(2);
    expect(Math.abs(env.getState()[0] - (raw[0] - 2 * Math.PI))).toBeLessThan(1e-12);
  });

  it('torque enters the elbow: actions 0 and 2 are mirror images from the symmetric rest state', () => {
    const env = createEnv('Acrobot-v1');
    env.setState([0, 0, 0, 0]);
    env.step(0);
    const left = env.getState();
    env.setState([0, 0, 0, 0]);
    env.step(2);
    const right = env.getState();
    expect(right[3]).toBeGreaterThan(0);
    expect(left[3]).toBeLessThan(0);
    // Symmetric up to the gravity term, which is ~1e-16 at rest because cos(−π/2) ≠ 0 in floating point.
    for (let i = 0; i < 4; i++) expect(Math.abs(left[i] + right[i])).toBeLessThan(1e-12);
  });
});

describe('Acrobot-v1 against transitions recorded from Gymnasium itself', () => {
  for (const c of GYMNASIUM_REFERENCE.filter((c) => c.env === 'Acrobot-v1')) {
    it(`from [${c.start.join(', ')}] for ${c.steps.length} steps`, () => {
      const env = createEnv('Acrobot-v1');
      env.setState(c.start);
      for (const step of c.steps) {
        const r = env.step(step.a);
        // Bit-identical but for last-ulp differences between V8's and numpy's sin/cos (≤ 1e-14 measured
        // over the 73-step chaotic run).
        expectClose(env.getState(), step.s as number[], 1e-12);
        expectClose(r.observation, step.o as number[], 1e-6);
        expect(r.reward).toBe(step.r);
        expect(r.terminated).toBe(step.t);
      }
    });
  }
});

describe('Acrobot-v1 episode end', () => {
  it('terminates at the goal height with reward 0', () => {
    const env = createEnv('Acrobot-v1');
    env.setState([Math.PI, 0, 0, 0]); // both links straight up
    const r = env.step(1);
    expect(isGoal(env.getState())).toBe(true);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.reward).toBe(0);
  });

  it('gives −1 for a non-terminal step', () => {
    const env = createEnv('Acrobot-v1');
    env.setState([0, 0, 0, 0]);
    const r = env.step(1);
    expect(r.terminated).toBe(false);
    expect(r.reward).toBe(-1);
  });

  it('truncates at 500 steps under the default time limit', () => {
    const env = createEnv('Acrobot-v1');
    expect(env.maxEpisodeSteps).toBe(500);
    env.reset(0);
    for (let t = 1; t <= 500; t++) {
      const r = env.step(1); // no torque: it just swings near the bottom
      expect(r.terminated).toBe(false);
      expect(r.truncated).toBe(t === 500);
      expect(r.reward).toBe(-1);
    }
  });

  it('never truncates with maxEpisodeSteps: Infinity', () => {
    const env = createEnv('Acrobot-v1', { maxEpisodeSteps: Infinity });
    env.reset(0);
    for (let t = 0; t < 1500; t++) expect(env.step(1).truncated).toBe(false);
  });
});

describe('Acrobot-v1 reset', () => {
  it('draws all four state components from [−0.1, 0.1), stored as float32 like Gymnasium', () => {
    const env = createEnv('Acrobot-v1');
    for (let seed = 0; seed < 200; seed++) {
      const obs = env.reset(seed);
      const s = env.getState();
      expect(obs).toBeInstanceOf(Float32Array);
      expect(obs.length).toBe(6);
      for (let i = 0; i < 4; i++) {
        expect(Math.abs(s[i])).toBeLessThanOrEqual(0.1);
        expect(s[i]).toBe(Math.fround(s[i])); // `.astype(np.float32)` in Gymnasium's reset
      }
      const expected = [Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]].map(Math.fround);
      expect(Array.from(obs)).toEqual(expected);
    }
  });
});
