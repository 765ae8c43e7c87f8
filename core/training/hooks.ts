/**
 * What a training recipe reports to whoever runs it (a worker, the CLI, a test): metric points, progress with
 * the phase it is in, checkpoints; and the AbortSignal it obeys.
 */
import type { MetricKey, StepUnit } from '../metrics.ts';

export interface MetricPoint {
  readonly step: number;
  readonly key: MetricKey;
  readonly value: number;
  /** The unit of `step` (the x-axis of the series; one unit per series). */
  readonly unit: StepUnit;
}

/** What a job is doing: the gradient-update loop, knowledge extraction, final evaluation, replay recording. */
export type TrainPhase = 'train' | 'extract' | 'evaluate' | 'replay';

export interface TrainProgress {
  /** Absent in older producers: 'train'. */
  readonly phase?: TrainPhase;
  /** Unit of envSteps/totalSteps: env steps (teacher, baseline, online student, extraction), gradient updates (offline student), episodes (evaluation, replays). */
  readonly unit?: StepUnit | 'episodes';
  /** Steps done in the phase, in `unit` (the name is historical: an offline student counts updates here). */
  readonly envSteps: number;
  readonly totalSteps: number;
  readonly gradientSteps: number;
  readonly epsilon: number;
  readonly elapsedSeconds: number;
  /** Remaining seconds of the phase at the current rate (null before there is a rate). */
  readonly etaSeconds: number | null;
  /** Mean return of the last 20 finished training episodes (null before the first, or offline). */
  readonly recentReturn: number | null;
  /** Latest validation mean (null before the first). */
  readonly lastEval: number | null;
}

export interface TrainHooks<C = never> {
  /** Called about every `progressEvery` budget steps and at the end. */
  onProgress?: (p: TrainProgress) => void;
  /** Metric points, delivered in batches. */
  onMetrics?: (points: MetricPoint[]) => void;
  /** Cancels the run: the promise rejects with a CancelledError within ~50 ms. */
  signal?: AbortSignal;
  progressEvery?: number;
  /** Take a checkpoint every this many budget steps (0 / absent: never). Metrics up to its step are delivered first. */
  checkpointEvery?: number;
  onCheckpoint?: (checkpoint: C) => void | Promise<void>;
}
