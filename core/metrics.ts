/**
 * Every metric key the studio records, in one place (CleanRL/SB3 style `prefix/name`), so that a chart or a
 * query cannot typo a key. Steps are env steps unless the key says otherwise.
 */
export const METRIC_KEYS = {
  /** Undiscounted return of a finished training episode (ε-greedy behaviour policy). */
  episodicReturn: 'charts/episodic_return',
  /** Length of a finished training episode. */
  episodicLength: 'charts/episodic_length',
  /** Exploration ε in force at the step. */
  epsilon: 'charts/epsilon',
  /** Env steps per second since the start of the run. */
  sps: 'charts/sps',
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
  /** Distillation: mean L_soft since the last record. */
  softLoss: 'losses/soft_loss',
  /** Distillation: α in force. */
  alpha: 'charts/alpha',
  /** Mean greedy return on the validation episode seeds (periodic evaluation). */
  evalMeanReturn: 'eval/mean_return',
  /** Std of the greedy return on the validation episode seeds. */
  evalStdReturn: 'eval/std_return',
} as const;

export type MetricKey = (typeof METRIC_KEYS)[keyof typeof METRIC_KEYS];
