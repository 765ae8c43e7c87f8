import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../../core/dqn/presets.ts';
import { trainTeacher, type MetricPoint, type TeacherCheckpoint } from '../../../core/dqn/train-teacher.ts';
import { METRIC_KEYS } from '../../../core/metrics.ts';
import { CancelledError, DivergedError } from '../../../core/training/errors.ts';
import { useBackend } from '../../helpers.ts';

beforeAll(useBackend);

const tiny = (env: 'CartPole-v1' | 'Acrobot-v1' | 'MountainCar-v0', seed = 1) => ({
  ...presetConfig(env, 'default'),
  env,
  seed,
  totalSteps: 1200,
  learningStarts: 200,
  trainFreq: 100,
  gradientSteps: 10,
  numEnvs: 2,
  hiddenSizes: [16],
  evalEvery: 600,
  evalEpisodes: 2,
});

describe('trainTeacher (smoke)', () => {
  it.each(['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0'] as const)('%s: runs a tiny budget and records metrics', async (env) => {
    const points: MetricPoint[] = [];
    const progress: number[] = [];
    const r = await trainTeacher(tiny(env), { onMetrics: (p) => points.push(...p), onProgress: (p) => progress.push(p.envSteps), progressEvery: 400 });
    expect(r.envSteps).toBe(1200);
    expect(r.gradientSteps).toBe(100); // (1200 − 200) / 100 blocks × 10
    expect(r.evaluations.map((e) => e.step)).toEqual([600, 1200]);
    const keys = new Set(points.map((p) => p.key));
    for (const k of [METRIC_KEYS.tdLoss, METRIC_KEYS.epsilon, METRIC_KEYS.evalMeanReturn, METRIC_KEYS.episodicReturn]) expect(keys).toContain(k);
    expect(points.filter((p) => p.key === METRIC_KEYS.tdLoss).every((p) => Number.isFinite(p.value))).toBe(true);
    expect(points.every((p) => p.unit === 'env_steps')).toBe(true);
    expect(points.filter((p) => p.key === METRIC_KEYS.trainSeconds).map((p) => p.step)).toEqual([600, 1200]);
    expect(progress.at(-1)).toBe(1200);
    r.network.dispose();
  });

  it('is deterministic given the seed and backend', async () => {
    const a = await trainTeacher(tiny('CartPole-v1', 7));
    const b = await trainTeacher(tiny('CartPole-v1', 7));
    const c = await trainTeacher(tiny('CartPole-v1', 8));
    expect(a.network.getWeights()).toEqual(b.network.getWeights());
    expect(a.network.getWeights()).not.toEqual(c.network.getWeights());
    for (const r of [a, b, c]) r.network.dispose();
  });

  it('can be cancelled: a CancelledError within ~100 ms of the signal, even between progress reports', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const run = trainTeacher({ ...tiny('CartPole-v1'), totalSteps: 1_000_000 }, { signal: controller.signal, progressEvery: 1e9 });
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 300);
    await expect(run).rejects.toThrow(CancelledError);
    expect(performance.now() - abortedAt).toBeLessThan(150);
  });

  it('fails with a DivergedError when the loss diverges', async () => {
    const run = trainTeacher({ ...tiny('CartPole-v1'), learningRate: 1e30, maxGradNorm: 0, loss: 'mse' });
    await expect(run).rejects.toThrow(DivergedError);
    await expect(trainTeacher({ ...tiny('CartPole-v1'), learningRate: 1e30, maxGradNorm: 0, loss: 'mse' })).rejects.toThrow(/training diverged: TD loss is (NaN|Infinity) at env step \d+/);
  });

  it('stops at stopAtReturn and says why', async () => {
    const r = await trainTeacher({ ...tiny('CartPole-v1'), stopAtReturn: 0 });
    expect(r.envSteps).toBe(600);
    expect(r.stoppedEarly).toMatch(/reached stopAtReturn 0/);
    r.network.dispose();
  });
});

describe('trainTeacher checkpoints', () => {
  it('resumes from a checkpoint with continuous counters, deterministically', async () => {
    const config = { ...tiny('CartPole-v1', 3), totalSteps: 2400 };
    await expect(trainTeacher(config, {}, { kind: 'teacher', version: 1 } as never)).rejects.toThrow(/not a version-2 teacher checkpoint/);
    const checkpoints: TeacherCheckpoint[] = [];
    const full = await trainTeacher(config, { checkpointEvery: 1000, onCheckpoint: (c) => void checkpoints.push(c) });
    expect(checkpoints.map((c) => c.envSteps)).toEqual([1000, 2000]);
    const cp = checkpoints[0];
    expect(cp.gradientSteps).toBe(80); // (1000 − 200) / 100 blocks × 10
    const resumedMetrics: MetricPoint[] = [];
    const a = await trainTeacher(config, { onMetrics: (p) => resumedMetrics.push(...p) }, cp);
    const b = await trainTeacher(config, {}, structuredClone(cp));
    expect(a.envSteps).toBe(2400);
    expect(a.gradientSteps).toBe(full.gradientSteps);
    expect(a.evaluations.map((e) => e.step)).toEqual([600, 1200, 1800, 2400]);
    expect(Math.min(...resumedMetrics.map((m) => m.step))).toBeGreaterThan(1000);
    expect(a.network.getWeights()).toEqual(b.network.getWeights());
    for (const r of [full, a, b]) r.network.dispose();
  });
});
