/**
 * Projections of stored rows into the contract's views (RunView, ExperimentSummary, ModelView) and the CLI's
 * run rows. The one place that knows where a figure lives (a run's summary, its stored job, its checkpoint).
 */
import { ENV_SPECS, isEnvId } from '../../core/envs/index.ts';
import { paramCount } from '../../core/nn/q-network.ts';
import type { ExperimentRecord, ModelSummary, RunRecord, StudioDb } from '../../db/index.ts';
import type { ExperimentSummary, ModelView, RunCounts, RunProgress, RunView } from '../api/contract.ts';
import { storedConfig } from './runs.ts';

type Summary = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Whether a failed run failed by itself (a diverged loss): resuming it with the same config diverges again. */
export function diverged(run: RunRecord): boolean {
  return run.status === 'failed' && /diverged/.test(run.error ?? '');
}

/**
 * "95% CI ±8.1, 20 episodes", or "95% CI n/a (1 episode)": one episode has no spread to estimate a confidence
 * interval from (its half-width is NaN), and NaN is not a figure to show anyone.
 */
export function ciText(ci95: number | null | undefined, episodes: number): string {
  const plural = `${episodes} episode${episodes === 1 ? '' : 's'}`;
  return typeof ci95 === 'number' && Number.isFinite(ci95) ? `95% CI ±${ci95.toFixed(1)}, ${plural}` : `95% CI n/a (${plural})`;
}

/** Why a diverged run is not resumed: from its checkpoint, the same configuration repeats the same updates. */
export function divergedMessage(run: RunRecord): string {
  return `run ${run.id} diverged (${run.error}); resuming it with the same configuration would diverge again (it repeats the same updates from its checkpoint): start a new run with a changed configuration (a lower learningRate, maxGradNorm, or a larger tau for distillation)`;
}

export interface RunContext {
  /** Progress of the runs this studio is running. */
  readonly progressOf: (runId: number) => RunProgress | null;
  /** Teacher parameter counts by teacher run id (filled on demand). */
  readonly teacherParams?: Map<number, number | null>;
}

/** Hidden sizes of the network a run trains (or imported), from its job or its summary. */
function hiddenSizesOf(db: StudioDb, run: RunRecord, summary: Summary): number[] {
  if (Array.isArray(summary.hiddenSizes)) return summary.hiddenSizes as number[];
  if (Array.isArray(summary.student)) return summary.student as number[];
  const job = storedConfig(run)?.job;
  if (!job) {
    const cli = (run.config as { cli?: { hiddenSizes?: number[] } } | null)?.cli;
    return cli?.hiddenSizes ?? [];
  }
  if (job.kind === 'teacher') {
    if (job.train) return job.train.hiddenSizes;
    if (job.existingModelId !== undefined) {
      try {
        return [...db.models.get(job.existingModelId).meta.hiddenSizes];
      } catch {
        return [];
      }
    }
    return [];
  }
  return job.config.hiddenSizes;
}

function teacherParamsOf(db: StudioDb, teacherRunId: number | null, cache: Map<number, number | null> | undefined): number | null {
  if (teacherRunId === null) return null;
  if (cache?.has(teacherRunId)) return cache.get(teacherRunId)!;
  let params: number | null = null;
  try {
    const t = db.runs.get(teacherRunId);
    params = num((t.summary as Summary | null)?.params);
    if (params === null) {
      const sizes = hiddenSizesOf(db, t, {});
      const env = storedConfig(t)?.env;
      if (env && isEnvId(env) && sizes.length) params = paramCount({ inputSize: ENV_SPECS[env].observationSize, hiddenSizes: sizes, outputSize: ENV_SPECS[env].actionCount });
    }
  } catch {
    params = null;
  }
  cache?.set(teacherRunId, params);
  return params;
}

