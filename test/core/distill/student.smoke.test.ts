/**
 * Tiny-budget runs of every student method and data mode: they finish, record metrics in the right x-axis
 * unit, resume from checkpoints exactly, obey cancel, report divergence; and an α = 1 student is the DQN
 * baseline (the same updates from the same seed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStudentConfig, type StudentSettings } from '../../../core/distill/config.ts';
import { StudentLearner } from '../../../core/distill/student-learner.ts';
import { trainStudent, type StudentCheckpoint } from '../../../core/distill/train-student.ts';
import { parseDqnConfig } from '../../../core/dqn/config.ts';
import { presetConfig } from '../../../core/dqn/presets.ts';
import { ReplayBuffer } from '../../../core/dqn/replay-buffer.ts';
import { TdLearner } from '../../../core/dqn/td-learner.ts';
import { trainTeacher } from '../../../core/dqn/train-teacher.ts';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import type { KnowledgeBase } from '../../../core/kb/knowledge-base.ts';
import { METRIC_KEYS } from '../../../core/metrics.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { CancelledError, ConfigError, DivergedError } from '../../../core/training/errors.ts';
import type { MetricPoint } from '../../../core/training/hooks.ts';
import { Rng } from '../../../core/util/rng.ts';
import { pinBackend } from '../../helpers.ts';

let teacher: QNetwork;
let kb: KnowledgeBase;
beforeAll(async () => {
  await pinBackend();
  teacher = QNetwork.create({ inputSize: 4, hiddenSizes: [8], outputSize: 2 }, new Rng(1));
  kb = extractKnowledge(teacher, { env: 'CartPole-v1', steps: 1000, seed: 1, teacherSource: 'test' });
});
afterAll(() => teacher.dispose());

const config = (settings: Omit<StudentSettings, 'hiddenSizes'> & { hiddenSizes?: number[] }, seed = 3) => resolveStudentConfig({ hiddenSizes: [4], ...settings }, 'CartPole-v1', seed);
const run = (settings: Parameters<typeof config>[0], hooks: Parameters<typeof trainStudent>[1] = {}, resume?: StudentCheckpoint, seed = 3) =>
  trainStudent({ config: config(settings, seed), kb, teacher, teacherReturn: 100, randomReturn: 10 }, hooks, resume);

describe('students, every method and mode (smoke)', () => {
  it.each([
    ['supervised', 'offline', 'gradient_updates'],
    ['teacher', 'offline', 'gradient_updates'],
    ['retrieval', 'online', 'env_steps'],
    ['teacher', 'online', 'env_steps'],
  ] as const)('%s %s: trains, records every metric against %s', async (method, mode, unit) => {
    const points: MetricPoint[] = [];
    const online = mode === 'online';
    const r = await run({ method, mode, steps: online ? 600 : 300, evalEvery: online ? 300 : 150, evalEpisodes: 2, alpha: 0.5, ...(online ? { learningStarts: 100 } : {}) }, { onMetrics: (p) => points.push(...p) });
    expect(r.gradientSteps).toBe(online ? (600 - 100) / 4 : 300);
    expect(r.envSteps).toBe(online ? 600 : 0);
    expect(r.evaluations.map((e) => e.step)).toEqual(online ? [300, 600] : [150, 300]);
    expect(points.length).toBeGreaterThan(10);
    expect(points.every((p) => p.unit === unit)).toBe(true);
    const keys = new Set(points.map((p) => p.key));
    for (const k of [METRIC_KEYS.distillLoss, METRIC_KEYS.hardLoss, METRIC_KEYS.softLoss, METRIC_KEYS.alpha, METRIC_KEYS.evalMeanReturn, METRIC_KEYS.trainSeconds]) expect(keys).toContain(k);
    expect(keys.has(METRIC_KEYS.maskRate)).toBe(method === 'retrieval');
    if (method === 'retrieval') {
      expect(r.retrieval!.radiusRule).toBe('auto');
      expect(r.retrieval!.radius).toBeGreaterThan(0);
      expect(Number.isFinite(r.retrieval!.radius)).toBe(true);
      expect(r.config.radius).toBe(r.retrieval!.radius);
      expect(r.retrieval!.queries).toBe(600);
      expect(r.retrieval!.maskRate).toBeGreaterThanOrEqual(0);
      expect(r.retrieval!.maskRate).toBeLessThanOrEqual(1);
      const masks = points.filter((p) => p.key === METRIC_KEYS.maskRate);
      expect(masks.every((p) => p.value >= 0 && p.value <= 1)).toBe(true);
    } else expect(r.retrieval).toBeNull();
    r.network.dispose();
  });

  it('a retrieval radius far below the KB spacing masks nearly every state and the soft loss has no target', async () => {
    const points: MetricPoint[] = [];
    // Env seeds apart from the KB's (1..8), so no student state is exactly a KB state.
    const r = await run({ mode: 'online', radius: 1e-6, steps: 400, learningStarts: 100, evalEvery: 0 }, { onMetrics: (p) => points.push(...p) }, undefined, 1000);
    expect(r.retrieval).toMatchObject({ radius: 1e-6, radiusRule: 'given' });
    expect(r.retrieval!.maskRate).toBeGreaterThan(0.95);
    const soft = points.filter((p) => p.key === METRIC_KEYS.softLoss).map((p) => p.value);
    expect(soft.every((v) => v === 0 || v < 1e-3)).toBe(true);
    r.network.dispose();
  });

  it('refuses missing or mismatched inputs with a ConfigError naming them', async () => {
    await expect(trainStudent({ config: config({}), kb: null, teacher })).rejects.toThrow(ConfigError);
    await expect(trainStudent({ config: config({}), kb: null, teacher })).rejects.toThrow(/kb: method supervised \(offline\) needs a knowledge base/);
    await expect(trainStudent({ config: config({ method: 'teacher' }), kb, teacher: null })).rejects.toThrow(/teacher: method teacher needs the teacher network/);
    const acrobot = QNetwork.create({ inputSize: 6, hiddenSizes: [4], outputSize: 3 }, new Rng(1));
    await expect(trainStudent({ config: config({ method: 'teacher' }), kb, teacher: acrobot })).rejects.toThrow(/the teacher is a 6→3 network, CartPole-v1 needs 4→2/);
    acrobot.dispose();
  });

  it('cancels with a CancelledError and reports divergence with a DivergedError in gradient updates', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(run({ steps: 1_000_000, evalEvery: 0 }, { signal: controller.signal })).rejects.toThrow(CancelledError);
    await expect(run({ alpha: 1, hardError: 'mse', maxGradNorm: 0, learningRate: 1e30, steps: 400, evalEvery: 0 })).rejects.toThrow(DivergedError);
    await expect(run({ alpha: 1, hardError: 'mse', maxGradNorm: 0, learningRate: 1e30, steps: 400, evalEvery: 0 })).rejects.toThrow(/distillation loss is (NaN|Infinity) at gradient update \d+/);
  });
});

describe('student checkpoints', () => {
  it.each<[string, Parameters<typeof config>[0], number]>([
    ['online retrieval, α linear 0 → 1', { mode: 'online' as const, steps: 1200, learningStarts: 100, evalEvery: 400, evalEpisodes: 2, alphaSchedule: 'linear' as const, alpha: 0, alphaEnd: 1 }, 500],
    ['offline supervised, adaptive α', { steps: 400, evalEvery: 200, evalEpisodes: 2, alphaSchedule: 'adaptive' as const }, 150],
  ])('%s resumes with continuous counters, deterministically', async (_name, settings, every) => {
    const checkpoints: StudentCheckpoint[] = [];
    const full = await run(settings, { checkpointEvery: every, onCheckpoint: (c) => void checkpoints.push(c) });
    expect(checkpoints.map((c) => c.step)).toEqual([every, 2 * every]);
    if (settings.mode === 'online') expect(checkpoints[0].online?.buffer.filled).toBe(every);
    const a = await run(settings, {}, checkpoints[0]);
    const b = await run(settings, {}, structuredClone(checkpoints[0]));
    expect(a.gradientSteps).toBe(full.gradientSteps);
    expect(a.evaluations.map((e) => e.step)).toEqual(full.evaluations.map((e) => e.step));
    expect(a.network.getWeights()).toEqual(b.network.getWeights());
    if (settings.mode !== 'online') {
      // Offline, the resumed run is the uninterrupted one up to float rounding (Adam's restored β powers).
      const wf = full.network.getWeights();
      a.network.getWeights().forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(wf[i][j], 4)));
    }
    for (const n of [full.network, a.network, b.network]) n.dispose();
  });
});

describe('an α = 1 student is the DQN baseline', () => {
  // The env's default preset on the student's network (Huber, clipping at 10, hard target every 10
  // transitions, random warm-up, ε 1 → 0.04), as a baseline, and as a student with α = 1 (no soft loss).
  // One-step returns: a student's TD loss bootstraps from the next state (the preset's 3-step returns are the
  // teacher's and the from-scratch baselines').
  const preset = presetConfig('CartPole-v1', 'default');
  const dqn = (steps: number) => parseDqnConfig({ ...preset, env: 'CartPole-v1', seed: 5, hiddenSizes: [8], totalSteps: steps, learningStarts: 100, trainFreq: 4, gradientSteps: 1, evalEvery: 0, keepBest: false, nStep: 1 });
  const student = (steps: number) =>
    resolveStudentConfig({
      hiddenSizes: [8], method: 'teacher', mode: 'online', alpha: 1, steps, hardError: 'huber', maxGradNorm: preset.maxGradNorm, doubleDqn: preset.doubleDqn,
      learningRate: preset.learningRate, adamEpsilon: preset.adamEpsilon, batchSize: preset.batchSize, gamma: preset.gamma, targetUpdateInterval: preset.targetUpdateInterval,
      numEnvs: 1, bufferSize: preset.bufferSize, learningStarts: 100, trainFreq: 4, gradientSteps: 1, randomWarmup: preset.randomWarmup,
      explorationFraction: preset.explorationFraction, explorationInitialEps: preset.explorationInitialEps, explorationFinalEps: preset.explorationFinalEps, evalEvery: 0,
    }, 'CartPole-v1', 5);

  it('the same weights after the first update, and after 100, from the same seed', async () => {
    for (const steps of [104, 500]) {
      const base = await trainTeacher(dqn(steps));
      const stud = await trainStudent({ config: student(steps), teacher });
      expect(base.gradientSteps).toBe(steps === 104 ? 1 : 100);
      expect(stud.gradientSteps).toBe(base.gradientSteps);
      const wb = base.network.getWeights();
      const ws = stud.network.getWeights();
      // Bit-identical on the tfjs reference path; a fused update path must stay within float rounding.
      ws.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - wb[i][j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(wb[i][j])))));
      base.network.dispose();
      stud.network.dispose();
    }
  });

  it('the learners agree on one batch: same loss and gradients (Huber, clipping, Double DQN)', () => {
    const buffer = new ReplayBuffer(256, 4);
    const rng = new Rng(9);
    for (let i = 0; i < 256; i++) buffer.add(Float32Array.from({ length: 4 }, () => rng.normal()), rng.int(2), 1, Float32Array.from({ length: 4 }, () => rng.normal()), rng.random() < 0.1);
    const batch = buffer.sample(rng, buffer.allocateBatch(64));
    for (const doubleDqn of [false, true]) {
      const online = QNetwork.create({ inputSize: 4, hiddenSizes: [8], outputSize: 2 }, new Rng(2));
      const target = QNetwork.create({ inputSize: 4, hiddenSizes: [8], outputSize: 2 }, new Rng(3));
      const td = new TdLearner(online, target, { gamma: 0.99, loss: 'huber', doubleDqn, maxGradNorm: 10, learningRate: 1e-3, adamEpsilon: 1e-8 });
      const st = new StudentLearner(online, target, { hardLoss: 'td', hardError: 'huber', doubleDqn, maxGradNorm: 10, softLoss: 'kl', softActions: 'all', tau: 0.01, gamma: 0.99, learningRate: 1e-3 });
      const a = td.lossAndGradients(batch);
      const b = st.evaluate({ ...batch, softQ: new Float32Array(64 * 2).fill(1), softMask: new Float32Array(64).fill(1) }, 1);
      expect(b.loss).toBeCloseTo(a.loss, 6);
      b.grads.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(a.grads[i][j], 6)));
      for (const x of [td, st, online, target]) x.dispose();
    }
  });
});
