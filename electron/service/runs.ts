/**
 * Turning intentions into stored runs: an experiment spec into its experiment and queued runs, and the
 * stand-alone commands (train-teacher, distill, baseline) into the same kind of runs. Every run stores the job
 * that (re)runs it (`StoredRunConfig`), so any run can be executed, cancelled and resumed the same way.
 * Everything of one call is written in one transaction: a failure writes nothing.
 */
import path from 'node:path';
import type { DqnConfig } from '../../core/dqn/config.ts';
import type { StudentConfig } from '../../core/distill/config.ts';
import type { JobSpec } from '../../core/experiment/jobs.ts';
import { planExperiment } from '../../core/experiment/plan.ts';
import { SPEC_VERSION, type ExperimentSpec } from '../../core/experiment/spec.ts';
import { knowledgeBaseStats, type KnowledgeBase } from '../../core/kb/knowledge-base.ts';
import { ENV_SPECS, isEnvId } from '../../core/envs/index.ts';
import { currentBackend, selectBackend } from '../../core/nn/backend.ts';
import { checkTrainingMemory } from '../../core/util/memory-budget.ts';
import { encodeBundle, loadBundle, type LoadedBundle } from '../../core/nn/bundle.ts';
import type { RunRecord, StudioDb } from '../../db/index.ts';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type StoredJob = DistributiveOmit<JobSpec, 'runId'>;

/** What a run row stores as its config: the env and the job to (re)run, without the run id. */
export interface StoredRunConfig {
  readonly env: string;
  readonly job: StoredJob;
  readonly name: string;
}

export interface CreatedRuns {
  readonly experimentId: number | null;
  readonly teacherRunId: number | null;
  /** Every run with the runs it waits for, teacher first. */
  readonly runs: { runId: number; deps: number[] }[];
}

/** A network a run will train, for the memory check: the field that sets it, and the training's shape. */
export interface TrainedNetwork {
  readonly field: string;
  readonly env: string;
  readonly hiddenSizes: readonly number[];
  readonly batchSize: number;
  /** Replay capacity (DQN and online distillation; offline distillation samples a knowledge base). */
  readonly bufferSize?: number;
}

/**
 * Refuses networks whose training would not fit in memory (core/util/memory-budget.ts), before anything is
 * stored: the message names the field and says how much it needs, instead of a run that fails later with
 * "Invalid typed array length" or an out-of-memory crash. `backend` bounds the memory (wasm: 4 GiB).
 */
export function checkNetworksFit(networks: readonly TrainedNetwork[], backend?: string): void {
  for (const n of networks) {
    if (!isEnvId(n.env)) continue;
    const env = ENV_SPECS[n.env];
    checkTrainingMemory(n.field, { inputSize: env.observationSize, hiddenSizes: n.hiddenSizes, outputSize: env.actionCount }, { batchSize: n.batchSize, bufferSize: n.bufferSize ?? 0 }, backend);
  }
}

/** The networks an experiment plan trains, named by their spec fields. */
export function plannedNetworks(spec: ExperimentSpec): TrainedNetwork[] {
  const plan = planExperiment(spec);
  const out: TrainedNetwork[] = [];
  const t = plan.teacher.config;
  if (t) out.push({ field: 'teacher.train.overrides.hiddenSizes', env: spec.env, hiddenSizes: t.hiddenSizes, batchSize: t.batchSize, bufferSize: t.bufferSize });
  // Plans repeat the students per seed (seeds outer): the first seed's are one per student spec.
  spec.students.forEach((_, i) => {
    const s = plan.students[i]?.config;
    if (s) out.push({ field: `students.${i}.hiddenSizes`, env: spec.env, hiddenSizes: s.hiddenSizes, batchSize: s.batchSize, ...(s.mode === 'online' ? { bufferSize: s.bufferSize } : {}) });
  });
  for (const b of plan.baselines.filter((x) => x.config.seed === spec.seeds[0])) out.push({ field: `baselines (${b.config.hiddenSizes.join('-')})`, env: spec.env, hiddenSizes: b.config.hiddenSizes, batchSize: b.config.batchSize, bufferSize: b.config.bufferSize });
  return out;
}

/** Networks are decoded in the host only to import a bundle folder; tfjs needs a backend for that. */
export async function loadBundleInHost(dir: string): Promise<LoadedBundle> {
  if (currentBackend() === null) await selectBackend('cpu');
  return loadBundle(dir);
}

/** Stores a bundle read from a folder as an `imported` model (no run) and returns its id. */
export function importModel(db: StudioDb, loaded: LoadedBundle, source: string): number {
  const { meta, network } = loaded;
  return db.models.save({ runId: null, kind: 'imported', bundle: encodeBundle(network, { env: meta.env, backend: meta.backend, training: { importedFrom: source, ...(meta.training ?? {}) } }) }).id;
}

