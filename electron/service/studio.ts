/**
 * The studio service: the one implementation of the StudioApi contract over db/ and the job runner
 * (DESIGN.md § Process model). The IPC handlers, the browser-mode server and the CLI are adapters over it; the
 * CLI also uses the host-only verbs below (stand-alone runs, waiting for runs, replay, files).
 *
 * One studio owns one database connection for the host and one runner (created with the first run). Runs it
 * starts keep running for as long as the studio lives, whatever its windows or clients do; `close()` stops the
 * workers and leaves their runs `interrupted`, to be resumed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExperimentSpec } from '../../core/experiment/spec.ts';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import type { MetricKey } from '../../core/metrics.ts';
import { isBusyError, openDatabase, type LockWaitStats, type RunRecord, type StudioDb } from '../../db/index.ts';
import { ApiError, type RequestArgs, type ResponseMap, type RunView, type StudioService } from '../api/contract.ts';
import { isDependencyError, type JobOutcome } from '../jobs/runner.ts';
import { buildCatalog } from './catalog.ts';
import { compareRuns as compareRunViews } from './compare.ts';
import { conflict, invalid, toApiError } from './errors.ts';
import { EventBus } from './events.ts';
import { getKnowledgeBase, listKnowledgeBases } from './kb-browser.ts';
import { metricsCsv } from './metrics-csv.ts';
import { exportModelBytes, importTeacherBytes } from './model-files.ts';
import { getReplay, replayIndex } from './replays.ts';
import { Execution, stepUnitOf, type ExecutionOptions } from './execution.ts';
import { compareRuns, type RunComparison } from './reproduce.ts';
import { createExperimentRuns, storedConfig, type CreatedRuns, type ExperimentOptions } from './runs.ts';
import { cliRunRow, diverged, divergedMessage, experimentSummaries, modelView, runView, runViews, type CliRunRow } from './views.ts';
import { validateSpec } from './validate.ts';

export interface StudioOptions extends Omit<ExecutionOptions, 'dbFile'> {
  /** The database file (created when missing); ':memory:' is not allowed (workers need the file). */
  readonly dbFile: string;
  /** Folder relative `teacher.model` paths of specs sent by clients resolve against (default: the cwd). */
  readonly specDir?: string;
  /**
   * Create the database file when it is missing (default true). Commands that only read or continue what is
   * stored pass false, so that a mistyped path is an error instead of a new empty database.
   */
  readonly create?: boolean;
}

type Verbs = { [K in keyof ResponseMap]: (args: RequestArgs<K>) => Promise<ResponseMap[K]> };

export interface Studio extends StudioService {
  readonly db: StudioDb;
  /** Stores an experiment from a validated spec (and, by default, starts it). */
  createFromSpec(spec: ExperimentSpec, options?: ExperimentOptions & { start?: boolean }): Promise<CreatedRuns & { experimentId: number; teacherRunId: number }>;
  /** Stores runs made by a function over the database (the stand-alone commands' run builders), in one transaction. */
  createRuns(make: (db: StudioDb) => CreatedRuns): CreatedRuns;
  /** Queues runs (after their dependencies) and resolves with their outcomes. */
  execute(runIds: readonly number[]): Promise<JobOutcome[]>;
  /** Resolves when the given runs submitted here have ended. */
  waitFor(runIds: readonly number[]): Promise<JobOutcome[]>;
  /**
   * Reopens and queues a run and the runs waiting for it; returns their ids, the checkpoint step it resumes
   * from and the backend it continues on (null: the workers'). A run with a checkpoint continues on its
   * recorded backend unless `backend` names another.
   */
  resume(runId: number, options?: { backend?: string }): { runIds: number[]; checkpointStep: number | null; backend: string | null };
  /** Cancels runs, held here or waiting in the database. */
  cancelRuns(runIds: readonly number[]): number[];
  /** Re-runs a stored experiment from its spec into a new one and compares run by run. */
  replayExperiment(id: number, options?: { backend?: string }): Promise<{ replayId: number; reproduced: boolean; runs: RunComparison[] }>;
  runRows(filter?: { experimentId?: number }): CliRunRow[];
  /**
   * Writes the experiment's file (as exportExperiment) to `file`; returns the file name to offer and the row
   * counts. An existing file is replaced only with `force`; the open database never.
   */
  exportToFile(id: number, file: string, options?: { force?: boolean }): { fileName: string; rows: Record<string, number> };
  /** Imports an exported file; `allowDuplicate` imports a second copy of experiments already here. */
  importFile(file: string, options?: { allowDuplicate?: boolean }): number[];
  /** Starts the worker threads ahead of the first run (the studio does at launch; the CLI does not need to). */
  warmUp(): Promise<void>;
  /** How long the workers' writes waited for other processes' locks (the longest wait, how often). */
  lockWaits(): LockWaitStats;
  /** The workers' backend (forced, or as reported by a worker). */
  readonly selectedBackend: string | null;
  /** Stops the workers (their runs become interrupted) and closes the database. */
  close(): Promise<void>;
}

