import { describe, it, expect } from 'vitest';
import { createEnv, ENV_IDS, isEnvId, type Env, type EnvId } from '../../../core/envs/index.ts';
import { GYMNASIUM_REFERENCE } from './gymnasium-reference.ts';

const FACTS: Record<EnvId, { obs: number; actions: number; max: number; threshold: number }> = {
  'CartPole-v1': { obs: 4, actions: 2, max: 500, threshold: 475 },
  'Acrobot-v1': { obs: 6, actions: 3, max: 500, threshold: -100 },
  'MountainCar-v0': { obs: 2, actions: 3, max: 200, threshold: -110 },
};

function rollout(env: Env, seed: number, actions: readonly number[]): number[][] {
  const out: number[][] = [Array.from(env.reset(seed))];
  for (const a of actions) {
    const r = env.step(a);
    out.push([...r.observation, r.reward]);
    if (r.terminated || r.truncated) break;
  }
  return out;
}

describe('registry', () => {
  it('lists the three environments', () => {
    expect([...ENV_IDS]).toEqual(['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0']);
    for (const id of ENV_IDS) expect(isEnvId(id)).toBe(true);
    expect(isEnvId('Foo-v0')).toBe(false);
    expect(isEnvId('cartpole-v1')).toBe(false);
    expect(isEnvId(42)).toBe(false);
  });

  it('rejects unknown ids, listing the known ones', () => {
    expect(() => createEnv('Foo-v0')).toThrow('Unknown environment "Foo-v0"; known: CartPole-v1, Acrobot-v1, MountainCar-v0');
  });

  for (const id of ENV_IDS) {
    it(`${id} has Gymnasium's sizes, time limit and reward threshold`, () => {
      const env = createEnv(id);
      const f = FACTS[id];
      expect(env.id).toBe(id);
      expect(env.observationSize).toBe(f.obs);
      expect(env.actionCount).toBe(f.actions);
      expect(env.maxEpisodeSteps).toBe(f.max);
      expect(env.rewardThreshold).toBe(f.threshold);
      expect(createEnv(id, { maxEpisodeSteps: 7 }).maxEpisodeSteps).toBe(7);
      expect(createEnv(id, { maxEpisodeSteps: Infinity }).maxEpisodeSteps).toBe(Infinity);
    });
  }

  it('rejects a time limit that is not a positive integer or Infinity', () => {
    for (const bad of [0, -5, 1.5, NaN]) {
      expect(() => createEnv('CartPole-v1', { maxEpisodeSteps: bad })).toThrow(
        `CartPole-v1: maxEpisodeSteps must be a positive integer or Infinity, got ${bad}`,
      );
    }
  });
});

describe('CartPole-v1 and MountainCar-v0 against transitions recorded from Gymnasium itself', () => {
  for (const c of GYMNASIUM_REFERENCE.filter((c) => c.env !== 'Acrobot-v1')) {
    it(`${c.env} from [${c.start.join(', ')}] for ${c.steps.length} steps (bit-identical)`, () => {
      const env = createEnv(c.env, { maxEpisodeSteps: Infinity });
      env.setState(c.start);
      for (const step of c.steps) {
        const r = env.step(step.a);
        expect(Array.from(env.getState())).toEqual(step.s);
        expect(Array.from(r.observation)).toEqual(step.o);
        expect(r.reward).toBe(step.r);
        expect(r.terminated).toBe(step.t);
      }
    });
  }
});

