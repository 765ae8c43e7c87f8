/**
 * The job runner: a pool of long-lived worker threads (sized to the machine by default), a queue of jobs with
 * dependencies (students and baselines wait for their teacher run), cancellation, and fault handling. A job
 * whose worker throws or dies is marked failed with the error; jobs that depend on a failed or cancelled run
 * are failed/cancelled in turn, never left queued. A job whose run another process claimed first is
 * `refused` (nothing written), and so are the jobs waiting for it. Progress and new metric points are
 * forwarded as events (the workers throttle them).
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { JobSpec, JobSummary } from '../../core/experiment/jobs.ts';
import type { LockWaitStats } from '../../db/busy-retry.ts';
import type { HostMessage, JobProgress, MetricPoint, WorkerInit, WorkerMessage } from './protocol.ts';

/** Set by the bundler (scripts/build.mjs) to the bundled worker beside the bundle; absent when run by tsx. */
declare const __DISTILL_WORKER_FILE__: string | undefined;
const WORKER_FILE = typeof __DISTILL_WORKER_FILE__ === 'string' ? __DISTILL_WORKER_FILE__ : './worker-entry.mjs';

export interface RunnerOptions {
  readonly dbFile: string;
  /** Worker threads (default: the number of cores). */
  readonly poolSize?: number;
  /** tfjs backend each worker selects (default auto). */
  readonly backend?: string;
  readonly checkpointEvery?: number;
  readonly metricsIntervalMs?: number;
  /** Nice value of the worker threads on Linux (default 5: the host's thread comes first; 0: unchanged). */
  readonly workerNiceness?: number;
  /** Marks a run failed from the host when its worker died (the worker could not). */
  readonly onWorkerDeath: (runId: number, error: string) => void;
  /** Marks a queued run cancelled/failed without running it. */
  readonly onSkipped: (runId: number, status: 'cancelled' | 'failed', error: string) => void;
}

export type JobOutcome =
  | { status: 'completed'; summary: JobSummary }
  | { status: 'failed'; error: string }
  | { status: 'cancelled' }
  /** Not run here: another process had claimed it (or a run it waits for), or it had ended. Nothing written. */
  | { status: 'refused'; error: string }
  /** The runner was closed while the run was running or waiting. */
  | { status: 'interrupted' };

export interface RunnerEvents {
  progress: [runId: number, progress: JobProgress];
  metrics: [runId: number, points: readonly MetricPoint[]];
  started: [runId: number, backend: string];
  finished: [runId: number, outcome: JobOutcome];
  startFailed: [error: string];
  /** A worker's lock waits so far (cumulative per worker). */
  lockWaits: [workerIndex: number, stats: LockWaitStats];
}

interface Slot {
  /** Stable per spawned worker (a replacement gets a new one). */
  id: number;
  worker: Worker;
  ready: Promise<void>;
  isReady: boolean;
  busy: number | null;
}

interface Pending {
  job: JobSpec;
  deps: number[];
  /** Backend of this job when it is not the workers' (see HostMessage). */
  backend?: string;
}

export class JobRunner extends EventEmitter<RunnerEvents> {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly outcomes = new Map<number, JobOutcome>();
  private readonly waiters = new Map<number, ((o: JobOutcome) => void)[]>();
  private closed = false;
  private spawned = 0;
  /** Set when a worker could not even start (e.g. a forced backend that cannot load): jobs fail with it. */
  private startError: string | null = null;

