import { describe, it, expect } from 'vitest';
import { createEnv } from '../../../core/envs/index.ts';

/** Gymnasium's CartPole step (explicit Euler), written out independently of the implementation. */
function cartPoleStep(state: readonly number[], action: number): number[] {
  const [x, xDot, theta, thetaDot] = state;
  const gravity = 9.8;
  const massCart = 1.0;
  const massPole = 0.1;
  const totalMass = massPole + massCart;
  const halfLength = 0.5;
  const poleMassLength = massPole * halfLength;
  const force = action === 1 ? 10.0 : -10.0;
  const tau = 0.02;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const temp = (force + poleMassLength * thetaDot ** 2 * s) / totalMass;
  const thetaAcc = (gravity * s - c * temp) / (halfLength * (4.0 / 3.0 - (massPole * c ** 2) / totalMass));
  const xAcc = temp - (poleMassLength * thetaAcc * c) / totalMass;
  return [x + tau * xDot, xDot + tau * xAcc, theta + tau * thetaDot, thetaDot + tau * thetaAcc];
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `component ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

/** A linear balancing controller that keeps the pole up for thousands of steps from Gymnasium's reset range. */
function balance(s: Float64Array): number {
  return 0.1 * s[0] + 0.5 * s[1] + 10 * s[2] + 2 * s[3] > 0 ? 1 : 0;
}

const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;

describe('CartPole-v1 dynamics', () => {
  it('matches the closed form from rest: push right gives ẍ = 4400/451, θ̈ = −600/41', () => {
    // From rest: temp = F/M = 100/11, θ̈ = −temp / (l (4/3 − mp/M)) = −600/41, ẍ = temp − mp·l·θ̈/M = 4400/451.
    const env = createEnv('CartPole-v1');
    env.setState([0, 0, 0, 0]);
    env.step(1);
    expectClose(env.getState(), [0, 0.02 * (4400 / 451), 0, 0.02 * (-600 / 41)]);
    env.setState([0, 0, 0, 0]);
    env.step(0);
    expectClose(env.getState(), [0, -0.02 * (4400 / 451), 0, 0.02 * (600 / 41)]);
  });

  it('explicit Euler: positions advance with the pre-step velocities', () => {
    const env = createEnv('CartPole-v1');
    env.setState([0.1, 0.5, 0.05, -0.3]);
    env.step(1);
    const s = env.getState();
    expect(s[0]).toBe(0.1 + 0.02 * 0.5);
    expect(s[2]).toBe(0.05 + 0.02 * -0.3);
  });

  const states: number[][] = [
    [0, 0, 0, 0],
    [0.01, -0.02, 0.03, 0.04],
    [-1.3, 0.7, -0.12, 1.1],
    [2.0, -1.5, 0.2, -2.0],
    [0.5, 1.2, -0.15, -0.9],
  ];
  for (const start of states) {
    for (const action of [0, 1]) {
      it(`steps [${start.join(', ')}] with action ${action} by Gymnasium's equations`, () => {
        const env = createEnv('CartPole-v1');
        env.setState(start);
        const r = env.step(action);
        const expected = cartPoleStep(start, action);
        expectClose(env.getState(), expected);
        expect(r.observation).toBeInstanceOf(Float32Array);
        expect(Array.from(r.observation)).toEqual(expected.map(Math.fround));
        expect(r.reward).toBe(1);
      });
    }
  }
});

describe('CartPole-v1 episode end', () => {
  it('terminates when x leaves [−2.4, 2.4], with reward 1 on the terminal step', () => {
    const env = createEnv('CartPole-v1');
    env.setState([2.39, 1, 0, 0]);
    let r = env.step(1);
    expect(env.getState()[0]).toBeGreaterThan(2.4);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.reward).toBe(1);

    env.setState([-2.39, -1, 0, 0]);
    r = env.step(0);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(1);
  });

  it('does not terminate at exactly x = 2.4 (strict inequality)', () => {
    const env = createEnv('CartPole-v1');
    env.setState([2.4, 0, 0, 0]);
    const r = env.step(1);
    expect(env.getState()[0]).toBe(2.4);
    expect(r.terminated).toBe(false);
  });

  it('terminates when |θ| exceeds 12°', () => {
    const env = createEnv('CartPole-v1');
    env.setState([0, 0, 0.2, 0.5]);
    let r = env.step(1);
    expect(env.getState()[2]).toBeGreaterThan(THETA_THRESHOLD);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(1);

    env.setState([0, 0, -0.2, -0.5]);
    r = env.step(0);
    expect(env.getState()[2]).toBeLessThan(-THETA_THRESHOLD);
    expect(r.terminated).toBe(true);

    env.setState([0, 0, 0.2, 0.4]); // θ' = 0.208 < 0.20944
    r = env.step(1);
    expect(r.terminated).toBe(false);
  });

  it('truncates at 500 steps under the default time limit', () => {
    const env = createEnv('CartPole-v1');
    expect(env.maxEpisodeSteps).toBe(500);
    env.reset(3);
    for (let t = 1; t <= 500; t++) {
      const r = env.step(balance(env.getState()));
      expect(r.terminated).toBe(false);
      expect(r.truncated).toBe(t === 500);
      expect(r.reward).toBe(1);
    }
    expect(() => env.step(0)).toThrow(/reset\(\)/);
  });

  it('never truncates with maxEpisodeSteps: Infinity', () => {
    const env = createEnv('CartPole-v1', { maxEpisodeSteps: Infinity });
    expect(env.maxEpisodeSteps).toBe(Infinity);
    env.reset(3);
    for (let t = 0; t < 2000; t++) {
      const r = env.step(balance(env.getState()));
      expect(r.truncated || r.terminated).toBe(false);
    }
  });
});

describe('CartPole-v1 reset', () => {
  it('draws every state component uniformly from [−0.05, 0.05)', () => {
    const env = createEnv('CartPole-v1');
    const lo = [Infinity, Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity, -Infinity];
    for (let seed = 0; seed < 300; seed++) {
      const obs = env.reset(seed);
      const s = env.getState();
      expect(obs).toBeInstanceOf(Float32Array);
      expect(obs.length).toBe(4);
      expect(Array.from(obs)).toEqual(Array.from(s, Math.fround));
      for (let i = 0; i < 4; i++) {
        expect(s[i]).toBeGreaterThanOrEqual(-0.05);
        expect(s[i]).toBeLessThan(0.05);
        lo[i] = Math.min(lo[i], s[i]);
        hi[i] = Math.max(hi[i], s[i]);
      }
    }
    // The draws cover the interval, not a corner of it.
    for (let i = 0; i < 4; i++) {
      expect(lo[i]).toBeLessThan(-0.04);
      expect(hi[i]).toBeGreaterThan(0.04);
    }
  });
});
