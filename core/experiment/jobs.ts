/**
 * The jobs an experiment is made of, written against a `JobStore` (the database, in the app; anything in
 * tests) so that they run the same in a worker thread, a CLI process or a test:
 * - teacher: train a DQN teacher (or load an existing model), evaluate it on the test seeds, record replays,
 *   extract the knowledge base;
 * - student: distil from the teacher run's model and knowledge base;
 * - baseline: the student architecture from scratch with plain DQN on the same env-step budget.
 * Each job checkpoints through the store and, given a checkpoint, resumes from it. Every phase (train,
 * evaluate, replay, extract) reports progress through `onProgress` and stops within ~50 ms of the signal
 * (CancelledError). Summaries are typed per role.
 */
import { z } from 'zod';
import { parseDqnConfig, type DqnConfig } from '../dqn/config.ts';
import { trainTeacher, type TeacherCheckpoint, type TeacherResult } from '../dqn/train-teacher.ts';
import { parseStudentConfig, type StudentConfig } from '../distill/config.ts';
import { measureActionLatency, randomPolicy, reportStudent, type StudentReport } from '../distill/report.ts';
import { outsideRadiusRecord, type RetrievalReport } from '../distill/targets.ts';
import { trainStudent, type StudentCheckpoint } from '../distill/train-student.ts';
import { createEnv } from '../envs/index.ts';
import { episodeSeeds, evaluatePolicyAsync, type BatchPolicy, type EvaluationResult } from '../eval/evaluate.ts';
import { recordEpisodesAsync, type EpisodeReplay } from '../eval/replay.ts';
import { scoreOn, scoreScale } from '../eval/score.ts';
import { extractKnowledgeAsync } from '../kb/extract.ts';
import { knowledgeBaseStats, type KnowledgeBase, type KnowledgeBaseStats } from '../kb/knowledge-base.ts';
import { loadTeacher, type StoredModel } from '../io/stored-model.ts';
import { encodeBundle, type EncodedBundle } from '../nn/bundle.ts';
import type { QFunction } from '../nn/q-function.ts';
import { ConfigError } from '../training/errors.ts';
import type { MetricPoint, TrainHooks, TrainPhase, TrainProgress } from '../training/hooks.ts';
import { studentUsesKb } from './plan.ts';

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
  /** Points carry their x-axis unit (stored with the series). */
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
  /** The summary a completed run left (as stored; `teacherSummaryOf` checks a teacher's). */
  runSummary(runId: number): unknown;
}

export type JobSpec =
  | {
      readonly kind: 'teacher';
      readonly runId: number;
      /** Train with this config, or use an existing model (a bundle or an imported ONNX teacher from the store). */
      readonly train: DqnConfig | null;
      readonly existingModelId?: number;
      /** Knowledge extraction; null: none (a stand-alone teacher, or a KB given with the experiment). */
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
      /** Without a teacher run: the teacher return to normalise by (absent / null: no normalised score). */
      readonly teacherReturn?: number | null;
      readonly config: DqnConfig;
      readonly evalEpisodes: number;
      readonly replays: number;
      /** Stop once a validation reaches this normalised score (absent / null: the whole budget). */
      readonly stopAtScore?: number | null;
    };

export interface JobContext {
  readonly store: JobStore;
  readonly backend: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Checkpoint period in budget steps (default: about every 5% of the budget). */
  readonly checkpointEvery?: number;
}

