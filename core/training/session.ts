/**
 * The plumbing every training recipe shares (teacher, baseline, student), so that a recipe's loop holds only
 * its algorithm: the run clock (training seconds with evaluation excluded, continued across a resume), metric
 * points and their delivery, divergence checks, periodic checkpoints, progress, yielding to the event loop and
 * cancellation.
 */
import type { MetricKey, StepUnit } from '../metrics.ts';
import { yieldToEventLoop } from './cooperative.ts';
import { CancelledError, DivergedError } from './errors.ts';
import type { MetricPoint, TrainHooks, TrainProgress } from './hooks.ts';
import { Periodic } from './periodic.ts';

export interface SessionOptions<C> {
  readonly unit: StepUnit;
  /** The budget, in `unit`. */
  readonly total: number;
  readonly hooks: TrainHooks<C>;
  /** Metric records every this many budget steps (`metricTick`). */
  readonly metricEvery: number;
  /** Where a resumed run continues: its step and the training seconds it had used. */
  readonly resumed?: { readonly step: number; readonly trainSeconds: number };
  /** What CancelledError names. */
  readonly what: string;
}

/** The loop's counters a progress report is made of (the session adds phase, unit, times and ETA). */
export interface LoopStatus {
  readonly step: number;
  readonly gradientSteps: number;
  readonly epsilon: number;
  readonly recentReturn: number | null;
  readonly lastEval: number | null;
}

/** Work between two yields to the event loop, so that a cancel lands within ~50 ms. */
const SLICE_MS = 25;

export class TrainingSession<C> {
  readonly unit: StepUnit;
  readonly total: number;
  readonly hooks: TrainHooks<C>;
  /** Due when the recipe should record its loss statistics (and the session delivers metrics). */
  readonly metricTick: Periodic;
  private readonly progressTick: Periodic;
  private readonly checkpointTick: Periodic;
  private readonly points: MetricPoint[] = [];
  private readonly started = performance.now();
  private readonly startStep: number;
  /** Training seconds used before this process (a resumed run's). */
  private readonly priorSeconds: number;
  private excludedMs = 0;
  private sliceStart = performance.now();

  constructor(readonly options: SessionOptions<C>) {
    const from = options.resumed?.step ?? 0;
    this.unit = options.unit;
    this.total = options.total;
    this.hooks = options.hooks;
    this.startStep = from;
    this.priorSeconds = options.resumed?.trainSeconds ?? 0;
    this.metricTick = new Periodic(options.metricEvery, from);
    this.progressTick = new Periodic(options.hooks.progressEvery ?? Math.max(1, Math.round(options.total / 200)), from);
    this.checkpointTick = new Periodic(options.hooks.checkpointEvery ?? 0, from);
  }

  emit(step: number, key: MetricKey, value: number): void {
    this.points.push({ step, key, value, unit: this.unit });
  }

  /** Delivers the recorded points (dropped when nobody listens). */
  flush(): void {
    if (this.points.length && this.hooks.onMetrics) this.hooks.onMetrics(this.points.splice(0));
    else this.points.length = 0;
  }

  /** Training seconds: wall-clock since the start, evaluation excluded, plus what a resumed run had used. */
  trainSeconds(): number {
    return this.priorSeconds + (performance.now() - this.started - this.excludedMs) / 1000;
  }

  /** Runs `work` (an evaluation) without counting its time as training. */
  async excluded<T>(work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.excludedMs += performance.now() - t0;
    }
  }

  /** Throws DivergedError when a loss is NaN or infinite. */
  checkFinite(loss: string, value: number, step: number, hint: string): void {
    if (!Number.isFinite(value)) throw new DivergedError(loss, value, step, this.unit, hint);
  }

  progress(status: LoopStatus): TrainProgress {
    const elapsed = (performance.now() - this.started) / 1000;
    const done = status.step - this.startStep;
    return {
      phase: 'train',
      unit: this.unit,
      envSteps: status.step,
      totalSteps: this.total,
      gradientSteps: status.gradientSteps,
      epsilon: status.epsilon,
      elapsedSeconds: this.priorSeconds + elapsed,
      etaSeconds: done > 0 ? ((this.total - status.step) * elapsed) / done : null,
      recentReturn: status.recentReturn,
      lastEval: status.lastEval,
    };
  }

  /**
   * The end of one loop iteration at budget step `step`: a checkpoint when due (metrics up to it delivered
   * first; none at the very end), progress when due, and a yield to the event loop at least every ~25 ms,
   * after which a fired signal throws CancelledError.
   */
  async endOfStep(status: LoopStatus, checkpoint: () => Promise<C>): Promise<void> {
    const step = status.step;
    if (this.checkpointTick.due(step) && step < this.total && this.hooks.onCheckpoint) {
      this.flush();
      await this.hooks.onCheckpoint(await checkpoint());
    }
    const progressDue = this.progressTick.due(step);
    if (progressDue) this.hooks.onProgress?.(this.progress(status));
    if (progressDue || performance.now() - this.sliceStart >= SLICE_MS) await this.yield();
  }

  /** Lets the event loop run, then throws CancelledError if the signal fired. */
  async yield(): Promise<void> {
    await yieldToEventLoop();
    this.sliceStart = performance.now();
    if (this.hooks.signal?.aborted) throw new CancelledError(this.options.what);
  }

  /** Delivers the remaining metrics and a last progress report. */
  finish(status: LoopStatus): void {
    this.flush();
    this.hooks.onProgress?.(this.progress(status));
  }
}
