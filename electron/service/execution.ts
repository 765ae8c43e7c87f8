/**
 * Execution of runs on the job runner, for as long as the studio process lives: submits runs with their
 * dependencies, cancels, follows progress, and turns the runner's events into the contract's events
 * (runStatus, runProgress with ETA and backend, metricPoints, experimentsChanged), throttled. When the studio
 * stops, the runs it was running or about to run become `interrupted`, so that they can be resumed.
 */
import type { JobSummary } from '../../core/experiment/jobs.ts';
import { backendUnavailable } from '../../core/nn/backend.ts';
import { newLockWaitStats, type LockWaitStats, type StudioDb, type RunRecord } from '../../db/index.ts';
import { RUN_PHASES, type RunPhase, type RunProgress, type StepUnit } from '../api/contract.ts';
import type { JobProgress, MetricPoint } from '../jobs/protocol.ts';
import { JobRunner, type JobOutcome } from '../jobs/runner.ts';
import { EventBus, Throttle } from './events.ts';
import { jobOf, runDeps, storedConfig } from './runs.ts';

export interface ExecutionOptions {
  readonly dbFile: string;
  /** Worker threads (default: the number of cores). */
  readonly poolSize?: number;
  /** tfjs backend the workers select (default auto). */
  readonly backend?: string;
  readonly checkpointEvery?: number;
  /** Minimum milliseconds between two runProgress events of one run (default 250). */
  readonly progressIntervalMs?: number;
  /** Milliseconds between two metric batches of one run from its worker (default 250). */
  readonly metricsIntervalMs?: number;
  /** Nice value of the training threads on Linux (default 5, so the studio's own thread comes first). */
  readonly workerNiceness?: number;
}

export const STOPPED_BEFORE_START = 'Distill Studio stopped before the run started';

/** A run cannot run on the backend it must use (its recorded one, or the one asked for). Nothing was changed. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/** The x-axis unit of a run's training metrics. */
export function stepUnitOf(run: RunRecord): StepUnit {
  const job = storedConfig(run)?.job;
  return job?.kind === 'student' && job.config.mode === 'offline' ? 'gradient_updates' : 'env_steps';
}

export class Execution {
  private runner: JobRunner | null = null;
  private backend: string | undefined;
  private readonly progress = new Map<number, RunProgress>();
  private readonly runs = new Map<number, { experimentId: number | null; unit: StepUnit }>();
  private readonly outcomes = new Map<number, Promise<JobOutcome>>();
  private readonly progressEvents: Throttle<RunProgress>;
  private backendSeen: string | null = null;
  private stopping = false;
  private readonly workerLockWaits = new Map<number, LockWaitStats>();

  constructor(
    private readonly db: StudioDb,
    private readonly bus: EventBus,
    private readonly options: ExecutionOptions,
  ) {
    this.backend = options.backend;
    this.progressEvents = new Throttle(options.progressIntervalMs ?? 250, (runId, progress) => {
      const info = this.runs.get(runId);
      this.bus.emit('runProgress', { runId, experimentId: info?.experimentId ?? null, backend: this.backendSeen, progress });
    });
  }

  /** The backend the workers use: forced, or the one a worker reported; null before any worker started a run. */
  get selectedBackend(): string | null {
    return this.backendSeen ?? (this.backend && this.backend !== 'auto' ? this.backend : null);
  }

  /** Sets the workers' backend; only before the first run is submitted. */
  useBackend(backend: string | undefined): void {
    if (this.runner && backend !== this.backend) throw new Error(`the workers already run on backend ${this.backend ?? 'auto'}`);
    this.backend = backend;
  }

  /** Starts the workers now (they load tfjs and open the database), so that the first run starts at once. */
  async warmUp(): Promise<void> {
    if (this.stopping) return;
    await this.ensureRunner().ready();
  }

  holds(runId: number): boolean {
    return this.runner?.holds(runId) ?? false;
  }

  progressOf(runId: number): RunProgress | null {
    return this.progress.get(runId) ?? null;
  }

