import { describe, it, expect } from 'vitest';
import { createEnv, ENV_IDS, VectorEnv, type Env } from '../../../core/envs/index.ts';
import { Rng } from '../../../core/util/rng.ts';

const row = (a: Float32Array, i: number, n: number): number[] => Array.from(a.subarray(i * n, (i + 1) * n));

describe('VectorEnv construction and reset', () => {
  it('exposes the sizes and limits of its env', () => {
    const v = new VectorEnv('Acrobot-v1', 3, { maxEpisodeSteps: 50 });
    expect(v.id).toBe('Acrobot-v1');
    expect(v.numEnvs).toBe(3);
    expect(v.observationSize).toBe(6);
    expect(v.actionCount).toBe(3);
    expect(v.maxEpisodeSteps).toBe(50);
    expect(v.rewardThreshold).toBe(-100);
  });

  it('rejects bad arguments', () => {
    expect(() => new VectorEnv('Foo-v0', 2)).toThrow('Unknown environment "Foo-v0"; known: CartPole-v1, Acrobot-v1, MountainCar-v0');
    expect(() => new VectorEnv('CartPole-v1', 0)).toThrow('VectorEnv: numEnvs must be a positive integer, got 0');
    expect(() => new VectorEnv('CartPole-v1', 2.5)).toThrow('got 2.5');
  });

  for (const id of ENV_IDS) {
    it(`${id}: reset(seed) seeds copy i with seed + i and returns a flat Float32Array`, () => {
      const v = new VectorEnv(id, 4);
      const obs = v.reset(100);
      expect(obs).toBeInstanceOf(Float32Array);
      expect(obs.length).toBe(4 * v.observationSize);
      for (let i = 0; i < 4; i++) {
        expect(row(obs, i, v.observationSize)).toEqual(Array.from(createEnv(id).reset(100 + i)));
        expect(Array.from(v.env(i).getState())).toEqual(Array.from(singleAfterReset(id, 100 + i)));
      }
      expect(row(obs, 0, v.observationSize)).not.toEqual(row(obs, 1, v.observationSize));
    });
  }

  it('reset without a seed continues each copy’s stream', () => {
    const v = new VectorEnv('CartPole-v1', 2);
    v.reset(7);
    const obs = v.reset();
    for (let i = 0; i < 2; i++) {
      const e = createEnv('CartPole-v1');
      e.reset(7 + i);
      expect(row(obs, i, 4)).toEqual(Array.from(e.reset()));
    }
  });

  it('reset returns a fresh array that later steps do not overwrite', () => {
    const v = new VectorEnv('MountainCar-v0', 2);
    const obs = v.reset(0);
    const copy = Array.from(obs);
    v.step([2, 2]);
    expect(Array.from(obs)).toEqual(copy);
  });
});

function singleAfterReset(id: string, seed: number): Float64Array {
  const e = createEnv(id);
  e.reset(seed);
  return e.getState();
}

