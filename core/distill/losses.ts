/**
 * Distillation losses. Every reduction is stated and tested:
 * - per-sample losses are reduced by a MEAN over the batch;
 * - L_soft is a masked mean: (Σ_i m_i ℓ_i) / max(Σ_i m_i, 1), samples without a soft target (m_i = 0: no KB
 *   neighbour within the radius) contribute nothing and do not dilute the others;
 * - the action dimension of `mse` over all actions is a mean (so its scale matches a single-action error).
 */
import { tf, type Tensor1D, type Tensor2D } from '../nn/tf.ts';

export type SoftLoss = 'kl' | 'mse' | 'nll';

/** Per-sample soft losses [B]. qS student Q [B, A]; qT teacher Q targets [B, A]. */
export function softLossPerSample(kind: SoftLoss, qS: Tensor2D, qT: Tensor2D, options: { tau: number; actionsOneHot?: Tensor2D }): Tensor1D {
  switch (kind) {
    case 'mse':
      if (options.actionsOneHot) {
        // Only the sampled action's Q (seed §4.2 worked example).
        return tf.sum(tf.mul(tf.squaredDifference(qS, qT), options.actionsOneHot), 1) as Tensor1D;
      }
      return tf.mean(tf.squaredDifference(qS, qT), 1) as Tensor1D;
    case 'kl': {
      // KL(p_T ‖ p_S) = Σ_a p_T (log p_T − log p_S), p = softmax(q/τ) (Rusu et al. 2016, "Policy distillation").
      const logPT = tf.logSoftmax(tf.div(qT, options.tau));
      const logPS = tf.logSoftmax(tf.div(qS, options.tau));
      return tf.sum(tf.mul(tf.exp(logPT), tf.sub(logPT, logPS)), 1) as Tensor1D;
    }
    case 'nll': {
      // −log softmax(q_S/τ)[argmax_a q_T]: the τ → 0 limit of kl, a classification of the teacher's action.
      const target = tf.oneHot(tf.argMax(qT, 1), qT.shape[1]).toFloat();
      return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(tf.div(qS, options.tau))), 1)) as Tensor1D;
    }
  }
}

/** (Σ m_i ℓ_i) / max(Σ m_i, 1). */
export function maskedMean(perSample: Tensor1D, mask: Tensor1D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(perSample, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

/** L = α·L_hard + (1−α)·L_soft with α a scalar tensor (it changes with the schedule without retracing). */
export function combinedLoss(alpha: tf.Scalar, hard: tf.Scalar, soft: tf.Scalar): tf.Scalar {
  return tf.add(tf.mul(alpha, hard), tf.mul(tf.sub(1, alpha), soft)) as tf.Scalar;
}
