/**
 * Host-side orchestration: turns a validated spec into stored runs and queued jobs, resumes interrupted runs,
 * and waits for outcomes. Shared by the CLI and (later) the desktop app's IPC handlers.
 */
import path from 'node:path';
import type { ExperimentSpec } from '../../core/experiment/spec.ts';
import { SPEC_VERSION } from '../../core/experiment/spec.ts';
import { planExperiment } from '../../core/experiment/plan.ts';
import type { JobSpec, JobSummary } from '../../core/experiment/jobs.ts';
import { loadBundle, encodeBundle } from '../../core/nn/bundle.ts';
import type { RunRecord, StudioDb } from '../../db/index.ts';
import { JobRunner, type JobOutcome } from './runner.ts';

/** What a run row stores as its config: the env and the job to (re)run, without the run id. */
export interface StoredRunConfig {
  readonly env: string;
  readonly job: DistributiveOmit<JobSpec, 'runId'>;
  readonly name: string;
}
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface CreatedExperiment {
  readonly experimentId: number;
  readonly teacherRunId: number;
  /** Every run with the runs it waits for. */
  readonly runs: { runId: number; deps: number[] }[];
}

/** Creates the experiment and its queued runs in one transaction (nothing is written if anything fails). */
export function createExperiment(db: StudioDb, spec: ExperimentSpec, options: { specDir?: string } = {}): CreatedExperiment {
  const plan = planExperiment(spec);
  // An existing teacher model is imported (or referenced) before the transaction so that a bad bundle writes nothing.
  const imported = plan.teacher.modelPath !== undefined ? loadBundle(path.resolve(options.specDir ?? '.', plan.teacher.modelPath)) : null;
  if (imported && imported.meta.env !== spec.env) {
    imported.network.dispose();
    throw new Error(`teacher.model: the bundle is for ${imported.meta.env}, the experiment for ${spec.env}`);
  }
  if (plan.teacher.modelId !== undefined) {
    const model = db.models.get(plan.teacher.modelId);
    if ((model.bundle.meta as { env?: string }).env !== spec.env) throw new Error(`teacher.modelId: model ${plan.teacher.modelId} is for ${(model.bundle.meta as { env?: string }).env}, the experiment for ${spec.env}`);
  }
  try {
    return db.transaction(() => {
      const experiment = db.experiments.create({ name: spec.name, spec, specVersion: SPEC_VERSION });
      const existingModelId =
        imported !== null
          ? db.models.save({ runId: null, kind: 'imported', bundle: encodeBundle(imported.network, { env: imported.meta.env, backend: imported.meta.backend, training: { importedFrom: plan.teacher.modelPath, ...(imported.meta.training ?? {}) } }) }).id
          : plan.teacher.modelId;
      const evalEpisodes = spec.evaluation.episodes;
      const replays = spec.evaluation.replays;
      const teacherJob: DistributiveOmit<JobSpec, 'runId'> = {
        kind: 'teacher',
        train: plan.teacher.config,
        ...(existingModelId !== undefined ? { existingModelId } : {}),
        kb: spec.knowledgeBase,
        evalEpisodes,
        replays,
      };
      const teacher = db.runs.create({
        experimentId: experiment.id,
        role: 'teacher',
        config: { env: spec.env, job: teacherJob, name: 'teacher' } satisfies StoredRunConfig,
        seed: plan.teacher.seed,
        teacherModelId: existingModelId ?? null,
      });
      const runs = [{ runId: teacher.id, deps: [] as number[] }];
      for (const s of plan.students) {
        const job: DistributiveOmit<JobSpec, 'runId'> = { kind: 'student', teacherRunId: teacher.id, config: s.config, evalEpisodes, replays };
        const run = db.runs.create({ experimentId: experiment.id, role: 'student', config: { env: spec.env, job, name: s.name } satisfies StoredRunConfig, seed: s.config.seed, teacherRunId: teacher.id });
        runs.push({ runId: run.id, deps: [teacher.id] });
      }
      for (const b of plan.baselines) {
        const job: DistributiveOmit<JobSpec, 'runId'> = { kind: 'baseline', teacherRunId: teacher.id, config: b.config, evalEpisodes, replays, stopAtScore: b.stopAtScore };
        const run = db.runs.create({ experimentId: experiment.id, role: 'baseline', config: { env: spec.env, job, name: b.name } satisfies StoredRunConfig, seed: b.config.seed, teacherRunId: teacher.id });
        runs.push({ runId: run.id, deps: [teacher.id] });
      }
      return { experimentId: experiment.id, teacherRunId: teacher.id, runs };
    });
  } finally {
    imported?.network.dispose();
  }
}

export function jobOf(run: RunRecord): JobSpec {
  const stored = run.config as StoredRunConfig;
  if (!stored || typeof stored !== 'object' || !stored.job) throw new Error(`run ${run.id} has no job description (it was not created by an experiment)`);
  return { ...stored.job, runId: run.id } as JobSpec;
}

export function runDeps(run: RunRecord): number[] {
  return run.teacherRunId !== null && run.role !== 'teacher' ? [run.teacherRunId] : [];
}

/**
 * Submits runs to the runner. Runs whose dependency already completed in an earlier process start at once;
 * the runner learns about those outcomes here.
 */
export function submitRuns(db: StudioDb, runner: JobRunner, runIds: number[]): Promise<JobOutcome>[] {
  const submitted = new Set(runIds);
  return runIds.map((id) => {
    const run = db.runs.get(id);
    const deps = runDeps(run).filter((d) => submitted.has(d) || db.runs.get(d).status !== 'completed');
    for (const d of deps) if (!submitted.has(d)) runner.recordOutcome(d, outcomeOf(db.runs.get(d)));
    return runner.submit(jobOf(run), deps);
  });
}

function outcomeOf(run: RunRecord): JobOutcome {
  if (run.status === 'completed') return { status: 'completed', summary: run.summary as JobSummary };
  if (run.status === 'cancelled') return { status: 'cancelled' };
  return { status: 'failed', error: run.error ?? `run ${run.id} is ${run.status}` };
}

export function createRunner(db: StudioDb, options: { poolSize?: number; backend?: string; checkpointEvery?: number } = {}): JobRunner {
  return new JobRunner({
    dbFile: db.file,
    ...options,
    onWorkerDeath: (runId, error) => {
      const run = db.runs.get(runId);
      if (run.status === 'running' || run.status === 'queued' || run.status === 'interrupted') db.runs.setStatus(runId, 'failed', { error });
    },
    onSkipped: (runId, status, error) => {
      const run = db.runs.get(runId);
      if (run.status === 'queued' || run.status === 'interrupted') db.runs.setStatus(runId, status, { error });
    },
  });
}
