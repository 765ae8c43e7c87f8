/**
 * One gradient step of L = α·L_hard + (1−α)·L_soft on a student Q-network (seed §4.2):
 *   L_hard = mean_i ℓ(Q_S(s_i, a_i) − y_i), ℓ = Huber (δ = 1) or squared error,
 *            y_i = r_i + γ(1 − done_i)·max_a Q_S⁻(s'_i, a)  (td, student's own target network Q_S⁻, real rewards;
 *            Double DQN: Q_S⁻(s'_i, argmax_a Q_S(s'_i, a)))  or  y_i = G_i (mc, the recorded return-to-go);
 *   L_soft = masked mean over the batch of the per-sample soft loss against the teacher's Q (losses.ts).
 * Then the global gradient norm is clipped (maxGradNorm > 0) and Adam steps. With α = 1, Huber, the same
 * clipping, Adam ε and Double-DQN setting this is exactly TdLearner's update (tested), so an α = 1 student and a
 * from-scratch DQN baseline are one algorithm.
 * Targets are computed outside the gradient tape; loss parts are accumulated on-device and read back on demand.
 */
import { clipByGlobalNorm, huberMean, mseMean, selectActionValues } from '../nn/losses.ts';
import type { QNetwork } from '../nn/q-network.ts';
import { tf, type Tensor1D, type Tensor2D } from '../nn/tf.ts';
import { combinedLoss, maskedMean, softLossPerSample, type SoftLoss } from './losses.ts';

export interface StudentBatch {
  readonly size: number;
  readonly obs: Float32Array;
  readonly actions: Int32Array;
  /** td: rewards, next observations and terminal flags of the transitions. */
  readonly rewards?: Float32Array;
  readonly nextObs?: Float32Array;
  readonly terminated?: Float32Array;
  /** mc: the return-to-go of each row. */
  readonly returns?: Float32Array;
  /** Teacher Q targets [size · actions] and their mask [size] (0: no soft target). */
  readonly softQ: Float32Array;
  readonly softMask: Float32Array;
}

export interface StudentLearnerOptions {
  readonly hardLoss: 'td' | 'mc';
  readonly softLoss: SoftLoss;
  readonly softActions: 'all' | 'taken';
  readonly tau: number;
  readonly gamma: number;
  readonly learningRate: number;
  /** Huber (SB3's DQN) or squared error (the seed's) for L_hard (default squared error). */
  readonly hardError?: 'mse' | 'huber';
  /** Global gradient-norm clip of the combined loss' gradient; 0 / absent disables it. */
  readonly maxGradNorm?: number;
  /** td: Double DQN targets. */
  readonly doubleDqn?: boolean;
  /** Adam ε (default 1e-8, PyTorch's). */
  readonly adamEpsilon?: number;
}

export interface StudentStats {
  readonly loss: number;
  readonly hard: number;
  readonly soft: number;
  readonly steps: number;
}

export class StudentLearner {
  readonly optimizer: tf.AdamOptimizer;
  private readonly sums: tf.Variable; // [loss, hard, soft]
  private pending = 0;

  constructor(
    readonly student: QNetwork,
    readonly target: QNetwork | null,
    readonly options: StudentLearnerOptions,
  ) {
    if (options.hardLoss === 'td' && target === null) throw new Error('td hard loss needs the student\'s target network');
    this.optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, options.adamEpsilon ?? 1e-8);
    this.sums = tf.variable(tf.zeros([3]), false);
  }

  private hardTargets(b: StudentBatch): Tensor1D {
    if (this.options.hardLoss === 'mc') {
      if (!b.returns) throw new Error('mc hard loss needs returns in the batch');
      return tf.tensor1d(b.returns);
    }
    if (!b.rewards || !b.nextObs || !b.terminated) throw new Error('td hard loss needs rewards, nextObs and terminated in the batch');
    const nextObs = tf.tensor2d(b.nextObs, [b.size, this.student.spec.inputSize]);
    const next = this.target!.apply(nextObs);
    const a = this.student.spec.outputSize;
    const nextValue = this.options.doubleDqn
      ? selectActionValues(next, tf.oneHot(tf.argMax(this.student.apply(nextObs), 1), a).toFloat() as Tensor2D)
      : (tf.max(next, 1) as Tensor1D);
    const notDone = tf.sub(1, tf.tensor1d(b.terminated));
    return tf.add(tf.tensor1d(b.rewards), tf.mul(this.options.gamma, tf.mul(notDone, nextValue))) as Tensor1D;
  }

  /** The three losses as tensors (inside a tidy). */
  private losses(b: StudentBatch, alpha: tf.Scalar, y: Tensor1D) {
    const a = this.student.spec.outputSize;
    const obs = tf.tensor2d(b.obs, [b.size, this.student.spec.inputSize]);
    const onehot = tf.oneHot(tf.tensor1d(b.actions, 'int32'), a).toFloat() as Tensor2D;
    const q = this.student.apply(obs);
    const qa = selectActionValues(q, onehot);
    const hard = this.options.hardError === 'huber' ? huberMean(qa, y) : mseMean(qa, y);
    const perSample = softLossPerSample(this.options.softLoss, q, tf.tensor2d(b.softQ, [b.size, a]), {
      tau: this.options.tau,
      ...(this.options.softActions === 'taken' ? { actionsOneHot: onehot } : {}),
    });
    const soft = maskedMean(perSample, tf.tensor1d(b.softMask));
    return { loss: combinedLoss(alpha, hard, soft), hard, soft };
  }

  /** Loss parts and gradients without applying them (tests, the worked example). */
  evaluate(b: StudentBatch, alpha: number): { loss: number; hard: number; soft: number; grads: Float32Array[] } {
    return tf.tidy(() => {
      const y = this.hardTargets(b);
      const al = tf.scalar(alpha);
      let parts: number[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const l = this.losses(b, al, y);
        parts = [l.hard.dataSync()[0], l.soft.dataSync()[0]];
        return l.loss;
      }, this.student.variables);
      return {
        loss: value.dataSync()[0],
        hard: parts[0],
        soft: parts[1],
        grads: this.student.variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array)),
      };
    });
  }

  step(b: StudentBatch, alpha: number): void {
    tf.tidy(() => {
      const y = this.hardTargets(b);
      const al = tf.scalar(alpha);
      let parts: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const l = this.losses(b, al, y);
        parts = tf.keep(tf.stack([l.loss, l.hard, l.soft]));
        return l.loss;
      }, this.student.variables);
      const clip = this.options.maxGradNorm ?? 0;
      const applied = clip > 0 && Number.isFinite(clip) ? clipByGlobalNorm(grads, clip) : grads;
      this.optimizer.applyGradients(applied as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
      this.sums.assign(tf.add(this.sums, parts!));
      (parts as tf.Tensor | null)?.dispose();
      value.dispose();
    });
    this.pending++;
  }

  drainStats(): StudentStats {
    const steps = this.pending;
    this.pending = 0;
    if (steps === 0) return { loss: Number.NaN, hard: Number.NaN, soft: Number.NaN, steps };
    const s = this.sums.dataSync();
    const out = { loss: s[0] / steps, hard: s[1] / steps, soft: s[2] / steps, steps };
    tf.tidy(() => this.sums.assign(tf.zeros([3])));
    return out;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.sums.dispose();
  }
}
