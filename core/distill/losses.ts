/**
 * Distillation losses: the reference implementation (tfjs). Every reduction is stated and tested:
 * - per-sample losses are reduced by a MEAN over the batch, never a sum;
 * - L_soft is a masked mean: (Σ_i m_i ℓ_i) / max(Σ_i m_i, 1): samples without a soft target (m_i = 0: no KB
 *   neighbour within the retrieval radius) contribute nothing and do not dilute the others;
 * - within a sample, kl sums over actions (a divergence), mse over all actions is a MEAN over actions (Rusu's
 *   ‖q_T − q_S‖² divided by the action count, so its scale matches a single action's squared error).
 *
 * Per-sample soft losses, with p_T = softmax(q_T/τ) and q = Q-values (student S, teacher T), after Rusu et al.
 * 2016, "Policy distillation" (§4, eqs. for L_NLL, L_MSE, L_KL):
 * - kl:            Σ_a p_T(a) · (log p_T(a) − log softmax(q_S)(a))       the teacher sharpened by τ, the student
 *                  NOT tempered (Rusu's L_KL). ∂/∂q_S = softmax(q_S) − p_T: bounded by 1 whatever τ is.
 * - kl-two-sided:  τ · Σ_a p_T(a) · (log p_T(a) − log softmax(q_S/τ)(a))  both sides tempered (Hinton et al.
 *                  2015's form) and multiplied by τ, so that ∂/∂q_S = softmax(q_S/τ) − p_T is bounded by 1 as
 *                  well: without the factor the gradient grows as 1/τ (×100 at τ = 0.01) and α no longer weighs
 *                  what it says.
 * - mse:           mean_a (q_S(a) − q_T(a))²  (or only the sampled action's term: the seed's worked example).
 * - nll:           −log softmax(q_S)(argmax_a q_T): a classification of the teacher's action (Rusu's L_NLL,
 *                  student untempered; no τ).
 */
import { tf, type Tensor1D, type Tensor2D } from '../nn/tf.ts';

import type { SoftLoss } from './soft-loss-names.ts';

export { SOFT_LOSSES, TEMPERED_SOFT_LOSSES, type SoftLoss } from './soft-loss-names.ts';

/** Per-sample soft losses [B]. qS student Q [B, A]; qT teacher Q targets [B, A]. */
export function softLossPerSample(kind: SoftLoss, qS: Tensor2D, qT: Tensor2D, options: { tau: number; actionsOneHot?: Tensor2D }): Tensor1D {
  switch (kind) {
    case 'mse':
      if (options.actionsOneHot) return tf.sum(tf.mul(tf.squaredDifference(qS, qT), options.actionsOneHot), 1) as Tensor1D;
      return tf.mean(tf.squaredDifference(qS, qT), 1) as Tensor1D;
    case 'kl': {
      const logPT = tf.logSoftmax(tf.div(qT, options.tau));
      const logPS = tf.logSoftmax(qS);
      return tf.sum(tf.mul(tf.exp(logPT), tf.sub(logPT, logPS)), 1) as Tensor1D;
    }
    case 'kl-two-sided': {
      const logPT = tf.logSoftmax(tf.div(qT, options.tau));
      const logPS = tf.logSoftmax(tf.div(qS, options.tau));
      return tf.mul(options.tau, tf.sum(tf.mul(tf.exp(logPT), tf.sub(logPT, logPS)), 1)) as Tensor1D;
    }
    case 'nll': {
      const target = tf.oneHot(tf.argMax(qT, 1), qT.shape[1]).toFloat();
      return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(qS)), 1)) as Tensor1D;
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