/** A teacher run's result: its test return, whether it reached the env's threshold (said plainly when not), its KB. */
export type TeacherSummary = {
  readonly role: 'teacher';
  readonly env: string;
  readonly params: number;
  readonly hiddenSizes: readonly number[];
  readonly evalMean: number;
  readonly evalStd: number;
  readonly evalCi95: number;
  readonly randomEvalMean: number;
  readonly rewardThreshold: number;
  readonly reachedThreshold: boolean;
  /** A plain sentence when the teacher ended below the threshold (null when it reached it). */
  readonly thresholdNote: string | null;
  /** Null when the job extracted no knowledge base. */
  readonly kbId: number | null;
  readonly kbSize: number | null;
  /** Null for an existing model. */
  readonly training: {
    readonly envSteps: number;
    readonly gradientSteps: number;
    readonly trainSeconds: number;
    readonly thresholdStep: number | null;
    readonly thresholdSeconds: number | null;
    readonly selectedStep: number | null;
    readonly stoppedEarly: string | null;
  } | null;
  readonly extractSeconds: number | null;
};

export type StudentSummary = StudentReport & {
  readonly role: 'student';
  readonly env: string;
  readonly method: StudentConfig['method'];
  readonly mode: StudentConfig['mode'];
  /** The config it trained with (the retrieval radius resolved to a number). */
  readonly config: StudentConfig;
  /** Env transitions it took itself (online), and those of the KB it learned from. */
  readonly envSteps: number;
  readonly kbSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  readonly selectedStep: number | null;
  /** First validation at normalised score ≥ 0.95: its budget step and training seconds (null: never). */
  readonly thresholdStep: number | null;
  readonly thresholdSeconds: number | null;
  readonly retrieval: RetrievalReport | null;
  readonly warnings: readonly string[];
};

export type BaselineSummary = {
  readonly role: 'baseline';
  readonly env: string;
  readonly evalMean: number;
  readonly evalStd: number;
  readonly evalCi95: number;
  /** Null when the teacher is not better than random by the margin (see warnings). */
  readonly normalizedScore: number | null;
  readonly studentParams: number;
  /** Null for a baseline without a teacher run. */
  readonly teacherParams: number | null;
  readonly paramRatio: number | null;
  readonly microsecondsPerAction: number;
  /** The returns the normalised score is relative to (teacher: null when unknown). */
  readonly teacherEvalMean: number | null;
  readonly randomEvalMean: number;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  readonly selectedStep: number | null;
  readonly stopAtReturn: number | null;
  readonly stoppedEarly: string | null;
  readonly warnings: readonly string[];
};

export type JobSummary = TeacherSummary | StudentSummary | BaselineSummary;

/** The fields of a stored teacher summary that students and baselines read, checked. */
const TeacherSummaryFields = z.object({ role: z.literal('teacher'), env: z.string(), params: z.number(), evalMean: z.number(), randomEvalMean: z.number() }).loose();

export function teacherSummaryOf(runId: number, stored: unknown): TeacherSummary {
  if (stored === null || stored === undefined) throw new ConfigError('teacher run', { path: 'teacherRunId', message: `teacher run ${runId} has not completed` });
  const parsed = TeacherSummaryFields.safeParse(stored);
  if (!parsed.success) throw new ConfigError('teacher run', { path: 'teacherRunId', message: `run ${runId} has no teacher summary (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})` });
  return stored as TeacherSummary;
}

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

function evaluationRecord(kind: EvaluationRecord['kind'], step: number, e: EvaluationResult, extra?: Record<string, unknown>): EvaluationRecord {
  return { kind, step, episodes: e.returns.length, mean: e.mean, std: e.std, ci95: e.ci95, returns: e.returns, seeds: e.seeds, lengths: e.lengths, ...(extra ? { extra } : {}) };
}

/** Progress of a phase after training (evaluation, replays, extraction) in the shape of TrainProgress. */
function phaseReporter(ctx: JobContext, phase: TrainPhase, unit: TrainProgress['unit'], total: number) {
  const t0 = performance.now();
  return (done: number) => {
    const elapsed = (performance.now() - t0) / 1000;
    ctx.onProgress?.({ phase, unit, envSteps: done, totalSteps: total, gradientSteps: 0, epsilon: 0, elapsedSeconds: elapsed, etaSeconds: done > 0 ? ((total - done) * elapsed) / done : null, recentReturn: null, lastEval: null });
  };
}

