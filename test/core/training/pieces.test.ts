import { describe, expect, it } from 'vitest';
import { runCooperatively, runToEnd, type Work } from '../../../core/training/cooperative.ts';
import { ReplayBuffer } from '../../../core/dqn/replay-buffer.ts';
import { DqnSchedule, NStepStorer, RecentReturns } from '../../../core/training/dqn-steps.ts';
import { CancelledError, ConfigError, DivergedError } from '../../../core/training/errors.ts';
import { Periodic } from '../../../core/training/periodic.ts';
import { TrainingSession } from '../../../core/training/session.ts';

describe('Periodic', () => {
  it('is due once per period even when the counter jumps, and rebuilds from a resumed step', () => {
    const p = new Periodic(10);
    const fired = [3, 9, 10, 12, 19, 25, 26, 40].filter((s) => p.due(s));
    expect(fired).toEqual([10, 25, 40]);
    const resumed = new Periodic(10, 25);
    expect([26, 29, 30].filter((s) => resumed.due(s))).toEqual([30]);
    expect(new Periodic(0).due(1e9)).toBe(false);
  });
});

describe('DqnSchedule', () => {
  it('counts update blocks and target updates in transitions (SB3 train_freq / gradient_steps; −1 = trainFreq)', () => {
    const s = new DqnSchedule({ learningStarts: 100, trainFreq: 4, gradientSteps: 2, targetUpdateInterval: 50 });
    expect(s.updatesDue(103)).toBe(0);
    expect(s.updatesDue(104)).toBe(2);
    expect(s.updatesDue(116)).toBe(6); // blocks at 108, 112, 116
    expect(s.targetUpdatesDue(49)).toBe(0);
    expect(s.targetUpdatesDue(150)).toBe(3);
    const restored = new DqnSchedule({ learningStarts: 100, trainFreq: 4, gradientSteps: -1, targetUpdateInterval: 50 }, s.state());
    expect(restored.updatesDue(120)).toBe(4);
  });

  it('RecentReturns keeps the last n', () => {
    const r = new RecentReturns(2, [1, 2, 3]);
    expect(r.mean()).toBe(2.5);
    r.push(7);
    expect(r.values).toEqual([3, 7]);
  });
});

describe('cooperative work', () => {
  function* count(n: number): Work<number> {
    let x = 0;
    for (let i = 0; i < n; i++) {
      x += i;
      yield i + 1;
    }
    return x;
  }

  it('runs to the end synchronously or cooperatively with progress', async () => {
    expect(runToEnd(count(5))).toBe(10);
    const seen: number[] = [];
    expect(await runCooperatively(count(5), { sliceMs: 0, onProgress: (d) => seen.push(d) })).toBe(10);
    expect(seen.at(-1)).toBe(5);
  });

  it('stops at the next slice once the signal fires, with a CancelledError', async () => {
    const controller = new AbortController();
    function* forever(): Work<void> {
      for (let i = 0; ; i++) {
        const t = performance.now();
        while (performance.now() - t < 1);
        yield i;
      }
    }
    const t0 = performance.now();
    setTimeout(() => controller.abort(), 30);
    await expect(runCooperatively(forever(), { signal: controller.signal, what: 'test work' })).rejects.toThrow(CancelledError);
    expect(performance.now() - t0).toBeLessThan(30 + 100);
  });
});