  /**
   * Queues runs (each after the runs it depends on). A dependency outside `runIds` counts by its stored
   * status: completed lets the run start; running in another process, or waiting without a runner, leaves the
   * run as it is (refused); failed or cancelled fails or cancels it.
   */
  submit(runIds: readonly number[], options: { backend?: string } = {}): Promise<JobOutcome>[] {
    if (this.stopping) throw new Error('the studio is stopping');
    // Checked before anything is queued: a run that cannot continue on its backend is refused whole.
    const backends = new Map(runIds.map((id) => [id, this.backendFor(this.db.runs.get(id), options.backend)]));
    const runner = this.ensureRunner();
    const submitted = new Set(runIds);
    return runIds.map((id) => {
      const existing = this.outcomes.get(id);
      if (existing && runner.holds(id)) return existing;
      const run = this.db.runs.get(id);
      const job = jobOf(run);
      const deps = runDeps(run).filter((d) => submitted.has(d) || runner.holds(d) || this.db.runs.get(d).status !== 'completed');
      for (const d of deps) if (!submitted.has(d)) runner.recordOutcome(d, outcomeOf(this.db.runs.get(d)));
      this.runs.set(id, { experimentId: run.experimentId, unit: stepUnitOf(run) });
      const outcome = runner.submit(job, deps, backends.get(id));
      this.outcomes.set(id, outcome);
      return outcome;
    });
  }

  /**
   * The backend a run must run on, or undefined for the workers' own. A run with a checkpoint continues on the
   * backend it was recorded with (another one changes the arithmetic mid-run: wasm and wasm+fused round
   * differently), unless `override` names one; either must be available here, else the run is refused.
   */
  backendFor(run: RunRecord, override?: string): string | undefined {
    const recorded = run.backend !== null && this.db.checkpoints.info(run.id) !== null ? run.backend : undefined;
    const backend = override ?? recorded;
    if (backend === undefined) return undefined;
    const why = backendUnavailable(backend);
    if (why === null) return backend;
    if (override !== undefined) throw new BackendUnavailableError(`backend "${override}" is not available here: ${why}`);
    throw new BackendUnavailableError(
      `run ${run.id} was trained on backend "${backend}", which is not available here (${why}); it continues only on the backend it was recorded with, unless you choose another (resume --backend NAME): the arithmetic differs, so the continued run will not match one that ran on ${backend} throughout`,
    );
  }

  /** Lock waits of the workers' writes (db/busy-retry.ts), summed over workers: the longest wait and how often. */
  lockWaits(): LockWaitStats {
    const total = newLockWaitStats();
    for (const s of this.workerLockWaits.values()) {
      total.waits += s.waits;
      total.retries += s.retries;
      total.totalWaitMs += s.totalWaitMs;
      total.longestWaitMs = Math.max(total.longestWaitMs, s.longestWaitMs);
      total.longestCallMs = Math.max(total.longestCallMs, s.longestCallMs);
    }
    return total;
  }

  /** The outcome of a run submitted here (undefined for a run this studio never submitted). */
  outcomeOf(runId: number): Promise<JobOutcome> | undefined {
    return this.outcomes.get(runId);
  }

  /** Cancels a run held here; returns false when this studio does not hold it. */
  cancel(runId: number): boolean {
    if (!this.runner?.holds(runId)) return false;
    this.runner.cancel(runId);
    return true;
  }

  /**
   * Stops the workers at once. Runs they were running become `interrupted` (their last checkpoint is where a
   * resume starts), and runs waiting in the queue too. Returns the ids it interrupted.
   */
  async stop(): Promise<number[]> {
    if (!this.runner || this.stopping) return [];
    this.stopping = true;
    const { running, queued } = this.runner.held();
    await this.runner.close();
    const interrupted: number[] = [];
    for (const id of [...running, ...queued]) {
      let run: RunRecord;
      try {
        run = this.db.runs.get(id);
      } catch {
        continue;
      }
      const ours = run.status === 'running' && (run.ownerPid === process.pid || run.ownerPid === null);
      if (!ours && run.status !== 'queued') continue;
      this.db.runs.setStatus(id, 'interrupted', run.status === 'queued' ? { error: STOPPED_BEFORE_START } : {});
      interrupted.push(id);
      const after = this.db.runs.get(id);
      this.bus.emit('runStatus', { runId: id, experimentId: after.experimentId, status: after.status, error: after.error });
    }
    for (const e of new Set(interrupted.map((id) => this.runs.get(id)?.experimentId).filter((e): e is number => typeof e === 'number'))) {
      this.bus.emit('experimentsChanged', { experimentId: e, change: 'updated' });
    }
    return interrupted;
  }