describe('VectorEnv stepping', () => {
  for (const id of ENV_IDS) {
    it(`${id}: equals N single envs in lock-step, auto-reset continuing each copy's own stream`, () => {
      const numEnvs = 3;
      const limit = 25; // short episodes so several auto-resets happen
      const v = new VectorEnv(id, numEnvs, { maxEpisodeSteps: limit });
      const singles: Env[] = [];
      for (let i = 0; i < numEnvs; i++) singles.push(createEnv(id, { maxEpisodeSteps: limit }));
      const n = v.observationSize;
      v.reset(42);
      singles.forEach((e, i) => e.reset(42 + i));
      const rng = new Rng(9);
      const running = new Float64Array(numEnvs);
      const lengths = new Int32Array(numEnvs);
      let finished = 0;
      for (let t = 0; t < 200; t++) {
        const actions = Array.from({ length: numEnvs }, () => rng.int(v.actionCount));
        const out = v.step(actions);
        for (let i = 0; i < numEnvs; i++) {
          const r = singles[i].step(actions[i]);
          expect(row(out.finalObservations, i, n)).toEqual(Array.from(r.observation));
          expect(out.rewards[i]).toBe(r.reward);
          expect(out.terminated[i]).toBe(r.terminated ? 1 : 0);
          expect(out.truncated[i]).toBe(r.truncated ? 1 : 0);
          running[i] += r.reward;
          lengths[i]++;
          if (r.terminated || r.truncated) {
            finished++;
            expect(out.episodeReturns[i]).toBe(running[i]);
            expect(out.episodeLengths[i]).toBe(lengths[i]);
            running[i] = 0;
            lengths[i] = 0;
            expect(row(out.observations, i, n)).toEqual(Array.from(singles[i].reset()));
          } else {
            expect(out.episodeReturns[i]).toBe(0);
            expect(out.episodeLengths[i]).toBe(0);
            expect(row(out.observations, i, n)).toEqual(Array.from(r.observation));
          }
        }
      }
      expect(finished).toBeGreaterThanOrEqual(numEnvs * 4);
    });
  }

  it('keeps the true final observation of a terminated copy in finalObservations', () => {
    const v = new VectorEnv('CartPole-v1', 3);
    v.reset(0);
    v.env(1).setState([2.39, 1, 0, 0]);
    const expectedFinal = [2.39 + 0.02, 0, 0, 0];
    const out = v.step([1, 1, 1]);
    expect(Array.from(out.terminated)).toEqual([0, 1, 0]);
    expect(Array.from(out.truncated)).toEqual([0, 0, 0]);
    const fin = row(out.finalObservations, 1, 4);
    expect(fin[0]).toBe(Math.fround(expectedFinal[0]));
    expect(fin[0]).toBeGreaterThan(2.4);
    // The next episode's first observation is a fresh reset state.
    const next = row(out.observations, 1, 4);
    for (const x of next) expect(Math.abs(x)).toBeLessThan(0.05);
    expect(Array.from(v.env(1).getState(), Math.fround)).toEqual(next);
    // Unfinished copies: both arrays hold the same row.
    for (const i of [0, 2]) expect(row(out.finalObservations, i, 4)).toEqual(row(out.observations, i, 4));
    expect(out.rewards[1]).toBe(1);
    expect(out.episodeLengths[1]).toBe(1);
    expect(out.episodeReturns[1]).toBe(1);
  });

  it('distinguishes truncation from termination and reports episode returns', () => {
    const v = new VectorEnv('MountainCar-v0', 2, { maxEpisodeSteps: 3 });
    v.reset(0);
    v.env(0).setState([0.49, 0.02]); // reaches the goal on the first step
    let out = v.step([2, 1]);
    expect(Array.from(out.terminated)).toEqual([1, 0]);
    expect(Array.from(out.truncated)).toEqual([0, 0]);
    expect(Array.from(out.episodeReturns)).toEqual([-1, 0]);
    expect(Array.from(out.episodeLengths)).toEqual([1, 0]);
    expect(out.finalObservations[0]).toBeGreaterThanOrEqual(0.5);
    expect(out.observations[0]).toBeLessThan(-0.4); // reset into [−0.6, −0.4)

    out = v.step([1, 1]);
    expect(Array.from(out.terminated)).toEqual([0, 0]);
    expect(Array.from(out.truncated)).toEqual([0, 0]);

    out = v.step([1, 1]);
    expect(Array.from(out.terminated)).toEqual([0, 0]);
    expect(Array.from(out.truncated)).toEqual([0, 1]); // copy 1: third step of its episode
    expect(Array.from(out.episodeReturns)).toEqual([0, -3]);
    expect(Array.from(out.episodeLengths)).toEqual([0, 3]);
    const final1 = row(out.finalObservations, 1, 2);
    expect(row(out.observations, 1, 2)).not.toEqual(final1);
    expect(out.observations[3]).toBe(0); // reset velocity

    out = v.step([1, 1]);
    expect(Array.from(out.truncated)).toEqual([1, 0]); // copy 0: third step of its second episode
    expect(Array.from(out.episodeLengths)).toEqual([3, 0]);
  });

  it('sets both flags when the last allowed step also terminates', () => {
    const v = new VectorEnv('MountainCar-v0', 1, { maxEpisodeSteps: 1 });
    v.reset(0);
    v.env(0).setState([0.49, 0.02]);
    const out = v.step([2]);
    expect(out.terminated[0]).toBe(1);
    expect(out.truncated[0]).toBe(1);
  });

  it('runs CartPole-v1 to the 500-step limit with episode return 500', () => {
    const v = new VectorEnv('CartPole-v1', 2);
    v.reset(11);
    let out;
    for (let t = 0; t < 500; t++) {
      const actions = [0, 1].map((i) => {
        const s = v.env(i).getState();
        return 0.1 * s[0] + 0.5 * s[1] + 10 * s[2] + 2 * s[3] > 0 ? 1 : 0;
      });
      out = v.step(actions);
      if (t < 499) expect(Array.from(out.truncated)).toEqual([0, 0]);
    }
    expect(Array.from(out!.truncated)).toEqual([1, 1]);
    expect(Array.from(out!.terminated)).toEqual([0, 0]);
    expect(Array.from(out!.episodeReturns)).toEqual([500, 500]);
    expect(Array.from(out!.episodeLengths)).toEqual([500, 500]);
  });

  it('reuses its output buffers (documented: overwritten by the next step)', () => {
    const v = new VectorEnv('Acrobot-v1', 2);
    v.reset(0);
    const a = v.step([0, 2]);
    const obs = a.observations;
    const b = v.step([2, 0]);
    expect(b).toBe(a);
    expect(b.observations).toBe(obs);
    expect(b.observations).toBeInstanceOf(Float32Array);
    expect(b.rewards).toBeInstanceOf(Float64Array);
    expect(b.terminated).toBeInstanceOf(Uint8Array);
    expect(b.truncated).toBeInstanceOf(Uint8Array);
    expect(b.finalObservations).toBeInstanceOf(Float32Array);
    expect(b.episodeReturns).toBeInstanceOf(Float64Array);
    expect(b.episodeLengths).toBeInstanceOf(Int32Array);
    expect(b.observations.length).toBe(12);
    expect(b.finalObservations.length).toBe(12);
  });

  it('validates actions before moving any copy', () => {
    const v = new VectorEnv('CartPole-v1', 3);
    expect(() => v.step([0, 0, 0])).toThrow('VectorEnv(CartPole-v1): step() called before reset(); call reset() first');
    v.reset(0);
    expect(() => v.step([0, 1])).toThrow('VectorEnv(CartPole-v1): expected 3 actions, got 2');
    const before = [0, 1, 2].map((i) => Array.from(v.env(i).getState()));
    expect(() => v.step([1, 1, 2])).toThrow('VectorEnv(CartPole-v1): actions[2] must be an integer in [0, 1], got 2');
    expect(() => v.step([0.5, 1, 1])).toThrow('actions[0] must be an integer in [0, 1], got 0.5');
    expect([0, 1, 2].map((i) => Array.from(v.env(i).getState()))).toEqual(before);
    expect(() => v.step(new Int32Array([1, 0, 1]))).not.toThrow();
    expect(() => v.env(3)).toThrow('env index must be an integer in [0, 2], got 3');
  });
});
