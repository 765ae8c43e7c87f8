/** Messages between the job runner (host) and its worker threads. */
import type { JobSpec, JobStore, JobSummary } from '../../core/experiment/jobs.ts';
import type { LockWaitStats } from '../../db/busy-retry.ts';

/** A metric point as the jobs record it (JobStore.appendMetrics). */
export type MetricPoint = Parameters<JobStore['appendMetrics']>[1][number];

export interface WorkerInit {
  readonly dbFile: string;
  readonly backend: string;
  readonly checkpointEvery?: number;
  /** Milliseconds between two metric batches sent to the host for one run (default 250). */
  readonly metricsIntervalMs?: number;
  /** Nice value the worker thread lowers itself to (Linux only, where it is per thread; 0: unchanged). */
  readonly niceness?: number;
}

export type HostMessage =
  /** `backend`: run this job on that backend instead of the worker's (a resumed run continues on the one it was recorded with). */
  | { readonly type: 'run'; readonly job: JobSpec; readonly backend?: string }
  | { readonly type: 'cancel'; readonly runId: number };

/**
 * Progress of a running job, as the training loops report it (the fields the host uses). `phase` is set by
 * jobs that report phases (train, extract, evaluate, replay); absent means the training loop.
 */
export interface JobProgress {
  readonly envSteps: number;
  readonly totalSteps: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number | null;
  readonly recentReturn?: number | null;
  readonly lastEval?: number | null;
  readonly phase?: string;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly backend: string }
  /** The run was claimed (atomically) and is running on this worker. */
  | { readonly type: 'started'; readonly runId: number; readonly backend: string }
  | { readonly type: 'progress'; readonly runId: number; readonly progress: JobProgress }
  /** New metric points of a run since the last batch (already stored by the worker). */
  | { readonly type: 'metrics'; readonly runId: number; readonly points: readonly MetricPoint[] }
  | { readonly type: 'completed'; readonly runId: number; readonly summary: JobSummary }
  | { readonly type: 'failed'; readonly runId: number; readonly error: string }
  | { readonly type: 'cancelled'; readonly runId: number }
  /** The run could not be claimed (another process runs it, or it ended): nothing was written. */
  | { readonly type: 'refused'; readonly runId: number; readonly error: string }
  /** The worker's lock waits so far (db/busy-retry.ts), sent after each run. */
  | { readonly type: 'lockWaits'; readonly stats: LockWaitStats };