  constructor(private readonly options: RunnerOptions) {
    super();
    const size = options.poolSize ?? os.availableParallelism?.() ?? os.cpus().length;
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const init: WorkerInit = {
      dbFile: this.options.dbFile,
      backend: this.options.backend ?? 'auto',
      ...(this.options.checkpointEvery ? { checkpointEvery: this.options.checkpointEvery } : {}),
      ...(this.options.metricsIntervalMs ? { metricsIntervalMs: this.options.metricsIntervalMs } : {}),
      niceness: this.options.workerNiceness ?? 5,
    };
    const worker = new Worker(new URL(WORKER_FILE, import.meta.url), { workerData: init });
    let markReady!: () => void;
    const slot: Slot = { id: this.spawned++, worker, ready: new Promise((r) => (markReady = r)), isReady: false, busy: null };
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'ready':
          slot.isReady = true;
          markReady();
          break;
        case 'started':
          this.emit('started', m.runId, m.backend);
          break;
        case 'progress':
          this.emit('progress', m.runId, m.progress);
          break;
        case 'metrics':
          this.emit('metrics', m.runId, m.points);
          break;
        case 'completed':
          this.finish(slot, m.runId, { status: 'completed', summary: m.summary });
          break;
        case 'failed':
          this.finish(slot, m.runId, { status: 'failed', error: m.error });
          break;
        case 'cancelled':
          this.finish(slot, m.runId, { status: 'cancelled' });
          break;
        case 'refused':
          this.finish(slot, m.runId, { status: 'refused', error: m.error });
          break;
        case 'lockWaits':
          this.emit('lockWaits', slot.id, m.stats);
          break;
      }
    });
    let dead = false;
    const died = (error: string) => {
      if (dead) return; // 'error' is followed by 'exit'
      dead = true;
      const runId = slot.busy;
      slot.busy = null;
      if (!slot.isReady) {
        // It died while starting: a replacement would die the same way, so every waiting job fails with the reason.
        this.startError = `the job worker could not start: ${error}`;
        this.slots.splice(this.slots.indexOf(slot), 1);
        this.emit('startFailed', this.startError);
        if (runId !== null) this.skip(runId, this.startError);
        if (this.slots.length === 0) this.failAll(this.startError);
        return;
      }
      // Replace the slot before anything is scheduled again, so no job is handed to the dead worker.
      const index = this.slots.indexOf(slot);
      if (!this.closed && index >= 0) this.slots[index] = this.spawn();
      if (runId !== null) {
        this.options.onWorkerDeath(runId, error);
        this.settle(runId, { status: 'failed', error });
      }
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => died(`worker crashed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) died(`worker exited with code ${code}`);
    });
    return slot;
  }

  /** Resolves when every worker has started (loaded tfjs and opened the database); failed starts count as started. */
  ready(): Promise<void> {
    return Promise.race([Promise.all(this.slots.map((s) => s.ready)).then(() => undefined), new Promise<void>((resolve) => this.once('startFailed', () => resolve()))]);
  }

  /** Queues a job; it starts when every run in `deps` has completed, on `backend` when given (else the workers'). */
  submit(job: JobSpec, deps: number[] = [], backend?: string): Promise<JobOutcome> {
    if (this.closed) throw new Error('the job runner is closed');
    this.outcomes.delete(job.runId); // a run submitted again (a retry) gets a new outcome
    const done = new Promise<JobOutcome>((resolve) => this.waiters.set(job.runId, [...(this.waiters.get(job.runId) ?? []), resolve]));
    if (this.slots.length === 0 && this.startError) {
      this.skip(job.runId, this.startError);
      return done;
    }
    this.queue.push({ job, deps, ...(backend ? { backend } : {}) });
    this.pump();
    return done;
  }

  /** Tells the runner how a run it did not execute ended (a dependency finished in an earlier process). */
  recordOutcome(runId: number, outcome: JobOutcome): void {
    if (this.holds(runId)) return; // queued or running here: its own outcome will come
    if (!this.outcomes.has(runId)) this.outcomes.set(runId, outcome);
  }

  /** Whether the run is queued or running in this runner. */
  holds(runId: number): boolean {
    return this.queue.some((p) => p.job.runId === runId) || this.slots.some((s) => s.busy === runId);
  }

  /** Runs handed to a worker, and runs waiting in the queue. */
  held(): { running: number[]; queued: number[] } {
    return { running: this.slots.flatMap((s) => (s.busy === null ? [] : [s.busy])), queued: this.queue.map((p) => p.job.runId) };
  }

  /** Cancels a queued or running job. */
  cancel(runId: number): void {
    const i = this.queue.findIndex((p) => p.job.runId === runId);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.options.onSkipped(runId, 'cancelled', 'cancelled before it started');
      this.settle(runId, { status: 'cancelled' });
      this.pump();
      return;
    }
    const slot = this.slots.find((s) => s.busy === runId);
    // After `ready`, like the run message itself, so that a cancel can never overtake its run.
    if (slot) void slot.ready.then(() => slot.worker.postMessage({ type: 'cancel', runId } satisfies HostMessage));
  }

  /** Resolves when every submitted job has an outcome. */
  async whenIdle(): Promise<void> {
    while (this.queue.length > 0 || this.slots.some((s) => s.busy !== null)) {
      await new Promise<void>((r) => this.once('finished', () => r()));
    }
  }

  /** Stops the workers at once (a running job stops mid-step); queued jobs never start. Both end `interrupted`. */
  async close(): Promise<void> {
    this.closed = true;
    const { running, queued } = this.held();
    this.queue.length = 0;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const runId of [...running, ...queued]) this.settle(runId, { status: 'interrupted' });
  }

  private failAll(error: string): void {
    for (const { job } of this.queue.splice(0)) this.skip(job.runId, error);
  }

  /** Fails a run that never started here. */
  private skip(runId: number, error: string): void {
    this.options.onSkipped(runId, 'failed', error);
    this.settle(runId, { status: 'failed', error });
  }

  private finish(slot: Slot, runId: number, outcome: JobOutcome): void {
    if (slot.busy === runId) slot.busy = null;
    this.settle(runId, outcome);
    this.pump();
  }

  private settle(runId: number, outcome: JobOutcome): void {
    if (this.outcomes.has(runId)) return;
    this.outcomes.set(runId, outcome);
    for (const resolve of this.waiters.get(runId) ?? []) resolve(outcome);
    this.waiters.delete(runId);
    this.emit('finished', runId, outcome);
  }

  private pump(): void {
    // Jobs whose dependency did not complete never run; repeated so that a failure passes down whole chains.
    for (let removed = true; removed; ) {
      removed = false;
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const { job, deps } = this.queue[i];
        const broken = deps.map((d) => [d, this.outcomes.get(d)] as const).find(([, o]) => o && o.status !== 'completed');
        if (!broken) continue;
        this.queue.splice(i, 1);
        removed = true;
        const [dep, o] = broken;
        if (o!.status === 'refused') {
          // The run it waits for is another process's: this one stays as it is (queued) for that process or a resume.
          this.settle(job.runId, { status: 'refused', error: `its teacher run ${dep} was not run here (${o!.error})` });
          continue;
        }
        const status = o!.status === 'cancelled' ? 'cancelled' : 'failed';
        const error = dependencyError(dep, o!.status === 'cancelled' ? 'was cancelled' : 'failed');
        this.options.onSkipped(job.runId, status, error);
        this.settle(job.runId, status === 'failed' ? { status, error } : { status });
      }
    }
    for (const slot of this.slots) {
      if (slot.busy !== null) continue;
      const index = this.queue.findIndex((p) => p.deps.every((d) => this.outcomes.get(d)?.status === 'completed'));
      if (index < 0) return;
      const [{ job, backend }] = this.queue.splice(index, 1);
      slot.busy = job.runId;
      void slot.ready.then(() => slot.worker.postMessage({ type: 'run', job, ...(backend ? { backend } : {}) } satisfies HostMessage));
    }
  }
}

/**
 * The error of a run that never ran because the run it waits for did not complete. Runs only wait for their
 * teacher run (students and baselines); the service recognises these errors by `isDependencyError`.
 */
export function dependencyError(teacherRunId: number, what: 'was cancelled' | 'failed'): string {
  return `its teacher run ${teacherRunId} ${what}`;
}

/** Whether `error` is dependencyError's for `teacherRunId` (the run never started because of its teacher). */
export function isDependencyError(error: string | null, teacherRunId: number): boolean {
  return error === dependencyError(teacherRunId, 'failed') || error === dependencyError(teacherRunId, 'was cancelled');
}