export const CANCELLED_BEFORE_START = 'cancelled before it started';

/** A run that was stopped before it ever ran: cancelled while waiting, or skipped because `teacherId` did not complete. */
const neverStarted = (r: RunRecord, teacherId: number) => r.startedAt === null && (r.error === CANCELLED_BEFORE_START || isDependencyError(r.error, teacherId));

const slug = (name: string) => name.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'experiment';

export function openStudio(options: StudioOptions): Studio {
  if (options.dbFile === ':memory:') throw new Error('the studio needs a database file (its workers open it too)');
  const db = openDatabase(options.dbFile, options.create === false ? { create: false } : {});
  // Runs left `running` by a process that died are interrupted (runs of live processes are left alone); an
  // import or a knowledge-base save whose process was killed midway is undone (those of live processes are
  // left alone: they are still writing).
  // Best effort: another process's long write may hold the lock; what is left then is done at the next start.
  for (const recover of [() => db.runs.markInterruptedOnStartup(), () => db.transfer.recoverInterruptedImports(), () => db.knowledgeBases.deleteIncomplete()]) {
    try {
      recover();
    } catch (err) {
      if (!isBusyError(err)) {
        db.close();
        throw err;
      }
    }
  }
  const bus = new EventBus();
  const execution = new Execution(db, bus, { ...options, dbFile: db.file });
  const specDir = options.specDir ?? process.cwd();
  let closed = false;

  const view = (run: RunRecord): RunView => runView(db, run, { progressOf: (id) => execution.progressOf(id) });
  const changed = (experimentId: number, change: 'created' | 'deleted' | 'updated') => bus.emit('experimentsChanged', { experimentId, change });

  /** Runs of the experiment waiting for `runId` (its dependents that never ran, or stopped because it did not complete). */
  const waitingFor = (run: RunRecord): RunRecord[] =>
    run.experimentId === null && run.role !== 'teacher'
      ? []
      : db.runs
          .list(run.experimentId === null ? {} : { experimentId: run.experimentId })
          .filter((r) => r.teacherRunId === run.id && r.id !== run.id)
          .filter((r) => r.status === 'queued' || r.status === 'interrupted' || ((r.status === 'cancelled' || r.status === 'failed') && neverStarted(r, run.id)));

  const resume = (runId: number, options: { backend?: string } = {}): { runIds: number[]; checkpointStep: number | null; backend: string | null } => {
    const run = db.runs.get(runId);
    if (execution.holds(runId)) throw conflict(`run ${runId} is already ${run.status === 'running' ? 'running' : 'queued'} in this studio`);
    if (run.status === 'running') {
      db.runs.markInterruptedOnStartup();
      const now = db.runs.get(runId);
      if (now.status === 'running') throw conflict(`run ${runId} is running${now.ownerPid !== null ? ` in process ${now.ownerPid}` : ''}`);
    }
    if (run.status === 'completed') throw conflict(`run ${runId} has already completed`);
    if (!storedConfig(run)) throw conflict(`run ${runId} has no job description (an older version's stand-alone command stored it); it cannot be resumed`);
    if (diverged(run)) throw conflict(divergedMessage(run));
    const teacherId = run.role === 'teacher' ? null : run.teacherRunId;
    if (teacherId !== null) {
      const teacher = db.runs.get(teacherId);
      if (teacher.status !== 'completed' && !execution.holds(teacherId)) throw conflict(`run ${runId} waits for its teacher run ${teacherId}, which is ${teacher.status}: resume run ${teacherId} first`);
    }
    const dependents = waitingFor(run).filter((r) => !execution.holds(r.id));
    // Every run must be able to continue on its backend before anything is changed.
    const backend = execution.backendFor(run, options.backend) ?? null;
    for (const r of dependents) execution.backendFor(r, options.backend);
    // Atomic per run: a run another process claimed meanwhile is refused here and nothing is changed.
    db.runs.requeue(runId);
    for (const r of dependents) db.runs.requeue(r.id);
    const runIds = [runId, ...dependents.map((r) => r.id)];
    for (const id of runIds) {
      const r = db.runs.get(id);
      bus.emit('runStatus', { runId: id, experimentId: r.experimentId, status: r.status, error: r.error });
    }
    if (run.experimentId !== null) changed(run.experimentId, 'updated');
    const checkpointStep = db.checkpoints.info(runId)?.step ?? null;
    execution.submit(runIds, options.backend !== undefined ? { backend: options.backend } : {});
    return { runIds, checkpointStep, backend };
  };

  const cancelRuns = (runIds: readonly number[]): number[] => {
    const cancelled: number[] = [];
    for (const id of runIds) {
      if (execution.cancel(id)) {
        cancelled.push(id);
        continue;
      }
      const run = db.runs.get(id);
      if (run.status === 'queued' || run.status === 'interrupted') {
        db.runs.setStatus(id, 'cancelled', { error: CANCELLED_BEFORE_START });
        bus.emit('runStatus', { runId: id, experimentId: run.experimentId, status: 'cancelled', error: CANCELLED_BEFORE_START });
        cancelled.push(id);
      } else if (run.status === 'running') {
        throw conflict(`run ${id} is running${run.ownerPid !== null && run.ownerPid !== process.pid ? ` in process ${run.ownerPid}` : ''}, not in this studio: cancel it where it runs`);
      }
    }
    return cancelled;
  };

  const createFromSpec: Studio['createFromSpec'] = async (spec, o = {}) => {
    const created = await createExperimentRuns(db, spec, { specDir, ...(options.backend ? { backend: options.backend } : {}), ...o });
    changed(created.experimentId, 'created');
    if (o.start !== false) execution.submit(created.runs.map((r) => r.runId));
    return created;
  };

  const verbs: Verbs = {
    async catalog() {
      return buildCatalog(execution.selectedBackend);
    },
    async listExperiments() {
      return experimentSummaries(db, db.experiments.list());
    },
    async getExperiment({ id }) {
      const e = db.experiments.get(id);
      const [summary] = experimentSummaries(db, [e], id);
      return { ...summary, spec: e.spec as ExperimentSpec, runs: runViews(db, db.runs.list({ experimentId: id }), (r) => execution.progressOf(r)) };
    },
    async deleteExperiment({ id }) {
      db.experiments.get(id);
      const runs = db.runs.list({ experimentId: id });
      const busy = runs.find((r) => r.status === 'running' || execution.holds(r.id));
      if (busy) throw conflict(`experiment ${id} has a ${busy.status === 'running' ? 'running' : 'queued'} run (run ${busy.id}): cancel it before deleting the experiment`);
      db.experiments.delete(id, { withRuns: true });
      changed(id, 'deleted');
      return { deleted: id };
    },
    async validateSpec({ spec }) {
      return validateSpec(db, spec, specDir);
    },
    async createExperiment({ spec, start }) {
      const v = validateSpec(db, spec, specDir);
      if (!v.ok) throw invalid(`invalid experiment spec: ${v.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, [...v.issues]);
      const created = await createFromSpec(v.spec, { start });
      return { experimentId: created.experimentId, runIds: created.runs.map((r) => r.runId), started: start };
    },
    async startExperiment({ id }) {
      db.experiments.get(id);
      const runs = db.runs.list({ experimentId: id }).filter((r) => (r.status === 'queued' || r.status === 'interrupted') && !execution.holds(r.id));
      if (runs.length === 0) return { queued: [] };
      const ids = runs.map((r) => r.id);
      execution.submit(ids);
      changed(id, 'updated');
      return { queued: ids };
    },
    async cancelRun({ runId }) {
      cancelRuns([runId]);
      return view(db.runs.get(runId));
    },
    async cancelExperiment({ id }) {
      db.experiments.get(id);
      const ids = db.runs.list({ experimentId: id }).filter((r) => r.status === 'queued' || r.status === 'running' || execution.holds(r.id)).map((r) => r.id);
      // Dependents first, so that a cancelled teacher does not fail them before they are cancelled themselves.
      const cancelled = cancelRuns([...ids].reverse());
      return { cancelled: cancelled.sort((a, b) => a - b) };
    },
    async resumeRun({ runId, backend }) {
      resume(runId, backend !== undefined ? { backend } : {});
      return view(db.runs.get(runId));
    },
    async listRuns({ experimentId }) {
      return runViews(db, db.runs.list(experimentId !== undefined ? { experimentId } : {}), (r) => execution.progressOf(r));
    },
    async getRun({ runId }) {
      return view(db.runs.get(runId));
    },
    async metricSeries({ runIds, keys, maxPoints }) {
      const out: ResponseMap['metricSeries'] = [];
      for (const runId of runIds) {
        const runUnit = stepUnitOf(db.runs.get(runId));
        for (const key of keys) {
          const s = db.metrics.series(runId, key as MetricKey, { maxPoints });
          // The unit recorded with the series (schema v2); older series are in the run's budget unit.
          const unit = s.unit ?? runUnit;
          const steps: number[] = [];
          const values: number[] = [];
          for (let i = 0; i < s.steps.length; i++) {
            if (!Number.isFinite(s.values[i])) continue; // NaN (a diverged loss) cannot be drawn nor sent as JSON
            steps.push(s.steps[i]);
            values.push(s.values[i]);
          }
          out.push({ runId, key, unit, steps, values, downsampled: s.downsampled });
        }
      }
      return out;
    },
    async metricKeys({ runIds }) {
      return runIds.map((runId) => ({ runId, keys: db.metrics.keys(runId) }));
    },
    async listModels({ env }) {
      const models = db.models.list().filter((m) => m.kind !== 'checkpoint' && (env === undefined || m.meta.env === env));
      const runIds = new Set(models.map((m) => m.runId).filter((r): r is number => r !== null));
      const runs = new Map(db.runs.list().filter((r) => runIds.has(r.id)).map((r) => [r.id, r]));
      return models.map((m) => modelView(db, m, runs));
    },
    async exportExperiment({ id }) {
      const e = db.experiments.get(id);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-export-'));
      try {
        const file = path.join(dir, 'export.dsx');
        db.transfer.exportExperiment(id, file);
        return { fileName: `${slug(e.name)}.dsx`, bytes: new Uint8Array(fs.readFileSync(file)) };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    async importExperiment({ fileName, bytes }) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-import-'));
      const name = path.basename(fileName) || 'import.dsx';
      const file = path.join(dir, name);
      try {
        fs.writeFileSync(file, bytes);
        return { experimentIds: importFile(file, { shownAs: name }) };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    // Part 2: compare, replays, knowledge bases, model files (each in its own module).
    async compareRuns(args) {
      return compareRunViews(db, args, (r) => execution.progressOf(r));
    },
    async replayIndex({ runId }) {
      return replayIndex(db, runId);
    },
    async getReplay({ id }) {
      return getReplay(db, id);
    },
    async listKnowledgeBases({ experimentId }) {
      return listKnowledgeBases(db, experimentId);
    },
    async getKnowledgeBase({ id, maxPoints, bins }) {
      return getKnowledgeBase(db, id, { maxPoints, bins });
    },
    async metricsCsv({ runIds, keys }) {
      return metricsCsv(db, runIds, keys);
    },
    importTeacher: (args) => importTeacherBytes(db, args),
    exportModel: (args) => exportModelBytes(db, args),
  };

  /** Imports `file`; `shownAs` names it in messages instead of its path (an upload's server-side copy means nothing to its user). */
  const importFile = (file: string, options: { allowDuplicate?: boolean; shownAs?: string } = {}): number[] => {
    let ids: number[];
    try {
      ids = db.transfer.importFile(file, { allowDuplicate: options.allowDuplicate === true });
    } catch (err) {
      const message = (err as Error).message;
      const shownAs = options.shownAs;
      throw invalid(shownAs === undefined ? message : message.split(path.resolve(file)).join(shownAs).split(file).join(shownAs));
    }
    for (const id of ids) changed(id, 'created');
    return ids;
  };

  // Every verb answers ApiErrors only.
  const service = Object.fromEntries(
    Object.entries(verbs).map(([name, fn]) => [
      name,
      async (args: never) => {
        if (closed) throw new ApiError('unavailable', 'the studio is closing');
        try {
          return await (fn as (a: never) => Promise<unknown>)(args);
        } catch (err) {
          throw toApiError(err);
        }
      },
    ]),
  ) as unknown as Verbs;

  const waitFor = (runIds: readonly number[]) =>
    Promise.all(
      runIds.map((id) => execution.outcomeOf(id) ?? Promise.reject(new Error(`run ${id} was not submitted in this studio`))),
    );

  return {
    ...service,
    on: (event, listener) => bus.on(event, listener),
    db,
    get selectedBackend() {
      return execution.selectedBackend;
    },
    createFromSpec,
    warmUp: () => execution.warmUp(),
    lockWaits: () => execution.lockWaits(),
    createRuns: (make) => db.transaction(() => make(db)),
    execute: (runIds) => Promise.all(execution.submit(runIds)),
    waitFor,
    resume,
    cancelRuns,
    async replayExperiment(id, o = {}) {
      const original = db.experiments.get(id);
      const spec = parseExperimentSpec(original.spec, `experiment ${id}`);
      const originals = db.runs.list({ experimentId: id });
      execution.useBackend(o.backend ?? originals.find((r) => r.backend)?.backend ?? undefined);
      const created = await createFromSpec({ ...spec, name: `${spec.name} (replay of ${id})` }, { start: false });
      await Promise.all(execution.submit(created.runs.map((r) => r.runId)));
      const runs = compareRuns(db, originals, db.runs.list({ experimentId: created.experimentId }));
      return { replayId: created.experimentId, reproduced: runs.every((r) => r.reproduced), runs };
    },
    runRows: (filter = {}) => runViews(db, db.runs.list(filter.experimentId !== undefined ? { experimentId: filter.experimentId } : {}), (r) => execution.progressOf(r)).map((v) => cliRunRow(db, v)),
    exportToFile: (id, file, o = {}) => ({ fileName: `${slug(db.experiments.get(id).name)}.dsx`, rows: db.transfer.exportExperiment(id, file, { force: o.force === true }) }),
    importFile: (file, options = {}) => importFile(file, options),
    async close() {
      if (closed) return;
      closed = true;
      await execution.stop();
      db.close();
    },
  };
}
