/**
 * The jobs an experiment is made of, written against a `JobStore` (the database, in the app; anything in
 * tests) so that they run the same in a worker thread, a CLI process or a test:
 * - teacher: train a DQN teacher (or load an existing model), evaluate it on the test seeds, record replays,
 *   extract the knowledge base;
 * - student: distil from the teacher run's model and knowledge base;
 * - baseline: the student architecture from scratch with plain DQN on the same env-step budget.
 * Each job checkpoints through the store and, given a checkpoint, resumes from it.
 */
import { parseDqnConfig, type DqnConfig } from '../dqn/config.ts';
import { trainTeacher, type MetricPoint, type TeacherCheckpoint, type TrainProgress } from '../dqn/train-teacher.ts';
import { normalizedScore } from '../distill/alpha-schedule.ts';
import { parseStudentConfig, type StudentConfig } from '../distill/config.ts';
import { evaluateRandomPolicy, reportStudent, measureActionLatency } from '../distill/report.ts';
import { trainStudent, type StudentCheckpoint } from '../distill/train-student.ts';
import { episodeSeeds, evaluatePolicy } from '../eval/evaluate.ts';
import { recordEpisode, type EpisodeReplay } from '../eval/replay.ts';
import { extractKnowledge } from '../kb/extract.ts';
import { knowledgeBaseStats, type KnowledgeBase, type KnowledgeBaseStats } from '../kb/knowledge-base.ts';
import { loadTeacher, type StoredModel } from '../io/stored-model.ts';
import { encodeBundle, type EncodedBundle } from '../nn/bundle.ts';
import type { QFunction } from '../nn/q-function.ts';

export interface EvaluationRecord {
  readonly kind: 'final' | 'random' | 'validation';
  readonly step: number;
  readonly episodes: number;
  readonly mean: number;
  readonly std: number;
  readonly ci95: number;
  readonly returns: number[];
  readonly seeds: number[];
  readonly lengths?: number[];
  readonly extra?: Record<string, unknown>;
}

/** What jobs need from persistence. Every method is synchronous (better-sqlite3 in the worker). */
export interface JobStore {
  appendMetrics(runId: number, points: readonly MetricPoint[]): void;
  /** Deletes metric rows with step > `step` (a resumed run re-records them). */
  deleteMetricsAfter(runId: number, step: number): void;
  saveCheckpoint(runId: number, step: number, checkpoint: TeacherCheckpoint | StudentCheckpoint): void;
  loadCheckpoint(runId: number): TeacherCheckpoint | StudentCheckpoint | null;
  saveModel(runId: number, bundle: EncodedBundle): number;
  /** A tfjs bundle, or an imported ONNX teacher (core/io/stored-model.ts). */
  loadModel(modelId: number): StoredModel;
  modelOfRun(runId: number): number | null;
  saveKnowledgeBase(runId: number, kb: KnowledgeBase, stats: KnowledgeBaseStats): number;
  loadKnowledgeBase(kbId: number): KnowledgeBase;
  knowledgeBaseOfRun(runId: number): number | null;
  saveEvaluation(runId: number, evaluation: EvaluationRecord): void;
  saveReplay(runId: number, replay: EpisodeReplay): void;
  /** The summary a completed run left (teacher: returns, params…). */
  runSummary(runId: number): Record<string, unknown> | null;
}

export type JobSpec =
  | {
      readonly kind: 'teacher';
      readonly runId: number;
      /** Train with this config, or use an existing model (a bundle from the store). */
      readonly train: DqnConfig | null;
      readonly existingModelId?: number;
      /** Knowledge-base extraction; null when the run needs none (a stand-alone teacher, or a KB stored beforehand). */
      readonly kb: { steps: number; epsilon: number; seed: number } | null;
      readonly evalEpisodes: number;
      readonly replays: number;
    }
  | { readonly kind: 'student'; readonly runId: number; readonly teacherRunId: number; readonly config: StudentConfig; readonly evalEpisodes: number; readonly replays: number }
  | {
      readonly kind: 'baseline';
      readonly runId: number;
      /** The teacher run the normalised score is relative to; null for a baseline on its own. */
      readonly teacherRunId: number | null;
      /** Without a teacher run: the teacher return to normalise by (null: no normalised score). */
      readonly teacherReturn?: number | null;
      readonly config: DqnConfig;
      readonly evalEpisodes: number;
      readonly replays: number;
    };

export interface JobContext {
  readonly store: JobStore;
  readonly backend: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Checkpoint period in budget steps (default: about every 5% of the budget). */
  readonly checkpointEvery?: number;
}

export type JobSummary = Record<string, unknown>;