  private ensureRunner(): JobRunner {
    if (this.runner) return this.runner;
    const db = this.db;
    const runner = new JobRunner({
      dbFile: this.options.dbFile,
      ...(this.options.poolSize ? { poolSize: this.options.poolSize } : {}),
      ...(this.backend ? { backend: this.backend } : {}),
      ...(this.options.checkpointEvery ? { checkpointEvery: this.options.checkpointEvery } : {}),
      ...(this.options.metricsIntervalMs ? { metricsIntervalMs: this.options.metricsIntervalMs } : {}),
      ...(this.options.workerNiceness !== undefined ? { workerNiceness: this.options.workerNiceness } : {}),
      onWorkerDeath: (runId, error) => {
        const run = db.runs.get(runId);
        if (run.status === 'running' || run.status === 'queued' || run.status === 'interrupted') db.runs.setStatus(runId, 'failed', { error });
      },
      onSkipped: (runId, status, error) => {
        const run = db.runs.get(runId);
        if (run.status === 'queued' || run.status === 'interrupted') db.runs.setStatus(runId, status, { error });
      },
    });
    runner.on('started', (runId, backend) => {
      this.backendSeen = backend;
      this.emitStatus(runId);
    });
    runner.on('progress', (runId, p) => {
      const progress = toRunProgress(p, this.runs.get(runId)?.unit ?? 'env_steps');
      this.progress.set(runId, progress);
      this.progressEvents.push(runId, progress);
    });
    runner.on('metrics', (runId, points) => {
      const finite = points.filter((p) => Number.isFinite(p.value));
      if (finite.length > 0) this.bus.emit('metricPoints', { runId, points: finite.map((p: MetricPoint) => ({ key: p.key, step: p.step, value: p.value })) });
    });
    runner.on('lockWaits', (worker, stats) => this.workerLockWaits.set(worker, stats));
    runner.on('finished', (runId) => {
      this.progressEvents.flush(runId);
      this.progressEvents.drop(runId);
      this.progress.delete(runId);
      if (!this.stopping) this.emitStatus(runId);
    });
    this.runner = runner;
    return runner;
  }

  private emitStatus(runId: number): void {
    let run: RunRecord;
    try {
      run = this.db.runs.get(runId);
    } catch {
      return; // deleted meanwhile
    }
    this.bus.emit('runStatus', { runId, experimentId: run.experimentId, status: run.status, error: run.error });
    if (run.experimentId !== null) this.bus.emit('experimentsChanged', { experimentId: run.experimentId, change: 'updated' });
  }
}

/** How a dependency that this runner did not execute ended, as the runner needs to know it. */
function outcomeOf(run: RunRecord): JobOutcome {
  switch (run.status) {
    case 'completed':
      return { status: 'completed', summary: (run.summary ?? {}) as JobSummary };
    case 'cancelled':
      return { status: 'cancelled' };
    case 'failed':
      return { status: 'failed', error: run.error ?? `run ${run.id} failed` };
    case 'running':
      return { status: 'refused', error: `run ${run.id} is running${run.ownerPid !== null ? ` in process ${run.ownerPid}` : ''}` };
    default:
      return { status: 'refused', error: `run ${run.id} is ${run.status}: resume it first` };
  }
}

function toRunProgress(p: JobProgress, trainUnit: StepUnit): RunProgress {
  const phase: RunPhase = (RUN_PHASES as readonly string[]).includes(p.phase ?? '') ? (p.phase as RunPhase) : 'train';
  return {
    phase,
    step: p.envSteps,
    total: p.totalSteps,
    unit: phase === 'evaluate' || phase === 'replay' ? 'episodes' : phase === 'extract' ? 'env_steps' : trainUnit,
    elapsedSeconds: p.elapsedSeconds,
    etaSeconds: p.etaSeconds,
    recentReturn: p.recentReturn ?? null,
    lastEval: p.lastEval ?? null,
    at: new Date().toISOString(),
  };
}
