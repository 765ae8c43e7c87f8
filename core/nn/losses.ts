/**
 * Loss functions with their reduction stated: every loss here is a MEAN over the batch (never a sum, so
 * the loss and its gradient do not scale with the batch size; CleanRL's torch QDagger sums then "means" a
 * scalar, a trap this avoids). Tests pin each against hand-computed values.
 */
import { tf, type Tensor1D, type Tensor2D } from './tf.ts';

/** Q(s, a) for each row: Σ_j q[i, j] · onehot(a_i)[j]. oneHot·sum, not gather: wasm has no gather gradient. */
export function selectActionValues(q: Tensor2D, actionsOneHot: Tensor2D): Tensor1D {
  return tf.sum(tf.mul(q, actionsOneHot), 1) as Tensor1D;
}

/**
 * Huber loss with δ = 1, mean over the batch: (1/B) Σ_i h(p_i − t_i), h(x) = x²/2 if |x| ≤ 1 else |x| − 1/2.
 * Equals torch's `smooth_l1_loss(reduction='mean')` (SB3 DQN).
 */
export function huberMean(pred: Tensor1D, target: Tensor1D): tf.Scalar {
  const err = tf.abs(tf.sub(pred, target));
  const quadratic = tf.minimum(err, 1);
  const linear = tf.sub(err, quadratic);
  return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), linear));
}

/** Mean squared error over the batch: (1/B) Σ_i (p_i − t_i)². Equals torch's `mse_loss(reduction='mean')`. */
export function mseMean(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(pred, target));
}

/** Global-norm gradient clipping as torch's clip_grad_norm_: scale = min(1, maxNorm / (‖g‖ + 1e-6)). */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  const sq = names.map((n) => tf.sum(tf.square(grads[n])));
  const norm = tf.sqrt(tf.addN(sq));
  const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = tf.mul(grads[n], scale);
  return out;
}
