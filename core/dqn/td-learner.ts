/**
 * One-step TD learning for a Q-network against its target network (DQN, Mnih et al. 2015; Double DQN,
 * van Hasselt et al. 2016):
 *   y = r + γ · (1 − terminated) · Q_target(s', argmax_a Q(s', a))   (Double)  or  max_a Q_target(s', a)
 *   L = mean_i loss(Q(s_i, a_i), y_i)                                   (Huber or MSE, mean over the batch)
 * then global-norm clipping (torch's clip_grad_norm_) and Adam. The target is computed outside the gradient.
 *
 * Two implementations of the same update, picked by the networks' engine:
 * - tfjs: ops on the tape; loss and mean Q are accumulated on-device and read back only when asked
 *   (`drainStats`), so a step costs no synchronisation.
 * - fused: forward, backward and Adam in the WebAssembly kernels; the loss, the TD targets and ∂L/∂Q
 *   (B×A numbers) on the host, with float32 rounding at each step as tfjs does.
 * Tests hold them equal to 1e-5 on loss, gradients and parameters after several steps.
 */
import { maxTdTargets, regressionLoss } from '../nn/fused/q-losses.ts';
import type { FusedAdam } from '../nn/fused/mlp.ts';
import { FusedTrainer, clipScale } from '../nn/fused/trainer.ts';
import { clipByGlobalNorm, huberMean, mseMean, selectActionValues } from '../nn/losses.ts';
import type { AnyOptimizer } from '../nn/optimizer-state.ts';
import { argmax, type QNetwork } from '../nn/q-network.ts';
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

interface TdImpl {
  readonly optimizer: AnyOptimizer;
  step(batch: ReplayBatch): void;
  lossAndGradients(batch: ReplayBatch): { loss: number; grads: Float32Array[] };
  drainStats(): TdStats;
  dispose(): void;
}

export class TdLearner {
  /** Adam's state lives here (checkpoints save and restore it through optimizer-state.ts). */
  readonly optimizer: AnyOptimizer;
  private readonly impl: TdImpl;

  constructor(
    readonly online: QNetwork,
    readonly target: QNetwork,
    readonly options: TdOptions,
  ) {
    if (online.engine !== target.engine) throw new Error(`online (${online.engine}) and target (${target.engine}) networks must be on the same engine`);
    this.impl = online.engine === 'fused' ? new FusedTd(online, target, options) : new TfjsTd(online, target, options);
    this.optimizer = this.impl.optimizer;
  }

  /** One Adam step on the batch. */
  step(batch: ReplayBatch): void {
    this.impl.step(batch);
  }

  /** Loss and raw (unclipped) gradients for a batch, without applying them (parity tests, diagnostics). */
  lossAndGradients(batch: ReplayBatch): { loss: number; grads: Float32Array[] } {
    return this.impl.lossAndGradients(batch);
  }

  /** Reads and resets the accumulated statistics. */
  drainStats(): TdStats {
    return this.impl.drainStats();
  }

  dispose(): void {
    this.impl.dispose();
  }
}

class TfjsTd implements TdImpl {
  readonly optimizer: tf.AdamOptimizer;
  private readonly lossSum: tf.Variable;
  private readonly qSum: tf.Variable;
  private pending = 0;