export async function runJob(job: JobSpec, ctx: JobContext): Promise<JobSummary> {
  switch (job.kind) {
    case 'teacher':
      return runTeacherJob(job, ctx);
    case 'student':
      return runStudentJob(job, ctx);
    case 'baseline':
      return runBaselineJob(job, ctx);
  }
}

function evaluationRecord(kind: EvaluationRecord['kind'], step: number, e: { mean: number; std: number; ci95: number; returns: number[]; seeds: number[]; lengths: number[] }, extra?: Record<string, unknown>): EvaluationRecord {
  return { kind, step, episodes: e.returns.length, mean: e.mean, std: e.std, ci95: e.ci95, returns: e.returns, seeds: e.seeds, lengths: e.lengths, ...(extra ? { extra } : {}) };
}

function recordReplays(ctx: JobContext, runId: number, env: string, net: QFunction, seeds: number[], count: number): void {
  for (const seed of seeds.slice(0, count)) ctx.store.saveReplay(runId, recordEpisode(env, net, seed));
}

/** Shared tail of the DQN-trained jobs: resume point, metric hooks, checkpoints. */
async function trainDqn(runId: number, config: DqnConfig, ctx: JobContext) {
  const resume = ctx.store.loadCheckpoint(runId);
  if (resume && resume.kind !== 'teacher') throw new Error(`run ${runId}: its checkpoint is a ${resume.kind} checkpoint`);
  if (resume) ctx.store.deleteMetricsAfter(runId, resume.envSteps);
  else ctx.store.deleteMetricsAfter(runId, -1);
  return trainTeacher(
    config,
    {
      onMetrics: (points) => ctx.store.appendMetrics(runId, points),
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      checkpointEvery: ctx.checkpointEvery ?? Math.max(1000, Math.round(config.totalSteps / 20)),
      onCheckpoint: (c) => ctx.store.saveCheckpoint(runId, c.envSteps, c),
    },
    resume ?? undefined,
  );
}

async function runTeacherJob(job: Extract<JobSpec, { kind: 'teacher' }>, ctx: JobContext): Promise<JobSummary> {
  const seeds = episodeSeeds(job.evalEpisodes);
  let network: QFunction;
  let env: string;
  let trainInfo: Record<string, unknown> = {};
  if (job.train) {
    const config = parseDqnConfig(job.train);
    env = config.env;
    const result = await trainDqn(job.runId, config, ctx);
    network = result.network;
    trainInfo = { envSteps: result.envSteps, gradientSteps: result.gradientSteps, trainSeconds: result.trainSeconds, thresholdStep: result.thresholdStep, thresholdSeconds: result.thresholdSeconds, selectedStep: result.selectedStep };
    ctx.store.saveModel(job.runId, encodeBundle(result.network, { env, backend: ctx.backend, training: { role: 'teacher', config, ...trainInfo } }));
  } else {
    if (job.existingModelId === undefined) throw new Error(`teacher run ${job.runId}: neither a training config nor a model`);
    // A tfjs bundle or an imported ONNX teacher (run by onnxruntime): both extract knowledge the same way.
    const loaded = loadTeacher(ctx.store.loadModel(job.existingModelId), `model ${job.existingModelId}`);
    network = loaded.teacher;
    env = loaded.meta.env;
  }
  try {
    const evaluation = evaluatePolicy(env, (o, b) => network.act(o, b), seeds);
    const random = evaluateRandomPolicy(env, seeds);
    ctx.store.saveEvaluation(job.runId, evaluationRecord('final', Number(trainInfo.envSteps ?? 0), evaluation, { microsecondsPerAction: measureActionLatency(network) }));
    ctx.store.saveEvaluation(job.runId, evaluationRecord('random', 0, random));
    recordReplays(ctx, job.runId, env, network, seeds, job.replays);
    let kbInfo: { kbId: number; kbSize: number } | Record<string, never> = {};
    if (job.kb) {
      const kb = extractKnowledge(network, { env: env as KnowledgeBase['meta']['env'], steps: job.kb.steps, seed: job.kb.seed, epsilon: job.kb.epsilon, teacherSource: `run ${job.runId}` });
      kbInfo = { kbId: ctx.store.saveKnowledgeBase(job.runId, kb, knowledgeBaseStats(kb)), kbSize: kb.size };
    }
    return {
      role: 'teacher',
      env,
      params: network.paramCount,
      hiddenSizes: network.spec.hiddenSizes,
      evalMean: evaluation.mean,
      evalStd: evaluation.std,
      evalCi95: evaluation.ci95,
      randomEvalMean: random.mean,
      ...kbInfo,
      ...trainInfo,
    };
  } finally {
    network.dispose();
  }
}

