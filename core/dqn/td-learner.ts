/**
 * One-step TD learning for a Q-network against its target network (DQN, Mnih et al. 2015; Double DQN,
 * van Hasselt et al. 2016):
 *   y = r + γ · (1 − terminated) · Q_target(s', argmax_a Q(s', a))   (Double)  or  max_a Q_target(s', a)
 *   L = mean_i loss(Q(s_i, a_i), y_i)                                   (Huber or MSE, mean over the batch)
 * The target is computed outside the gradient tape. Loss and mean Q are accumulated on-device and read back
 * only when asked (`drainStats`), so a step costs no synchronisation.
 */
import { clipByGlobalNorm, huberMean, mseMean, selectActionValues } from '../nn/losses.ts';
import type { QNetwork } from '../nn/q-network.ts';
import { tf, type Tensor2D } from '../nn/tf.ts';
import type { ReplayBatch } from './replay-buffer.ts';

export interface TdOptions {
  readonly gamma: number;
  readonly loss: 'huber' | 'mse';
  readonly doubleDqn: boolean;
  /** Global gradient-norm clip; 0 or Infinity disables it. */
  readonly maxGradNorm: number;
  readonly learningRate: number;
  readonly adamEpsilon: number;
}

export interface TdStats {
  /** Mean loss over the steps since the last drain (NaN if none). */
  readonly loss: number;
  /** Mean Q(s, a) of the sampled actions over the same steps. */
  readonly qMean: number;
  readonly steps: number;
}

export class TdLearner {
  readonly optimizer: tf.AdamOptimizer;
  private readonly lossSum: tf.Variable;
  private readonly qSum: tf.Variable;
  private pending = 0;

  constructor(
    readonly online: QNetwork,
    readonly target: QNetwork,
    readonly options: TdOptions,
  ) {
    this.optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, options.adamEpsilon);
    this.lossSum = tf.variable(tf.scalar(0), false);
    this.qSum = tf.variable(tf.scalar(0), false);
  }

  /** Batch tensors: obs [B, n], one-hot actions [B, A], rewards [B], next obs [B, n], terminated [B]. */
  private tensors(batch: ReplayBatch) {
    const n = this.online.spec.inputSize;
    return {
      obs: tf.tensor2d(batch.obs, [batch.size, n]),
      actions: tf.oneHot(tf.tensor1d(batch.actions, 'int32'), this.online.spec.outputSize).toFloat() as Tensor2D,
      rewards: tf.tensor1d(batch.rewards),
      nextObs: tf.tensor2d(batch.nextObs, [batch.size, n]),
      terminated: tf.tensor1d(batch.terminated),
    };
  }

  /** TD targets y (no gradient flows into them). */
  private targets(t: ReturnType<TdLearner['tensors']>): tf.Tensor1D {
    const nextTarget = this.target.apply(t.nextObs);
    let nextValue: tf.Tensor1D;
    if (this.options.doubleDqn) {
      const choice = tf.oneHot(tf.argMax(this.online.apply(t.nextObs), 1), this.online.spec.outputSize).toFloat() as Tensor2D;
      nextValue = selectActionValues(nextTarget, choice);
    } else {
      nextValue = tf.max(nextTarget, 1) as tf.Tensor1D;
    }
    const notDone = tf.sub(1, t.terminated);
    return tf.add(t.rewards, tf.mul(this.options.gamma, tf.mul(notDone, nextValue))) as tf.Tensor1D;
  }

  /** Loss and raw gradients for a batch, without applying them (parity tests, diagnostics). */
  lossAndGradients(batch: ReplayBatch): { loss: number; grads: Float32Array[] } {
    return tf.tidy(() => {
      const t = this.tensors(batch);
      const y = this.targets(t);
      const { value, grads } = tf.variableGrads(() => this.lossOf(t, y).loss, this.online.variables);
      return { loss: value.dataSync()[0], grads: this.online.variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array)) };
    });
  }

  private lossOf(t: ReturnType<TdLearner['tensors']>, y: tf.Tensor1D): { loss: tf.Scalar; q: tf.Tensor1D } {
    const q = selectActionValues(this.online.apply(t.obs), t.actions);
    const loss = this.options.loss === 'huber' ? huberMean(q, y) : mseMean(q, y);
    return { loss, q };
  }

  /** One Adam step on the batch. */
  step(batch: ReplayBatch): void {
    tf.tidy(() => {
      const t = this.tensors(batch);
      const y = this.targets(t);
      let qMean: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const { loss, q } = this.lossOf(t, y);
        qMean = tf.keep(tf.mean(q) as tf.Scalar);
        return loss;
      }, this.online.variables);
      const clip = this.options.maxGradNorm;
      const applied = clip > 0 && Number.isFinite(clip) ? clipByGlobalNorm(grads, clip) : grads;
      this.optimizer.applyGradients(applied as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
      this.lossSum.assign(tf.add(this.lossSum, value));
      this.qSum.assign(tf.add(this.qSum, qMean!));
      qMean!.dispose();
    });
    this.pending++;
  }

  /** Reads and resets the accumulated statistics (one synchronisation). */
  drainStats(): TdStats {
    const steps = this.pending;
    const loss = steps > 0 ? this.lossSum.dataSync()[0] / steps : Number.NaN;
    const qMean = steps > 0 ? this.qSum.dataSync()[0] / steps : Number.NaN;
    if (steps > 0) {
      tf.tidy(() => {
        this.lossSum.assign(tf.scalar(0));
        this.qSum.assign(tf.scalar(0));
      });
    }
    this.pending = 0;
    return { loss, qMean, steps };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.lossSum.dispose();
    this.qSum.dispose();
  }
}
