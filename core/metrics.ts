/**
 * Every metric key the studio records, in one place (CleanRL/SB3 style `prefix/name`), so that a chart or a
 * query cannot typo a key, and the x-axis unit each series is recorded against.
 *
 * X-axis units (stored with every series, db schema v2):
 * - `env_steps`: env transitions summed over the vector env's copies. Teachers, baselines and online students
 *   record every key against env steps.
 * - `gradient_updates`: offline students take no env steps (they train on the knowledge base's rows), so they
 *   record every key, validation returns included, against gradient updates.
 * A key marked `per_role` below therefore has the unit of the run that records it (`metricUnit`).
 */

/** The unit of a metric series' x-axis (the same names as electron/api/contract.ts). */
export type StepUnit = 'env_steps' | 'gradient_updates';
export const STEP_UNITS: readonly StepUnit[] = ['env_steps', 'gradient_updates'];

export const METRIC_KEYS = {
  /** Undiscounted return of a finished training episode (ε-greedy behaviour policy). */
  episodicReturn: 'charts/episodic_return',
  /** Length of a finished training episode. */
  episodicLength: 'charts/episodic_length',
  /** Exploration ε in force at the step. */
  epsilon: 'charts/epsilon',
  /** Env steps per second since the start of the run. */
  sps: 'charts/sps',
  /** Training seconds (evaluation excluded) at the step; recorded with every validation. */
  trainSeconds: 'charts/train_seconds',
  /** Mean TD loss over the updates since the last record (Huber or MSE, mean over the batch). */
  tdLoss: 'losses/td_loss',
  /** Mean Q(s,a) of the sampled actions over the updates since the last record. */
  qValues: 'losses/q_values',
  /** Gradient updates done so far. */
  gradientSteps: 'train/gradient_steps',
  /** Distillation: mean of L = α·L_hard + (1−α)·L_soft since the last record. */
  distillLoss: 'losses/distill_loss',
  /** Distillation: mean L_hard since the last record. */
  hardLoss: 'losses/hard_loss',
  /** Distillation: mean L_soft since the last record (masked mean over the samples that have a target). */
  softLoss: 'losses/soft_loss',
  /** Distillation: α in force. */
  alpha: 'charts/alpha',
  /** Retrieval: fraction of the student's states since the last record with no KB neighbour within the radius (no soft target). */
  maskRate: 'retrieval/mask_rate',
  /** Retrieval: mean standardised distance to the retrieved neighbours, over the states that got a target since the last record. */
  retrievalDistance: 'retrieval/mean_distance',
  /** Mean greedy return on the validation episode seeds (periodic evaluation). */
  evalMeanReturn: 'eval/mean_return',
  /** Std of the greedy return on the validation episode seeds. */
  evalStdReturn: 'eval/std_return',
} as const;

export type MetricKey = (typeof METRIC_KEYS)[keyof typeof METRIC_KEYS];

/** Documentation and x-axis unit of every key (what the catalog and the metric docs show). */
export const METRIC_INFO: Readonly<Record<MetricKey, { readonly doc: string; readonly unit: StepUnit | 'per_role' }>> = {
  'charts/episodic_return': { doc: 'Undiscounted return of a finished training episode (ε-greedy behaviour policy).', unit: 'env_steps' },
  'charts/episodic_length': { doc: 'Length of a finished training episode.', unit: 'env_steps' },
  'charts/epsilon': { doc: 'Exploration ε in force at the step.', unit: 'env_steps' },
  'charts/sps': { doc: 'Env steps per second of training since the start of the run.', unit: 'env_steps' },
  'charts/train_seconds': { doc: 'Training seconds (evaluation excluded) at the step, recorded with every validation.', unit: 'per_role' },
  'losses/td_loss': { doc: 'Mean TD loss over the updates since the last record (Huber or MSE, mean over the batch).', unit: 'env_steps' },
  'losses/q_values': { doc: 'Mean Q(s, a) of the sampled actions over the updates since the last record.', unit: 'env_steps' },
  'train/gradient_steps': { doc: 'Gradient updates done so far.', unit: 'env_steps' },
  'losses/distill_loss': { doc: 'Mean of L = α·L_hard + (1−α)·L_soft over the updates since the last record.', unit: 'per_role' },
  'losses/hard_loss': { doc: 'Mean L_hard over the updates since the last record.', unit: 'per_role' },
  'losses/soft_loss': { doc: 'Mean L_soft (masked mean over samples with a target) over the updates since the last record.', unit: 'per_role' },
  'charts/alpha': { doc: 'α in force (weight of L_hard).', unit: 'per_role' },
  'retrieval/mask_rate': { doc: 'Fraction of the student\'s states since the last record with no KB neighbour within the radius (no soft target).', unit: 'env_steps' },
  'retrieval/mean_distance': { doc: 'Mean standardised distance to the retrieved KB neighbours since the last record (states with a target).', unit: 'env_steps' },
  'eval/mean_return': { doc: 'Mean greedy return on the validation episode seeds (periodic evaluation).', unit: 'per_role' },
  'eval/std_return': { doc: 'Std of the greedy return on the validation episode seeds.', unit: 'per_role' },
};

/** The x-axis unit of every series a run records: gradient updates for offline students, env steps otherwise. */
export function metricUnit(role: 'teacher' | 'student' | 'baseline', mode?: 'offline' | 'online'): StepUnit {
  return role === 'student' && mode === 'offline' ? 'gradient_updates' : 'env_steps';
}