export function runView(db: StudioDb, run: RunRecord, ctx: RunContext): RunView {
  const stored = storedConfig(run);
  const summary = (run.summary ?? {}) as Summary;
  const env = stored?.env ?? String((run.config as { env?: unknown } | null)?.env ?? summary.env ?? '');
  const hiddenSizes = hiddenSizesOf(db, run, summary);
  const computed = isEnvId(env) && hiddenSizes.length > 0 ? paramCount({ inputSize: ENV_SPECS[env].observationSize, hiddenSizes, outputSize: ENV_SPECS[env].actionCount }) : null;
  const params = num(summary.studentParams) ?? num(summary.params) ?? computed;
  const teacherParams = run.role === 'teacher' ? null : teacherParamsOf(db, run.teacherRunId, ctx.teacherParams);
  const job = stored?.job;
  const student =
    job?.kind === 'student'
      ? {
          alpha: job.config.alpha,
          alphaSchedule: job.config.alphaSchedule,
          alphaEnd: job.config.alphaEnd,
          tau: job.config.tau,
          softLoss: job.config.softLoss,
          hardLoss: job.config.hardLoss,
          method: job.config.method,
          mode: job.config.mode,
          steps: job.config.steps,
        }
      : null;
  const evalMean = num(summary.evalMean);
  const checkpoint = db.checkpoints.info(run.id);
  const evalEpisodes = run.summary === null ? null : episodesOf(db, run, job);
  const reopenable = run.status === 'interrupted' || run.status === 'cancelled' || (run.status === 'failed' && !diverged(run));
  return {
    id: run.id,
    experimentId: run.experimentId,
    role: run.role,
    name: stored?.name ?? String((run.config as { name?: unknown } | null)?.name ?? `run ${run.id}`),
    status: run.status,
    seed: run.seed,
    backend: run.backend,
    env,
    hiddenSizes,
    params,
    paramRatio: num(summary.paramRatio) ?? (params !== null && teacherParams ? params / teacherParams : null),
    teacherRunId: run.teacherRunId,
    student,
    progress: run.status === 'running' ? ctx.progressOf(run.id) : null,
    result:
      run.summary === null
        ? null
        : {
            evalMean,
            evalStd: num(summary.evalStd),
            evalCi95: num(summary.evalCi95),
            evalEpisodes,
            normalizedScore: num(summary.normalizedScore),
            reachedThreshold: run.role === 'teacher' && evalMean !== null && isEnvId(env) ? evalMean >= ENV_SPECS[env].rewardThreshold : null,
          },
    error: run.error,
    resumable: stored !== null && reopenable,
    checkpointStep: checkpoint?.step ?? null,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

/** Episodes of a run's final evaluation: its stored job's count, else the stored evaluation's. */
function episodesOf(db: StudioDb, run: RunRecord, job: StoredJobOf | undefined): number | null {
  if (job && typeof job.evalEpisodes === 'number') return job.evalEpisodes;
  return db.evaluations.latestFinal(run.id)?.returns.length ?? null;
}
type StoredJobOf = NonNullable<ReturnType<typeof storedConfig>>['job'];

/** Views of many runs, sharing the teacher lookups. */
export function runViews(db: StudioDb, runs: readonly RunRecord[], progressOf: RunContext['progressOf']): RunView[] {
  const teacherParams = new Map<number, number | null>();
  for (const r of runs) if (r.role === 'teacher') teacherParams.set(r.id, num((r.summary as Summary | null)?.params));
  for (const [id, p] of teacherParams) if (p === null) teacherParams.delete(id);
  return runs.map((r) => runView(db, r, { progressOf, teacherParams }));
}

const ZERO_COUNTS: RunCounts = { total: 0, queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0, interrupted: 0 };

export function experimentSummaries(db: StudioDb, experiments: readonly ExperimentRecord[], only?: number): ExperimentSummary[] {
  const stats = db.runs.statsByExperiment(only);
  return experiments.map((e) => {
    const s = stats.get(e.id);
    return {
      id: e.id,
      name: e.name,
      env: String((e.spec as { env?: unknown } | null)?.env ?? ''),
      createdAt: e.createdAt,
      runCounts: s ? { total: s.total, ...s.counts } : ZERO_COUNTS,
      bestStudentScore: s?.bestStudentScore ?? null,
      bestStudentRunId: s?.bestStudentRunId ?? null,
      teacherReturn: s?.teacherReturn ?? null,
    };
  });
}

export function modelView(db: StudioDb, m: ModelSummary, runs: Map<number, RunRecord>): ModelView {
  const run = m.runId !== null ? runs.get(m.runId) ?? null : null;
  const training = (m.meta.training ?? {}) as Summary;
  const evaluation = training.evaluation as { mean?: unknown } | undefined;
  const evalMean = num((run?.summary as Summary | null)?.evalMean) ?? num(evaluation?.mean);
  const role = run?.role ?? (typeof training.role === 'string' ? training.role : null);
  // An imported model names its source: a bundle folder (importedFrom) or a teacher file (imported.fileName).
  const importedFile = (training.imported as { fileName?: unknown } | undefined)?.fileName;
  const label =
    m.kind === 'imported'
      ? `imported from ${typeof training.importedFrom === 'string' ? training.importedFrom : typeof importedFile === 'string' ? importedFile : 'a bundle folder'}`
      : run
        ? `${role ?? 'model'} ${storedConfig(run)?.name ? `"${storedConfig(run)!.name}" ` : ''}(run ${run.id}${run.experimentId !== null ? `, experiment ${run.experimentId}` : ''})`
        : `${m.kind} model ${m.id}`;
  return {
    id: m.id,
    runId: m.runId,
    experimentId: run?.experimentId ?? null,
    kind: m.kind,
    env: m.meta.env,
    hiddenSizes: [...m.meta.hiddenSizes],
    params: m.meta.paramCount,
    evalMean,
    label,
    createdAt: m.createdAt,
  };
}

/** The CLI's row of a run (`runs --json`, `experiment run --json`): flat, stable keys. */
export function cliRunRow(db: StudioDb, view: RunView) {
  return {
    id: view.id,
    experimentId: view.experimentId,
    role: view.role,
    status: view.status,
    name: view.name,
    seed: view.seed,
    backend: view.backend,
    evalMean: view.result?.evalMean ?? null,
    evalCi95: view.result?.evalCi95 ?? null,
    evalEpisodes: view.result?.evalEpisodes ?? null,
    normalizedScore: view.result?.normalizedScore ?? null,
    params: view.params,
    metricsLastStep: db.metrics.lastStep(view.id),
    resumable: view.resumable,
    checkpointStep: view.checkpointStep,
    error: view.error,
    createdAt: view.createdAt,
    finishedAt: view.finishedAt,
  };
}
export type CliRunRow = ReturnType<typeof cliRunRow>;
