import { describe, it, expect } from 'vitest';
import { createEnv } from '../../../core/envs/index.ts';

/** Gymnasium's MountainCar step, written out independently of the implementation. */
function mountainCarStep(state: readonly number[], action: number): number[] {
  let [position, velocity] = state;
  velocity += (action - 1) * 0.001 + Math.cos(3 * position) * -0.0025;
  velocity = Math.min(Math.max(velocity, -0.07), 0.07);
  position += velocity;
  position = Math.min(Math.max(position, -1.2), 0.6);
  if (position === -1.2 && velocity < 0) velocity = 0;
  return [position, velocity];
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `component ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe('MountainCar-v0 dynamics', () => {
  it('matches a hand-computed step: from (−0.5, 0) pushing right', () => {
    // v' = 0.001 − 0.0025·cos(−1.5) = 0.001 − 0.0025 × 0.0707372016677029 = 0.000823156995830743
    const env = createEnv('MountainCar-v0');
    env.setState([-0.5, 0]);
    env.step(2);
    expectClose(env.getState(), [-0.5 + 0.000823156995830743, 0.000823156995830743], 1e-15);
  });

  const states: number[][] = [
    [-0.5, 0],
    [-0.3, 0.02],
    [0.2, -0.05],
    [-0.9, -0.03],
    [-1.2, 0.0],
    [0.45, 0.04],
  ];
  for (const start of states) {
    for (const action of [0, 1, 2]) {
      it(`steps [${start.join(', ')}] with action ${action} by Gymnasium's equations`, () => {
        const env = createEnv('MountainCar-v0');
        env.setState(start);
        const r = env.step(action);
        const expected = mountainCarStep(start, action);
        expectClose(env.getState(), expected);
        expect(r.observation).toBeInstanceOf(Float32Array);
        expect(Array.from(r.observation)).toEqual(expected.map(Math.fround));
        expect(r.reward).toBe(-1);
        expect(r.terminated).toBe(expected[0] >= 0.5 && expected[1] >= 0);
      });
    }
  }

  it('adds the new velocity to the position and clips the velocity to ±0.07', () => {
    const env = createEnv('MountainCar-v0');
    // cos(3·(−π/6)) ≈ 0: gravity vanishes, so 0.0699 + 0.001 would exceed the speed limit.
    env.setState([-Math.PI / 6, 0.0699]);
    env.step(2);
    const s = env.getState();
    expect(s[1]).toBe(0.07);
    expect(s[0]).toBe(-Math.PI / 6 + 0.07);
  });

  it('stops the car at the left wall (position clipped to −1.2, negative velocity zeroed)', () => {
    const env = createEnv('MountainCar-v0');
    env.setState([-1.19, -0.06]);
    const r = env.step(0);
    expect(Array.from(env.getState())).toEqual([-1.2, 0]);
    expect(r.terminated).toBe(false);
    // From rest at the wall the slope pushes it back to the right.
    env.step(0);
    const s = env.getState();
    expect(s[1]).toBeGreaterThan(0);
    expectClose(s, mountainCarStep([-1.2, 0], 0));
  });
});

describe('MountainCar-v0 episode end', () => {
  it('terminates at position ≥ 0.5 with velocity ≥ 0, reward −1 on the terminal step', () => {
    const env = createEnv('MountainCar-v0');
    env.setState([0.49, 0.02]);
    const r = env.step(2);
    expect(env.getState()[0]).toBeGreaterThanOrEqual(0.5);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.reward).toBe(-1);
  });

  it('does not terminate past the goal while moving left', () => {
    const env = createEnv('MountainCar-v0');
    env.setState([0.55, -0.01]);
    const r = env.step(0);
    const s = env.getState();
    expect(s[0]).toBeGreaterThanOrEqual(0.5);
    expect(s[1]).toBeLessThan(0);
    expect(r.terminated).toBe(false);
  });

  it('reaches the goal with the energy-pumping policy', () => {
    const env = createEnv('MountainCar-v0');
    env.reset(1);
    let steps = 0;
    let r;
    do {
      r = env.step(env.getState()[1] >= 0 ? 2 : 0);
      steps++;
    } while (!r.terminated && !r.truncated);
    expect(r.terminated).toBe(true);
    expect(steps).toBeLessThan(200);
  });

  it('truncates at 200 steps under the default time limit', () => {
    const env = createEnv('MountainCar-v0');
    expect(env.maxEpisodeSteps).toBe(200);
    env.reset(0);
    for (let t = 1; t <= 200; t++) {
      const r = env.step(1);
      expect(r.terminated).toBe(false);
      expect(r.truncated).toBe(t === 200);
    }
  });

  it('never truncates with maxEpisodeSteps: Infinity', () => {
    const env = createEnv('MountainCar-v0', { maxEpisodeSteps: Infinity });
    env.reset(0);
    for (let t = 0; t < 1000; t++) expect(env.step(1).truncated).toBe(false);
  });
});

describe('MountainCar-v0 reset', () => {
  it('draws the position from [−0.6, −0.4) with velocity 0', () => {
    const env = createEnv('MountainCar-v0');
    for (let seed = 0; seed < 300; seed++) {
      const obs = env.reset(seed);
      const [p, v] = env.getState();
      expect(obs).toBeInstanceOf(Float32Array);
      expect(obs.length).toBe(2);
      expect(p).toBeGreaterThanOrEqual(-0.6);
      expect(p).toBeLessThan(-0.4);
      expect(v).toBe(0);
      expect(Array.from(obs)).toEqual([Math.fround(p), 0]);
    }
  });
});