export interface ExperimentOptions {
  /** Folder that relative `teacher.model` paths are resolved against (the spec file's, or the cwd). */
  readonly specDir?: string;
  /** A knowledge base to use instead of extracting one (stored with the teacher run; the teacher extracts none). */
  readonly knowledgeBase?: KnowledgeBase;
  /** Backend the runs will train on (bounds the memory a network may need; default: the wasm bound). */
  readonly backend?: string;
}

/** Creates the experiment and its queued runs in one transaction (nothing is written if anything fails). */
export async function createExperimentRuns(db: StudioDb, spec: ExperimentSpec, options: ExperimentOptions = {}): Promise<CreatedRuns & { experimentId: number; teacherRunId: number }> {
  const plan = planExperiment(spec);
  checkNetworksFit(plannedNetworks(spec), options.backend);
  // An existing teacher model is read before the transaction, so that a bad bundle writes nothing.
  const modelPath = plan.teacher.modelPath !== undefined ? path.resolve(options.specDir ?? '.', plan.teacher.modelPath) : null;
  let imported: LoadedBundle | null = null;
  if (modelPath !== null) {
    try {
      imported = await loadBundleInHost(modelPath);
    } catch (err) {
      throw new Error(`teacher.model: ${(err as Error).message}`);
    }
  }
  try {
    if (imported && imported.meta.env !== spec.env) throw new Error(`teacher.model: the bundle is for ${imported.meta.env}, the experiment for ${spec.env}`);
    if (plan.teacher.modelId !== undefined) {
      const env = db.models.get(plan.teacher.modelId).meta.env;
      if (env !== spec.env) throw new Error(`teacher.modelId: model ${plan.teacher.modelId} is for ${env}, the experiment for ${spec.env}`);
    }
    const kb = options.knowledgeBase;
    if (kb && kb.meta.env !== spec.env) throw new Error(`knowledge base: it is for ${kb.meta.env}, the experiment for ${spec.env}`);
    return db.transaction(() => {
      const experiment = db.experiments.create({ name: spec.name, spec, specVersion: SPEC_VERSION });
      const existingModelId = imported !== null ? importModel(db, imported, modelPath!) : plan.teacher.modelId;
      const evalEpisodes = spec.evaluation.episodes;
      const replays = spec.evaluation.replays;
      const teacherJob: StoredJob = {
        kind: 'teacher',
        train: plan.teacher.config,
        ...(existingModelId !== undefined ? { existingModelId } : {}),
        kb: kb ? null : spec.knowledgeBase,
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
      if (kb) db.knowledgeBases.save(kb, knowledgeBaseStats(kb), { teacherRunId: teacher.id, teacherModelId: existingModelId ?? null });
      const runs = [{ runId: teacher.id, deps: [] as number[] }];
      const add = (role: 'student' | 'baseline', name: string, job: StoredJob, seed: number) => {
        const run = db.runs.create({ experimentId: experiment.id, role, config: { env: spec.env, job, name } satisfies StoredRunConfig, seed, teacherRunId: teacher.id });
        runs.push({ runId: run.id, deps: [teacher.id] });
      };
      for (const s of plan.students) add('student', s.name, { kind: 'student', teacherRunId: teacher.id, config: s.config, evalEpisodes, replays }, s.config.seed);
      for (const b of plan.baselines) add('baseline', b.name, { kind: 'baseline', teacherRunId: teacher.id, config: b.config, evalEpisodes, replays, stopAtScore: b.stopAtScore }, b.config.seed);
      return { experimentId: experiment.id, teacherRunId: teacher.id, runs };
    });
  } finally {
    imported?.network.dispose();
  }
}

/** `train-teacher`: one teacher run outside any experiment (no knowledge base, no replays). */
export function createTeacherRun(db: StudioDb, o: { config: DqnConfig; evalEpisodes: number; name: string }): CreatedRuns {
  checkNetworksFit([{ field: 'hiddenSizes', env: o.config.env, hiddenSizes: o.config.hiddenSizes, batchSize: o.config.batchSize, bufferSize: o.config.bufferSize }]);
  const job: StoredJob = { kind: 'teacher', train: o.config, kb: null, evalEpisodes: o.evalEpisodes, replays: 0 };
  const run = db.runs.create({ role: 'teacher', config: { env: o.config.env, job, name: o.name } satisfies StoredRunConfig, seed: o.config.seed });
  return { experimentId: null, teacherRunId: run.id, runs: [{ runId: run.id, deps: [] }] };
}

/**
 * A teacher run for a model read from a bundle folder: it evaluates the model (and the random policy) on the
 * test seeds and, given `kb`, extracts a knowledge base; with `knowledgeBase` that one is stored with it.
 */
function createImportedTeacherRun(db: StudioDb, o: { teacher: LoadedBundle; source: string; evalEpisodes: number; kb: { steps: number; epsilon: number; seed: number } | null; knowledgeBase?: KnowledgeBase }): number {
  const env = o.teacher.meta.env;
  const modelId = importModel(db, o.teacher, o.source);
  const job: StoredJob = { kind: 'teacher', train: null, existingModelId: modelId, kb: o.knowledgeBase ? null : o.kb, evalEpisodes: o.evalEpisodes, replays: 0 };
  const run = db.runs.create({ role: 'teacher', config: { env, job, name: `teacher ${path.basename(o.source)}` } satisfies StoredRunConfig, seed: 0, teacherModelId: modelId });
  if (o.knowledgeBase) db.knowledgeBases.save(o.knowledgeBase, knowledgeBaseStats(o.knowledgeBase), { teacherRunId: run.id, teacherModelId: modelId });
  return run.id;
}

/** `distill`: the teacher bundle's run (evaluation, and a knowledge base unless one is given), then the student. */
export function createDistillRuns(
  db: StudioDb,
  o: { teacher: LoadedBundle; source: string; student: StudentConfig; evalEpisodes: number; kbSteps: number; knowledgeBase?: KnowledgeBase; name: string },
): CreatedRuns {
  checkNetworksFit([studentNetwork(o.student)]);
  return db.transaction(() => {
    const teacherRunId = createImportedTeacherRun(db, { ...o, kb: { steps: o.kbSteps, epsilon: 0.05, seed: o.student.seed } });
    const job: StoredJob = { kind: 'student', teacherRunId, config: o.student, evalEpisodes: o.evalEpisodes, replays: 0 };
    const run = db.runs.create({ role: 'student', config: { env: o.student.env, job, name: o.name } satisfies StoredRunConfig, seed: o.student.seed, teacherRunId });
    return { experimentId: null, teacherRunId, runs: [{ runId: teacherRunId, deps: [] }, { runId: run.id, deps: [teacherRunId] }] };
  });
}

/** `baseline`: optionally the teacher bundle's run (what the normalised score is relative to), then the baseline. */
export function createBaselineRuns(
  db: StudioDb,
  o: { config: DqnConfig; teacher: { bundle: LoadedBundle; source: string } | null; teacherReturn: number | null; evalEpisodes: number; name: string },
): CreatedRuns {
  checkNetworksFit([{ field: 'student', env: o.config.env, hiddenSizes: o.config.hiddenSizes, batchSize: o.config.batchSize, bufferSize: o.config.bufferSize }]);
  return db.transaction(() => {
    const teacherRunId = o.teacher ? createImportedTeacherRun(db, { teacher: o.teacher.bundle, source: o.teacher.source, evalEpisodes: o.evalEpisodes, kb: null }) : null;
    const job: StoredJob = { kind: 'baseline', teacherRunId, teacherReturn: o.teacherReturn, config: o.config, evalEpisodes: o.evalEpisodes, replays: 0 };
    const run = db.runs.create({ role: 'baseline', config: { env: o.config.env, job, name: o.name } satisfies StoredRunConfig, seed: o.config.seed, teacherRunId });
    const runs = teacherRunId === null ? [] : [{ runId: teacherRunId, deps: [] as number[] }];
    return { experimentId: null, teacherRunId, runs: [...runs, { runId: run.id, deps: teacherRunId === null ? [] : [teacherRunId] }] };
  });
}

/** A student's network for checkNetworksFit (its replay buffer only when it trains online). */
export function studentNetwork(c: StudentConfig, field = 'student'): TrainedNetwork {
  return { field, env: c.env, hiddenSizes: c.hiddenSizes, batchSize: c.batchSize, ...(c.mode === 'online' ? { bufferSize: c.bufferSize } : {}) };
}

/** The stored job of a run, or null for runs an older version stored without one. */
export function storedConfig(run: RunRecord): StoredRunConfig | null {
  const c = run.config as Partial<StoredRunConfig> | null;
  return c && typeof c === 'object' && c.job && typeof c.job === 'object' ? (c as StoredRunConfig) : null;
}

export function jobOf(run: RunRecord): JobSpec {
  const stored = storedConfig(run);
  if (!stored) throw new Error(`run ${run.id} has no job description (an older version's stand-alone command stored it); it cannot be run again`);
  return { ...stored.job, runId: run.id } as JobSpec;
}

/** The run it waits for (its teacher run), if any. */
export function runDeps(run: RunRecord): number[] {
  return run.teacherRunId !== null && run.role !== 'teacher' ? [run.teacherRunId] : [];
}
