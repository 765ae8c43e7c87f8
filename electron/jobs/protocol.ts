/** Messages between the job runner (host) and its worker threads. */
import type { TrainProgress } from '../../core/dqn/train-teacher.ts';
import type { JobSpec, JobSummary } from '../../core/experiment/jobs.ts';

export interface WorkerInit {
  readonly dbFile: string;
  readonly backend: string;
  readonly checkpointEvery?: number;
}

export type HostMessage = { readonly type: 'run'; readonly job: JobSpec } | { readonly type: 'cancel'; readonly runId: number };

export type WorkerMessage =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'started'; readonly runId: number }
  | { readonly type: 'progress'; readonly runId: number; readonly progress: TrainProgress }
  | { readonly type: 'completed'; readonly runId: number; readonly summary: JobSummary }
  | { readonly type: 'failed'; readonly runId: number; readonly error: string }
  | { readonly type: 'cancelled'; readonly runId: number };