describe.each(ENV_IDS)('%s common behaviour', (id) => {
  const f = FACTS[id];

  it('returns a new Float32Array of the right size from reset and every step', () => {
    const env = createEnv(id);
    const first = env.reset(1);
    expect(first).toBeInstanceOf(Float32Array);
    expect(first.length).toBe(f.obs);
    const a = env.step(0).observation;
    const b = env.step(0).observation;
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(f.obs);
    expect(a).not.toBe(b);
    expect(a).not.toBe(first);
  });

  it('is deterministic given a seed', () => {
    const actions = Array.from({ length: 60 }, (_, i) => (i * 7) % f.actions);
    const a = rollout(createEnv(id), 123, actions);
    const b = rollout(createEnv(id), 123, actions);
    expect(a).toEqual(b);
    const env = createEnv(id);
    rollout(env, 999, actions);
    expect(rollout(env, 123, actions)).toEqual(a); // reseeding restarts the stream
    expect(rollout(createEnv(id), 124, actions)[0]).not.toEqual(a[0]);
  });

  it('continues the stream on reset() without a seed', () => {
    const env = createEnv(id);
    const first = Array.from(env.reset(5));
    const second = Array.from(env.reset());
    expect(second).not.toEqual(first);
    const again = createEnv(id);
    again.reset(5);
    expect(Array.from(again.reset())).toEqual(second);
  });

  it('resets the elapsed-step counter on reset and setState', () => {
    const env = createEnv(id, { maxEpisodeSteps: 3 });
    env.reset(0);
    env.step(1);
    env.step(1);
    env.reset(0);
    expect(env.step(1).truncated).toBe(false);
    expect(env.step(1).truncated).toBe(false);
    const s = env.getState();
    env.setState(s);
    expect(env.step(1).truncated).toBe(false);
    expect(env.step(1).truncated).toBe(false);
    expect(env.step(1).truncated).toBe(true);
  });

  it('throws when stepped before reset', () => {
    expect(() => createEnv(id).step(0)).toThrow(`${id}: step() called before reset(); call reset() (or setState()) first`);
  });

  it('throws when stepped after truncation, until reset or setState', () => {
    const env = createEnv(id, { maxEpisodeSteps: 1 });
    env.reset(0);
    expect(env.step(1).truncated).toBe(true);
    expect(() => env.step(1)).toThrow(`${id}: step() called after the episode was truncated at step 1; call reset() to start a new episode`);
    env.setState(env.getState());
    expect(() => env.step(1)).not.toThrow();
    env.reset();
    expect(() => env.step(1)).not.toThrow();
  });

  it('rejects bad actions with the value and the valid range', () => {
    const env = createEnv(id);
    env.reset(0);
    const max = f.actions - 1;
    for (const bad of [2.5, -1, f.actions, NaN, Infinity]) {
      expect(() => env.step(bad)).toThrow(`${id}: action must be an integer in [0, ${max}], got ${bad}`);
    }
    expect(() => env.step('1' as unknown as number)).toThrow(`${id}: action must be an integer in [0, ${max}], got "1"`);
    // A rejected action leaves the episode untouched.
    const before = env.getState();
    expect(() => env.step(99)).toThrow();
    expect(env.getState()).toEqual(before);
    for (let a = 0; a <= max; a++) {
      env.reset(0);
      expect(() => env.step(a)).not.toThrow();
    }
  });

  it('getState returns a copy; setState validates length and finiteness', () => {
    const env = createEnv(id);
    env.reset(0);
    const s = env.getState();
    expect(s).toBeInstanceOf(Float64Array);
    s[0] = 123;
    expect(env.getState()[0]).not.toBe(123);

    const n = s.length;
    expect(() => env.setState(new Array(n + 1).fill(0))).toThrow(new RegExp(`^${id}: setState expects ${n} numbers \\[.*\\], got ${n + 1}$`));
    expect(() => env.setState([])).toThrow(`got 0`);

    const withNaN = new Array(n).fill(0);
    withNaN[1] = NaN;
    expect(() => env.setState(withNaN)).toThrow(new RegExp(`^${id}: setState: state\\[1\\] \\(\\w+\\) must be a finite number, got NaN$`));
    const withInf = new Array(n).fill(0);
    withInf[n - 1] = -Infinity;
    expect(() => env.setState(withInf)).toThrow(`state[${n - 1}]`);
    expect(() => env.setState(withInf)).toThrow('got -Infinity');

    // A rejected state leaves the env as it was.
    const before = env.getState();
    expect(() => env.setState(withNaN)).toThrow();
    expect(env.getState()).toEqual(before);

    const good = Array.from({ length: n }, (_, i) => 0.01 * (i + 1));
    env.setState(good);
    expect(Array.from(env.getState())).toEqual(good);
  });

  it('setState makes a fresh env ready to step', () => {
    const env = createEnv(id);
    const zeros = env.getState(); // all zeros before the first reset
    expect(Array.from(zeros)).toEqual(new Array(zeros.length).fill(0));
    env.setState(zeros);
    expect(() => env.step(1)).not.toThrow();
  });

  it('rejects a non-finite seed', () => {
    expect(() => createEnv(id).reset(NaN)).toThrow(`${id}: reset seed must be a finite number, got NaN`);
  });
});

describe('terminated episodes', () => {
  it('throw on the next step, naming the termination', () => {
    const env = createEnv('CartPole-v1');
    env.setState([2.39, 1, 0, 0]);
    expect(env.step(1).terminated).toBe(true);
    expect(() => env.step(1)).toThrow('CartPole-v1: step() called after the episode terminated at step 1; call reset() to start a new episode');
  });

  it('report both flags when the last allowed step also terminates (as TimeLimit does)', () => {
    const env = createEnv('MountainCar-v0', { maxEpisodeSteps: 1 });
    env.setState([0.49, 0.02]);
    const r = env.step(2);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(true);
  });
});
