/**
 * The job store over the studio database: what a worker's jobs read and write, on the worker's own
 * connection. The worker's store tolerates locks (db/busy-retry.ts): another process holding the write lock
 * (an import, a KB save, a second studio) delays a write, never fails the run; metric points wait in memory
 * while the database is locked and are written before every checkpoint and at the end of the run.
 */
import type { TeacherCheckpoint } from '../../core/dqn/train-teacher.ts';
import type { StudentCheckpoint } from '../../core/distill/train-student.ts';
import type { EvaluationRecord, JobStore, JobSummary } from '../../core/experiment/jobs.ts';
import { lockTolerantStore, newLockWaitStats, openDatabase, type LockWaitStats, type StudioDb } from '../../db/index.ts';

export interface WorkerJobStore extends JobStore {
  readonly db: StudioDb;
  /** Takes the run for this process (atomic); throws RunClaimError, writing nothing, when it cannot. */
  claim(runId: number, backend: string): void;
  markCompleted(runId: number, summary: JobSummary): void;
  markFailed(runId: number, error: string): void;
  markCancelled(runId: number): void;
  markCancelledBeforeStart(runId: number): void;
  close(): void;
}

/** How long the first try of a buffered metric write waits for the lock (ms) before the points stay buffered. */
const METRICS_FIRST_TRY_MS = 100;

/**
 * The store of a job worker: its own connection (the host checked the file at open, so only the header is
 * checked here; the file must exist), every write retried while the database is locked, metric points
 * buffered. `lockWaits` counts the waits.
 */
export function openJobStore(file: string): WorkerJobStore & { flushMetrics(): void; readonly lockWaits: LockWaitStats } {
  const db = openDatabase(file, { check: 'skip', create: false });
  const lockWaits = newLockWaitStats();
  const store = lockTolerantStore(jobStoreFor(db), {
    // Everything that must see every metric point first: a checkpoint (its step bounds the stored metrics), the
    // end of a run, the rewind of a resumed run, and closing.
    flushBefore: ['saveCheckpoint', 'markCompleted', 'markFailed', 'markCancelled', 'deleteMetricsAfter', 'close'],
    firstTry: (fn) => db.withBusyTimeout(METRICS_FIRST_TRY_MS, fn),
    retry: { stats: lockWaits },
  });
  return Object.assign(store, { lockWaits });
}

export function jobStoreFor(db: StudioDb): WorkerJobStore {
  const finalModel = (runId: number) => db.models.list({ runId, kind: 'final' }).at(-1)?.id ?? null;
  return {
    db,
    appendMetrics: (runId, points) => void db.metrics.append(runId, points),
    deleteMetricsAfter: (runId, step) => void db.metrics.deleteAfter(runId, step),
    saveCheckpoint: (runId, step, checkpoint) => db.checkpoints.save(runId, step, checkpoint),
    loadCheckpoint: (runId) => db.checkpoints.load<TeacherCheckpoint | StudentCheckpoint>(runId)?.value ?? null,
    saveModel: (runId, bundle) => db.models.save({ runId, kind: 'final', bundle }).id,
    loadModel: (modelId) => db.models.get(modelId).bundle,
    modelOfRun: (runId) => db.runs.get(runId).teacherModelId ?? finalModel(runId),
    saveKnowledgeBase: (runId, kb, stats) => db.knowledgeBases.save(kb, stats, { teacherRunId: runId, teacherModelId: db.runs.get(runId).teacherModelId ?? finalModel(runId) }).id,
    loadKnowledgeBase: (kbId) => db.knowledgeBases.load(kbId),
    knowledgeBaseOfRun: (runId) => db.knowledgeBases.list({ teacherRunId: runId }).at(-1)?.id ?? null,
    saveEvaluation: (runId, e: EvaluationRecord) =>
      void db.evaluations.save({ runId, kind: e.kind, step: e.step, returns: e.returns, seeds: e.seeds, lengths: e.lengths ?? null, mean: e.mean, std: e.std, ci95: e.ci95, extra: e.extra ?? null }),
    saveReplay: (runId, r) => {
      db.replays.save({
        runId,
        env: String((db.runs.get(runId).config as { env?: string }).env ?? ''),
        episodeSeed: r.seed,
        observationSize: r.observationSize,
        actionCount: r.actionCount,
        states: r.observations,
        actions: r.actions,
        rewards: r.rewards,
        qValues: r.qValues,
        terminated: r.terminated,
      });
    },
    runSummary: (runId) => {
      const run = db.runs.get(runId);
      return run.status === 'completed' ? (run.summary as Record<string, unknown>) : null;
    },
    claim: (runId, backend) => void db.runs.claim(runId, { backend, owner: process.pid }),
    markCompleted: (runId, summary) =>
      db.transaction(() => {
        db.runs.setSummary(runId, summary);
        db.runs.setStatus(runId, 'completed');
        db.checkpoints.delete(runId);
      }),
    markFailed: (runId, error) => void db.runs.setStatus(runId, 'failed', { error }),
    markCancelled: (runId) => void db.runs.setStatus(runId, 'cancelled'),
    markCancelledBeforeStart: (runId) => {
      // Only a run still waiting: one that another process claimed meanwhile is left alone.
      const { status } = db.runs.get(runId);
      if (status === 'queued' || status === 'interrupted') db.runs.setStatus(runId, 'cancelled', { error: 'cancelled before it started' });
    },
    close: () => db.close(),
  };
}