describe('typed errors', () => {
  it('carry what a caller needs', () => {
    const d = new DivergedError('TD loss', Number.NaN, 1200, 'env_steps', 'lower the learning rate');
    expect(d.message).toBe('training diverged: TD loss is NaN at env step 1200; lower the learning rate');
    expect(new DivergedError('distillation loss', Infinity, 5, 'gradient_updates', 'x').message).toMatch(/at gradient update 5/);
    const c = new ConfigError('student config', [{ path: 'students.0.k', message: 'bad' }, { path: 'tau', message: 'worse' }]);
    expect(c.path).toBe('students.0.k');
    expect(c.message).toBe('invalid student config: students.0.k: bad; tau: worse');
  });

  it('a session reports divergence with the step unit and yields at least every slice', async () => {
    const s = new TrainingSession<never>({ unit: 'gradient_updates', total: 10, hooks: {}, metricEvery: 1, what: 'x' });
    expect(() => s.checkFinite('distillation loss', Number.NaN, 3, 'h')).toThrow(/at gradient update 3/);
    const controller = new AbortController();
    const t = new TrainingSession<never>({ unit: 'env_steps', total: 1e9, hooks: { signal: controller.signal, progressEvery: 1e9 }, metricEvery: 1e9, what: 'loop' });
    controller.abort();
    await expect(t.endOfStep({ step: 1, gradientSteps: 0, epsilon: 0, recentReturn: null, lastEval: null }, () => Promise.reject(new Error('no checkpoint')))).resolves.toBeUndefined();
    await expect(t.yield()).rejects.toThrow('loop cancelled');
  });
});

describe('NStepStorer', () => {
  // One env copy, 1-D observations s_t = t; rewards r_t = t + 1; γ = 0.5.
  const step = (t: number, terminated = false, truncated = false) => ({
    observations: Float32Array.of(t + 1),
    finalObservations: Float32Array.of(t + 1),
    rewards: Float64Array.of(t + 1),
    terminated: Uint8Array.of(terminated ? 1 : 0),
    truncated: Uint8Array.of(truncated ? 1 : 0),
    episodeReturns: Float64Array.of(0),
    episodeLengths: Int32Array.of(0),
  });
  const stored = (buffer: ReplayBuffer) => {
    const s = buffer.snapshot();
    return Array.from({ length: s.filled }, (_, i) => [s.obs[i], s.rewards[i], s.nextObs[i], Math.round(s.terminated[i] * 1e6) / 1e6]);
  };

  it('stores 3-step returns, then at a termination the remaining ones without bootstrap', () => {
    const buffer = new ReplayBuffer(16, 1);
    const storer = new NStepStorer(3, 0.5, 1, 1);
    const ends: number[] = [];
    for (let t = 0; t < 5; t++) storer.store(buffer, Float32Array.of(t), Int32Array.of(0), step(t, t === 4), (i) => ends.push(i));
    // t=0: 1 + 0.5·2 + 0.25·3 = 2.75 → s_3, bootstrap γ³ (t = 1 − γ² = 0.75); t=1: 2 + 1.5 + 1 = 4.5 → s_4.
    // At the termination after t=4: from t=2: 3 + 2 + 1.25 = 6.25; t=3: 4 + 2.5 = 6.5; t=4: 5; all terminal.
    expect(stored(buffer)).toEqual([[0, 2.75, 3, 0.75], [1, 4.5, 4, 0.75], [2, 6.25, 5, 1], [3, 6.5, 5, 1], [4, 5, 5, 1]]);
    expect(ends).toEqual([0]);
  });

  it('after a truncation k steps on, bootstraps with γ^k (t = 1 − γ^(k−1)); with n = 1 it is the one-step buffer', () => {
    const buffer = new ReplayBuffer(16, 1);
    const storer = new NStepStorer(3, 0.5, 1, 1);
    for (let t = 0; t < 2; t++) storer.store(buffer, Float32Array.of(t), Int32Array.of(0), step(t, false, t === 1));
    expect(stored(buffer)).toEqual([[0, 2, 2, 0.5], [1, 2, 2, 0]]);
    const one = new ReplayBuffer(16, 1);
    const storer1 = new NStepStorer(1, 0.5, 1, 1);
    for (let t = 0; t < 3; t++) storer1.store(one, Float32Array.of(t), Int32Array.of(0), step(t, t === 2));
    expect(stored(one)).toEqual([[0, 1, 1, 0], [1, 2, 2, 0], [2, 3, 3, 1]]);
  });
});