function teacherContext(ctx: JobContext, teacherRunId: number) {
  const summary = ctx.store.runSummary(teacherRunId);
  if (!summary) throw new Error(`teacher run ${teacherRunId} has not completed`);
  const modelId = ctx.store.modelOfRun(teacherRunId);
  if (modelId === null) throw new Error(`teacher run ${teacherRunId} has no model`);
  const kbId = ctx.store.knowledgeBaseOfRun(teacherRunId);
  return { summary, modelId, kbId, teacherReturn: Number(summary.evalMean), randomReturn: Number(summary.randomEvalMean), teacherParams: Number(summary.params) };
}

async function runStudentJob(job: Extract<JobSpec, { kind: 'student' }>, ctx: JobContext): Promise<JobSummary> {
  const config = parseStudentConfig(job.config);
  const t = teacherContext(ctx, job.teacherRunId);
  const teacher = loadTeacher(ctx.store.loadModel(t.modelId), `model ${t.modelId}`).teacher;
  const kb = t.kbId === null ? null : ctx.store.loadKnowledgeBase(t.kbId);
  const resume = ctx.store.loadCheckpoint(job.runId);
  if (resume && resume.kind !== 'student') throw new Error(`run ${job.runId}: its checkpoint is a ${resume.kind} checkpoint`);
  ctx.store.deleteMetricsAfter(job.runId, resume ? resume.budget : -1);
  try {
    const result = await trainStudent(
      { config, teacher, kb, teacherReturn: t.teacherReturn, randomReturn: t.randomReturn },
      {
        onMetrics: (points) => ctx.store.appendMetrics(job.runId, points),
        ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        checkpointEvery: ctx.checkpointEvery ?? Math.max(500, Math.round(config.steps / 20)),
        onStudentCheckpoint: (c) => ctx.store.saveCheckpoint(job.runId, c.budget, c),
      },
      resume ?? undefined,
    );
    const seeds = episodeSeeds(job.evalEpisodes);
    const report = reportStudent({ env: config.env, student: result.network, seeds, teacherReturn: t.teacherReturn, randomReturn: t.randomReturn, teacherParams: t.teacherParams, kb, heldOutRows: result.heldOutRows });
    const { evaluation, ...metrics } = report;
    ctx.store.saveEvaluation(job.runId, evaluationRecord('final', config.steps, evaluation, metrics));
    recordReplays(ctx, job.runId, config.env, result.network, seeds, job.replays);
    ctx.store.saveModel(job.runId, encodeBundle(result.network, { env: config.env, backend: ctx.backend, training: { role: 'student', teacherRunId: job.teacherRunId, config } }));
    result.network.dispose();
    return { role: 'student', env: config.env, ...metrics, envSteps: result.envSteps, gradientSteps: result.gradientSteps, trainSeconds: result.trainSeconds, selectedStep: result.selectedStep, thresholdStep: result.thresholdStep, thresholdSeconds: result.thresholdSeconds };
  } finally {
    teacher.dispose();
  }
}

async function runBaselineJob(job: Extract<JobSpec, { kind: 'baseline' }>, ctx: JobContext): Promise<JobSummary> {
  const config = parseDqnConfig(job.config);
  const t = job.teacherRunId === null ? null : teacherContext(ctx, job.teacherRunId);
  const result = await trainDqn(job.runId, config, ctx);
  try {
    const seeds = episodeSeeds(job.evalEpisodes);
    const evaluation = evaluatePolicy(config.env, (o, b) => result.network.act(o, b), seeds);
    // Without a teacher run the random policy's return is measured here, on the same seeds.
    const randomReturn = t ? t.randomReturn : evaluateRandomPolicy(config.env, seeds).mean;
    const teacherReturn = t ? t.teacherReturn : (job.teacherReturn ?? null);
    const extra = {
      normalizedScore: teacherReturn === null ? null : normalizedScore(evaluation.mean, teacherReturn, randomReturn),
      studentParams: result.network.paramCount,
      teacherParams: t ? t.teacherParams : null,
      paramRatio: t ? result.network.paramCount / t.teacherParams : null,
      microsecondsPerAction: measureActionLatency(result.network),
      teacherEvalMean: teacherReturn,
      randomEvalMean: randomReturn,
    };
    ctx.store.saveEvaluation(job.runId, evaluationRecord('final', result.envSteps, evaluation, extra));
    recordReplays(ctx, job.runId, config.env, result.network, seeds, job.replays);
    ctx.store.saveModel(job.runId, encodeBundle(result.network, { env: config.env, backend: ctx.backend, training: { role: 'baseline', teacherRunId: job.teacherRunId, config } }));
    return { role: 'baseline', env: config.env, evalMean: evaluation.mean, evalStd: evaluation.std, evalCi95: evaluation.ci95, ...extra, envSteps: result.envSteps, gradientSteps: result.gradientSteps, trainSeconds: result.trainSeconds };
  } finally {
    result.network.dispose();
  }
}
