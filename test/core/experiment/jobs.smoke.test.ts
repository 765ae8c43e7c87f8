/**
 * The experiment jobs on an in-memory JobStore: typed summaries per role, every phase reported through
 * onProgress, cancellation inside extraction, evaluation and replay recording within ~100 ms, metric points
 * with their x-axis unit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStudentConfig } from '../../../core/distill/config.ts';
import type { StudentCheckpoint } from '../../../core/distill/train-student.ts';
import { presetConfig } from '../../../core/dqn/presets.ts';
import type { TeacherCheckpoint } from '../../../core/dqn/train-teacher.ts';
import { runJob, teacherSummaryOf, type EvaluationRecord, type JobStore, type StudentSummary, type TeacherSummary } from '../../../core/experiment/jobs.ts';
import { baselineConfig } from '../../../core/experiment/plan.ts';
import type { EpisodeReplay } from '../../../core/eval/replay.ts';
import type { KnowledgeBase } from '../../../core/kb/knowledge-base.ts';
import type { EncodedBundle } from '../../../core/nn/bundle.ts';
import { CancelledError, ConfigError } from '../../../core/training/errors.ts';
import type { MetricPoint, TrainProgress } from '../../../core/training/hooks.ts';
import { useBackend } from '../../helpers.ts';

beforeAll(useBackend);

class MemoryStore implements JobStore {
  metrics = new Map<number, MetricPoint[]>();
  models: EncodedBundle[] = [];
  modelRuns = new Map<number, number>();
  kbs: KnowledgeBase[] = [];
  kbRuns = new Map<number, number>();
  evaluations: { runId: number; e: EvaluationRecord }[] = [];
  replays: { runId: number; r: EpisodeReplay }[] = [];
  summaries = new Map<number, unknown>();
  checkpoints = new Map<number, TeacherCheckpoint | StudentCheckpoint>();
  appendMetrics(runId: number, points: readonly MetricPoint[]) {
    this.metrics.set(runId, [...(this.metrics.get(runId) ?? []), ...points]);
  }
  deleteMetricsAfter(runId: number, step: number) {
    this.metrics.set(runId, (this.metrics.get(runId) ?? []).filter((p) => p.step <= step));
  }
  saveCheckpoint(runId: number, _step: number, c: TeacherCheckpoint | StudentCheckpoint) {
    this.checkpoints.set(runId, c);
  }
  loadCheckpoint(runId: number) {
    return this.checkpoints.get(runId) ?? null;
  }
  saveModel(runId: number, bundle: EncodedBundle) {
    this.models.push(bundle);
    this.modelRuns.set(runId, this.models.length - 1);
    return this.models.length - 1;
  }
  loadModel(id: number) {
    return this.models[id];
  }
  modelOfRun(runId: number) {
    return this.modelRuns.get(runId) ?? null;
  }
  saveKnowledgeBase(runId: number, kb: KnowledgeBase) {
    this.kbs.push(kb);
    this.kbRuns.set(runId, this.kbs.length - 1);
    return this.kbs.length - 1;
  }
  loadKnowledgeBase(id: number) {
    return this.kbs[id];
  }
  knowledgeBaseOfRun(runId: number) {
    return this.kbRuns.get(runId) ?? null;
  }
  saveEvaluation(runId: number, e: EvaluationRecord) {
    this.evaluations.push({ runId, e });
  }
  saveReplay(runId: number, r: EpisodeReplay) {
    this.replays.push({ runId, r });
  }
  runSummary(runId: number) {
    return this.summaries.get(runId) ?? null;
  }
}

const teacherJob = (steps: number, kbSteps: number, replays = 1, env: 'CartPole-v1' | 'Acrobot-v1' = 'CartPole-v1') => ({
  kind: 'teacher' as const,
  runId: 1,
  train: { ...presetConfig(env, 'default'), env, seed: 1, totalSteps: steps, learningStarts: 100, hiddenSizes: [16], evalEvery: 0, keepBest: false },
  kb: { steps: kbSteps, epsilon: 0.05, seed: 1 },
  evalEpisodes: 3,
  replays,
});

describe('experiment jobs', () => {
  it('teacher → student → baseline: typed summaries, every phase reported, metrics with their unit', async () => {
    const store = new MemoryStore();
    const phases = new Set<string>();
    const onProgress = (p: TrainProgress) => phases.add(`${p.phase}:${p.unit}`);
    const teacher = (await runJob(teacherJob(600, 500), { store, backend: 'test', onProgress })) as TeacherSummary;
    expect(teacher).toMatchObject({ role: 'teacher', env: 'CartPole-v1', kbSize: 500, rewardThreshold: 475, reachedThreshold: false });
    expect(teacher.thresholdNote).toMatch(/^below threshold: the teacher's test return .* is under CartPole-v1's reward threshold 475/);
    expect(teacher.training).toMatchObject({ envSteps: 600, stoppedEarly: null });
    expect([...phases].sort()).toEqual(['evaluate:episodes', 'extract:env_steps', 'replay:episodes', 'train:env_steps']);
    store.summaries.set(1, teacher);
    expect(teacherSummaryOf(1, teacher)).toBe(teacher);
    expect(() => teacherSummaryOf(2, { role: 'student' })).toThrow(ConfigError);

    phases.clear();
    const config = resolveStudentConfig({ hiddenSizes: [4], method: 'supervised', steps: 200, evalEvery: 100, evalEpisodes: 2 }, 'CartPole-v1', 1);
    const student = (await runJob({ kind: 'student', runId: 2, teacherRunId: 1, config, evalEpisodes: 3, replays: 1 }, { store, backend: 'test', onProgress })) as StudentSummary;
    expect(student).toMatchObject({ role: 'student', method: 'supervised', mode: 'offline', envSteps: 0, kbSteps: 500, gradientSteps: 200, retrieval: null });
    expect([...phases].sort()).toEqual(['evaluate:episodes', 'replay:episodes', 'train:gradient_updates']);
    expect(store.metrics.get(2)!.every((p) => p.unit === 'gradient_updates')).toBe(true);
    // The tiny teacher is no better than random: the student has no normalised score, and says why.
    if (student.normalizedScore === null) expect(student.warnings.join()).toMatch(/no normalised score/);

    const baseline = await runJob({ kind: 'baseline', runId: 3, teacherRunId: 1, config: baselineConfig('CartPole-v1', [4], 400, 1), evalEpisodes: 3, replays: 0, stopAtScore: 0.95 }, { store, backend: 'test' });
    expect(baseline).toMatchObject({ role: 'baseline', envSteps: 400, studentParams: 30 });
    expect(store.metrics.get(3)!.every((p) => p.unit === 'env_steps')).toBe(true);
  }, 120_000);

  it.each(['extract', 'evaluate', 'replay'] as const)('a cancel during %s lands within ~100 ms as a CancelledError', async (phase) => {
    const store = new MemoryStore();
    const controller = new AbortController();
    let abortedAt = 0;
    const onProgress = (p: TrainProgress) => {
      if (p.phase === phase && abortedAt === 0) {
        abortedAt = performance.now();
        setTimeout(() => controller.abort(), 0);
      }
    };
    // Long phases: a big extraction; evaluation and replays on Acrobot, where an untrained policy's episodes last 500 steps.
    // (Many episodes: on the fused engine 20 Acrobot replays, or 100 batched evaluation episodes, finish within one cooperative slice.)
    const job = { ...teacherJob(200, phase === 'extract' ? 500_000 : 200, phase === 'replay' ? 1000 : 20, 'Acrobot-v1'), evalEpisodes: phase === 'replay' ? 1000 : 2000 };
    await expect(runJob(job, { store, backend: 'test', onProgress, signal: controller.signal })).rejects.toThrow(CancelledError);
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(150);
  }, 120_000);
});