/** Greedy evaluation on the test seeds as a cancellable phase. */
function evaluatePhase(ctx: JobContext, env: string, policy: BatchPolicy, seeds: number[]): Promise<EvaluationResult> {
  return evaluatePolicyAsync(env, policy, seeds, { onProgress: phaseReporter(ctx, 'evaluate', 'episodes', seeds.length), ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

function recordReplays(ctx: JobContext, runId: number, env: string, net: QFunction, seeds: number[], count: number): Promise<void> {
  const chosen = seeds.slice(0, count);
  return recordEpisodesAsync(env, net, chosen, (r) => ctx.store.saveReplay(runId, r), { onProgress: phaseReporter(ctx, 'replay', 'episodes', chosen.length), ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

/** Training hooks of a job: metrics to the store, progress, cancel, periodic checkpoints. */
function trainHooks<C extends TeacherCheckpoint | StudentCheckpoint>(runId: number, ctx: JobContext, budget: number, minPeriod: number): TrainHooks<C> {
  return {
    onMetrics: (points) => ctx.store.appendMetrics(runId, points),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    checkpointEvery: ctx.checkpointEvery ?? Math.max(minPeriod, Math.round(budget / 20)),
    onCheckpoint: (c) => ctx.store.saveCheckpoint(runId, c.kind === 'teacher' ? c.envSteps : c.step, c),
  };
}

/** DQN training (teacher, baseline) from the run's checkpoint when there is one. */
async function trainDqn(runId: number, config: DqnConfig, ctx: JobContext): Promise<TeacherResult> {
  const resume = ctx.store.loadCheckpoint(runId);
  if (resume && resume.kind !== 'teacher') throw new ConfigError('checkpoint', { path: 'checkpoint', message: `run ${runId}: its checkpoint is a ${resume.kind} checkpoint` });
  ctx.store.deleteMetricsAfter(runId, resume ? resume.envSteps : -1);
  return trainTeacher(config, trainHooks<TeacherCheckpoint>(runId, ctx, config.totalSteps, 1000), resume ?? undefined);
}

async function runTeacherJob(job: Extract<JobSpec, { kind: 'teacher' }>, ctx: JobContext): Promise<TeacherSummary> {
  const seeds = episodeSeeds(job.evalEpisodes);
  let network: QFunction;
  let env: string;
  let result: TeacherResult | null = null;
  if (job.train) {
    const config = parseDqnConfig(job.train);
    env = config.env;
    result = await trainDqn(job.runId, config, ctx);
    network = result.network;
  } else {
    if (job.existingModelId === undefined) throw new ConfigError('teacher job', { path: 'train', message: `teacher run ${job.runId}: neither a training config nor a model` });
    // A tfjs bundle or an imported ONNX teacher (run by onnxruntime): both evaluate and extract knowledge the same way.
    const loaded = loadTeacher(ctx.store.loadModel(job.existingModelId), `model ${job.existingModelId}`);
    network = loaded.teacher;
    env = loaded.meta.env;
  }
  try {
    const training = result && {
      envSteps: result.envSteps, gradientSteps: result.gradientSteps, trainSeconds: result.trainSeconds, thresholdStep: result.thresholdStep,
      thresholdSeconds: result.thresholdSeconds, selectedStep: result.selectedStep, stoppedEarly: result.stoppedEarly,
    };
    if (result) ctx.store.saveModel(job.runId, encodeBundle(result.network, { env, backend: ctx.backend, training: { role: 'teacher', config: result.config, ...training } }));
    const evaluation = await evaluatePhase(ctx, env, (o, b) => network.act(o, b), seeds);
    const random = await evaluatePhase(ctx, env, randomPolicy(env), seeds);
    ctx.store.saveEvaluation(job.runId, evaluationRecord('final', result?.envSteps ?? 0, evaluation, { microsecondsPerAction: measureActionLatency(network) }));
    ctx.store.saveEvaluation(job.runId, evaluationRecord('random', 0, random));
    await recordReplays(ctx, job.runId, env, network, seeds, job.replays);
    let kbInfo: { kbId: number | null; kbSize: number | null; extractSeconds: number | null } = { kbId: null, kbSize: null, extractSeconds: null };
    if (job.kb) {
      const t0 = performance.now();
      const kb = await extractKnowledgeAsync(network, {
        env: env as KnowledgeBase['meta']['env'], steps: job.kb.steps, seed: job.kb.seed, epsilon: job.kb.epsilon, teacherSource: `run ${job.runId}`,
        onProgress: phaseReporter(ctx, 'extract', 'env_steps', job.kb.steps), ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const extractSeconds = (performance.now() - t0) / 1000;
      kbInfo = { kbId: ctx.store.saveKnowledgeBase(job.runId, kb, knowledgeBaseStats(kb)), kbSize: kb.size, extractSeconds };
    }
    const threshold = createEnv(env).rewardThreshold;
    const reachedThreshold = evaluation.mean >= threshold;
    return {
      role: 'teacher', env, params: network.paramCount, hiddenSizes: network.spec.hiddenSizes, evalMean: evaluation.mean, evalStd: evaluation.std, evalCi95: evaluation.ci95,
      randomEvalMean: random.mean, rewardThreshold: threshold, reachedThreshold,
      thresholdNote: reachedThreshold ? null : `below threshold: the teacher's test return ${evaluation.mean.toFixed(1)} is under ${env}'s reward threshold ${threshold}; students distilled from it learn an unsolved policy`,
      ...kbInfo, training,
    };
  } finally {
    network.dispose();
  }
}

/** The teacher run's model, KB, returns and score scale (with warnings when the teacher is weak). */
function teacherContext(ctx: JobContext, teacherRunId: number) {
  const summary = teacherSummaryOf(teacherRunId, ctx.store.runSummary(teacherRunId));
  const modelId = ctx.store.modelOfRun(teacherRunId);
  if (modelId === null) throw new ConfigError('teacher run', { path: 'teacherRunId', message: `teacher run ${teacherRunId} has no model` });
  const scale = scoreScale(summary.env, summary.evalMean, summary.randomEvalMean);
  return { summary, modelId, kbId: ctx.store.knowledgeBaseOfRun(teacherRunId), teacherReturn: summary.evalMean, randomReturn: summary.randomEvalMean, teacherParams: summary.params, scale, warnings: scale.warnings };
}

async function runStudentJob(job: Extract<JobSpec, { kind: 'student' }>, ctx: JobContext): Promise<StudentSummary> {
  const config = parseStudentConfig(job.config);
  const t = teacherContext(ctx, job.teacherRunId);
  const teacher = loadTeacher(ctx.store.loadModel(t.modelId), `model ${t.modelId}`).teacher;
  try {
    const kb = t.kbId === null ? null : ctx.store.loadKnowledgeBase(t.kbId);
    const resume = ctx.store.loadCheckpoint(job.runId);
    if (resume && resume.kind !== 'student') throw new ConfigError('checkpoint', { path: 'checkpoint', message: `run ${job.runId}: its checkpoint is a ${resume.kind} checkpoint` });
    ctx.store.deleteMetricsAfter(job.runId, resume ? resume.step : -1);
    const result = await trainStudent(
      { config, teacher, kb, teacherReturn: t.teacherReturn, randomReturn: t.randomReturn },
      trainHooks<StudentCheckpoint>(job.runId, ctx, config.steps, 500),
      resume ?? undefined,
    );
    try {
      const seeds = episodeSeeds(job.evalEpisodes);
      const evaluation = await evaluatePhase(ctx, config.env, (o, b) => result.network.act(o, b), seeds);
      const report = reportStudent({ student: result.network, evaluation, scale: t.scale, teacherParams: t.teacherParams, kb, heldOutRows: result.heldOutRows });
      ctx.store.saveEvaluation(job.runId, evaluationRecord('final', config.steps, evaluation, report));
      await recordReplays(ctx, job.runId, config.env, result.network, seeds, job.replays);
      // The states the KB did not cover (retrieval students), with the run, for the knowledge-base browser.
      const outside = result.outsideRadius;
      if (outside && outside.kept > 0) ctx.store.saveReplay(job.runId, outsideRadiusRecord(outside, result.network.spec.inputSize, result.network.spec.outputSize));
      ctx.store.saveModel(job.runId, encodeBundle(result.network, { env: config.env, backend: ctx.backend, training: { role: 'student', teacherRunId: job.teacherRunId, config: result.config } }));
      return {
        role: 'student', env: config.env, method: config.method, mode: config.mode, ...report, config: result.config, envSteps: result.envSteps,
        kbSteps: studentUsesKb(config) ? (kb?.size ?? 0) : 0, gradientSteps: result.gradientSteps,
        trainSeconds: result.trainSeconds, selectedStep: result.selectedStep, thresholdStep: result.thresholdStep, thresholdSeconds: result.thresholdSeconds,
        retrieval: result.retrieval, warnings: t.warnings,
      };
    } finally {
      result.network.dispose();
    }
  } finally {
    teacher.dispose();
  }
}

async function runBaselineJob(job: Extract<JobSpec, { kind: 'baseline' }>, ctx: JobContext): Promise<BaselineSummary> {
  const t = job.teacherRunId === null ? null : teacherContext(ctx, job.teacherRunId);
  const env = job.config.env;
  const seeds = episodeSeeds(job.evalEpisodes);
  // Without a teacher run the random policy's return is measured here, on the same seeds.
  const randomReturn = t ? t.randomReturn : (await evaluatePhase(ctx, env, randomPolicy(env), seeds)).mean;
  const teacherReturn = t ? t.teacherReturn : (job.teacherReturn ?? null);
  const scale = t ? t.scale : teacherReturn === null ? null : scoreScale(env, teacherReturn, randomReturn);
  const stopAtReturn = job.stopAtScore == null || !scale?.valid ? null : scale.randomReturn + job.stopAtScore * (scale.teacherReturn - scale.randomReturn);
  const config = parseDqnConfig({ ...job.config, stopAtReturn });
  const result = await trainDqn(job.runId, config, ctx);
  try {
    const evaluation = await evaluatePhase(ctx, config.env, (o, b) => result.network.act(o, b), seeds);
    const extra = {
      normalizedScore: scale ? scoreOn(scale, evaluation.mean) : null,
      studentParams: result.network.paramCount,
      teacherParams: t ? t.teacherParams : null,
      paramRatio: t ? result.network.paramCount / t.teacherParams : null,
      microsecondsPerAction: measureActionLatency(result.network),
      teacherEvalMean: teacherReturn,
      randomEvalMean: randomReturn,
    };
    ctx.store.saveEvaluation(job.runId, evaluationRecord('final', result.envSteps, evaluation, extra));
    await recordReplays(ctx, job.runId, config.env, result.network, evaluation.seeds, job.replays);
    ctx.store.saveModel(job.runId, encodeBundle(result.network, { env: config.env, backend: ctx.backend, training: { role: 'baseline', teacherRunId: job.teacherRunId, config } }));
    return {
      role: 'baseline', env: config.env, evalMean: evaluation.mean, evalStd: evaluation.std, evalCi95: evaluation.ci95, ...extra, envSteps: result.envSteps,
      gradientSteps: result.gradientSteps, trainSeconds: result.trainSeconds, selectedStep: result.selectedStep, stopAtReturn, stoppedEarly: result.stoppedEarly, warnings: scale?.warnings ?? [],
    };
  } finally {
    result.network.dispose();
  }
}