  constructor(
    private readonly online: QNetwork,
    private readonly target: QNetwork,
    private readonly options: TdOptions,
  ) {
    this.optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, options.adamEpsilon);
    this.lossSum = tf.variable(tf.scalar(0), false);
    this.qSum = tf.variable(tf.scalar(0), false);
  }

  /** Batch tensors: obs [B, n], one-hot actions [B, A], rewards [B], next obs [B, n], terminated [B]. */
  private tensors(batch: ReplayBatch) {
    const n = this.online.spec.inputSize;
    return {
      obs: tf.tensor2d(batch.obs.subarray(0, batch.size * n), [batch.size, n]),
      actions: tf.oneHot(tf.tensor1d(batch.actions.subarray(0, batch.size), 'int32'), this.online.spec.outputSize).toFloat() as Tensor2D,
      rewards: tf.tensor1d(batch.rewards.subarray(0, batch.size)),
      nextObs: tf.tensor2d(batch.nextObs.subarray(0, batch.size * n), [batch.size, n]),
      terminated: tf.tensor1d(batch.terminated.subarray(0, batch.size)),
    };
  }

  /** TD targets y (no gradient flows into them). */
  private targets(t: ReturnType<TfjsTd['tensors']>): tf.Tensor1D {
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

  lossAndGradients(batch: ReplayBatch): { loss: number; grads: Float32Array[] } {
    return tf.tidy(() => {
      const t = this.tensors(batch);
      const y = this.targets(t);
      const { value, grads } = tf.variableGrads(() => this.lossOf(t, y).loss, this.online.variables);
      return { loss: value.dataSync()[0], grads: this.online.variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array)) };
    });
  }

  private lossOf(t: ReturnType<TfjsTd['tensors']>, y: tf.Tensor1D): { loss: tf.Scalar; q: tf.Tensor1D } {
    const q = selectActionValues(this.online.apply(t.obs), t.actions);
    const loss = this.options.loss === 'huber' ? huberMean(q, y) : mseMean(q, y);
    return { loss, q };
  }

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
      this.optimizer.applyGradients(applied as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
      this.lossSum.assign(tf.add(this.lossSum, value));
      this.qSum.assign(tf.add(this.qSum, qMean!));
      qMean!.dispose();
    });
    this.pending++;
  }

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

const f32 = Math.fround;

class FusedTd implements TdImpl {
  private readonly trainer: FusedTrainer;
  readonly optimizer: FusedAdam;
  private lossSum = 0;
  private qSum = 0;
  private pending = 0;
  private y = new Float32Array(0);

  constructor(
    private readonly online: QNetwork,
    private readonly target: QNetwork,
    private readonly options: TdOptions,
  ) {
    this.trainer = new FusedTrainer(online, { learningRate: options.learningRate, epsilon: options.adamEpsilon });
    this.optimizer = this.trainer.optimizer;
  }

  /**
   * Forward passes, TD targets, loss and ∂L/∂Q (written into the trainer), then the backward pass.
   * Returns the batch's loss and mean Q(s, a).
   */
  private lossAndBackward(b: ReplayBatch): { loss: number; qMean: number } {
    const B = b.size;
    const A = this.online.spec.outputSize;
    if (this.y.length < B) this.y = new Float32Array(B);
    const y = this.y;
    // Targets first: they run on the networks' inference workspaces, the update on the trainer's.
    const nextT = this.target.qValues(b.nextObs, B);
    if (this.options.doubleDqn) {
      // The online net's next-state argmax picks which target value to use; copy nextT before the online pass.
      const tCopy = nextT.slice(0, B * A);
      const nextO = this.online.qValues(b.nextObs, B);
      const gamma = f32(this.options.gamma);
      for (let i = 0; i < B; i++) y[i] = f32(b.rewards[i] + f32(gamma * f32(f32(1 - b.terminated[i]) * tCopy[i * A + argmax(nextO, i * A, A)])));
    } else {
      maxTdTargets(nextT, b.rewards, b.terminated, this.options.gamma, B, A, y);
    }
    const { q, dq } = this.trainer.forward(b.obs, B);
    const loss = regressionLoss(this.options.loss, q, y, b.actions, B, A, dq, 1);
    let qSum = 0;
    for (let i = 0; i < B; i++) qSum += q[i * A + b.actions[i]];
    this.trainer.backward();
    return { loss, qMean: qSum / B };
  }

  step(batch: ReplayBatch): void {
    const { loss, qMean } = this.lossAndBackward(batch);
    const clip = this.options.maxGradNorm;
    this.trainer.apply(clip > 0 && Number.isFinite(clip) ? clipScale(this.trainer.gradNorm(), clip) : 1);
    this.lossSum += loss;
    this.qSum += qMean;
    this.pending++;
  }

  lossAndGradients(batch: ReplayBatch): { loss: number; grads: Float32Array[] } {
    const { loss } = this.lossAndBackward(batch);
    return { loss, grads: this.trainer.gradientArrays() };
  }

  drainStats(): TdStats {
    const steps = this.pending;
    const out = { loss: steps > 0 ? this.lossSum / steps : Number.NaN, qMean: steps > 0 ? this.qSum / steps : Number.NaN, steps };
    this.lossSum = 0;
    this.qSum = 0;
    this.pending = 0;
    return out;
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
