/**
 * One gradient step of L = α·L_hard + (1−α)·L_soft on a student Q-network (seed §4.2):
 *   L_hard = mean_i ℓ(Q_S(s_i, a_i) − y_i), ℓ = Huber (δ = 1) or squared error,
 *            y_i = r_i + γ(1 − done_i)·max_a Q_S⁻(s'_i, a)  (td, student's own target network Q_S⁻, real rewards;
 *            Double DQN: Q_S⁻(s'_i, argmax_a Q_S(s'_i, a)))  or  y_i = G_i (mc, the recorded return-to-go);
 *   L_soft = masked mean over the batch of the per-sample soft loss against the teacher's Q (losses.ts).
 * Then the global gradient norm is clipped (maxGradNorm > 0) and Adam steps. With α = 1, Huber, the same
 * clipping, Adam ε and Double-DQN setting this is exactly TdLearner's update (tested), so an α = 1 student and a
 * from-scratch DQN baseline are one algorithm.
 * Targets are computed outside the gradient; loss parts are accumulated and read back on demand.
 *
 * Two implementations of the same update, picked by the student's engine: tfjs (the tape differentiates
 * losses.ts) and fused (forward, backward and Adam in WebAssembly; the per-sample losses and ∂L/∂Q on the host
 * with the hand-derived gradients of nn/fused/q-losses.ts). `fusedSoftLoss` maps each soft loss of losses.ts
 * to its fused form; a parity test holds the two equal, so a change in losses.ts must be mirrored there.
 */
import { maxTdTargets, regressionLoss, softLossRow, type SoftLossSpec } from '../nn/fused/q-losses.ts';
import type { FusedAdam } from '../nn/fused/mlp.ts';
import { FusedTrainer, clipScale } from '../nn/fused/trainer.ts';
import { clipByGlobalNorm, huberMean, mseMean, selectActionValues } from '../nn/losses.ts';
import type { AnyOptimizer } from '../nn/optimizer-state.ts';
import { argmax, type QNetwork } from '../nn/q-network.ts';
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

const f32 = Math.fround;

/** Whether a clip value turns clipping on (0 or ∞ disable it, as torch's clip_grad_norm_ would be pointless). */
const clipping = (c: number | undefined): c is number => c !== undefined && c > 0 && Number.isFinite(c);

export interface StudentStats {
  readonly loss: number;
  readonly hard: number;
  readonly soft: number;
  readonly steps: number;
}

interface StudentImpl {
  readonly optimizer: AnyOptimizer;
  step(b: StudentBatch, alpha: number): void;
  evaluate(b: StudentBatch, alpha: number): { loss: number; hard: number; soft: number; grads: Float32Array[] };
  drainStats(): StudentStats;
  dispose(): void;
}

export class StudentLearner {
  /** Adam's state (checkpoints save and restore it through optimizer-state.ts). */
  readonly optimizer: AnyOptimizer;
  private readonly impl: StudentImpl;

  constructor(
    readonly student: QNetwork,
    readonly target: QNetwork | null,
    readonly options: StudentLearnerOptions,
  ) {
    if (options.hardLoss === 'td' && target === null) throw new Error('td hard loss needs the student\'s target network');
    if (target && target.engine !== student.engine) throw new Error(`student (${student.engine}) and target (${target.engine}) networks must be on the same engine`);
    this.impl = student.engine === 'fused' ? new FusedStudent(student, target, options) : new TfjsStudent(student, target, options);
    this.optimizer = this.impl.optimizer;
  }

  step(b: StudentBatch, alpha: number): void {
    this.impl.step(b, alpha);
  }

  /** Loss parts and gradients without applying them (tests, the worked example). */
  evaluate(b: StudentBatch, alpha: number): { loss: number; hard: number; soft: number; grads: Float32Array[] } {
    return this.impl.evaluate(b, alpha);
  }

  drainStats(): StudentStats {
    return this.impl.drainStats();
  }

  dispose(): void {
    this.impl.dispose();
  }
}

class TfjsStudent implements StudentImpl {
  readonly optimizer: tf.AdamOptimizer;
  private readonly sums: tf.Variable; // [loss, hard, soft]
  private pending = 0;

  constructor(
    private readonly student: QNetwork,
    private readonly target: QNetwork | null,
    private readonly options: StudentLearnerOptions,
  ) {
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
      const applied = clipping(this.options.maxGradNorm) ? clipByGlobalNorm(grads, this.options.maxGradNorm) : grads;
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

/** The fused form of each soft loss of losses.ts (softLossPerSample). */
export function fusedSoftLoss(options: Pick<StudentLearnerOptions, 'softLoss' | 'softActions' | 'tau'>): SoftLossSpec {
  switch (options.softLoss) {
    case 'kl': // Rusu et al.: KL(softmax(q_T/τ) ‖ softmax(q_S)), the student untempered
      return { kind: 'kl', tauTeacher: options.tau, tauStudent: 1, takenOnly: false, scale: 1 };
    case 'kl-two-sided': // τ · KL(softmax(q_T/τ) ‖ softmax(q_S/τ)): the factor τ keeps ∂/∂q_S bounded by 1
      return { kind: 'kl', tauTeacher: options.tau, tauStudent: options.tau, takenOnly: false, scale: options.tau };
    case 'nll': // −log softmax(q_S)[argmax q_T], the student untempered
      return { kind: 'nll', tauTeacher: 1, tauStudent: 1, takenOnly: false, scale: 1 };
    case 'mse':
      return { kind: 'mse', tauTeacher: 1, tauStudent: 1, takenOnly: options.softActions === 'taken', scale: 1 };
  }
}

class FusedStudent implements StudentImpl {
  readonly optimizer: FusedAdam;
  private readonly trainer: FusedTrainer;
  private readonly soft: SoftLossSpec;
  private readonly sums = [0, 0, 0]; // loss, hard, soft
  private pending = 0;
  private y = new Float32Array(0);

  constructor(
    private readonly student: QNetwork,
    private readonly target: QNetwork | null,
    private readonly options: StudentLearnerOptions,
  ) {
    this.trainer = new FusedTrainer(student, { learningRate: options.learningRate, epsilon: options.adamEpsilon ?? 1e-8 });
    this.optimizer = this.trainer.optimizer;
    this.soft = fusedSoftLoss(options);
  }

  /** Targets, losses and ∂L/∂Q, then the backward pass; returns the loss parts. */
  private lossAndBackward(b: StudentBatch, alpha: number): { loss: number; hard: number; soft: number } {
    const B = b.size;
    const A = this.student.spec.outputSize;
    let y: ArrayLike<number>;
    if (this.options.hardLoss === 'mc') {
      if (!b.returns) throw new Error('mc hard loss needs returns in the batch');
      y = b.returns;
    } else {
      if (!b.rewards || !b.nextObs || !b.terminated) throw new Error('td hard loss needs rewards, nextObs and terminated in the batch');
      if (this.y.length < B) this.y = new Float32Array(B);
      const nextT = this.target!.qValues(b.nextObs, B);
      if (this.options.doubleDqn) {
        // The student's next-state argmax picks the target value; copy nextT before the student's own pass.
        const tCopy = nextT.slice(0, B * A);
        const nextS = this.student.qValues(b.nextObs, B);
        const gamma = f32(this.options.gamma);
        for (let i = 0; i < B; i++) this.y[i] = f32(b.rewards[i] + f32(gamma * f32(f32(1 - b.terminated[i]) * tCopy[i * A + argmax(nextS, i * A, A)])));
        y = this.y;
      } else {
        y = maxTdTargets(nextT, b.rewards, b.terminated, this.options.gamma, B, A, this.y);
      }
    }
    const { q, dq } = this.trainer.forward(b.obs, B);
    const a = Math.fround(alpha);
    const hard = regressionLoss(this.options.hardError === 'huber' ? 'huber' : 'mse', q, y, b.actions, B, A, dq, a);
    // Masked mean over the rows that have a soft target: (Σ m_i ℓ_i) / max(Σ m_i, 1).
    let maskSum = 0;
    for (let i = 0; i < B; i++) maskSum += b.softMask[i];
    const denom = Math.max(maskSum, 1);
    const softWeight = Math.fround(1 - a);
    const rowWeight = Math.fround(softWeight / denom); // ∂L/∂(Σ m_i ℓ_i), as the tape forms it
    let softSum = 0;
    for (let i = 0; i < B; i++) {
      const m = b.softMask[i];
      if (m !== 0) softSum += m * softLossRow(this.soft, q, b.softQ, i, A, b.actions[i], dq, rowWeight * m);
    }
    const soft = softSum / denom;
    this.trainer.backward();
    return { loss: a * hard + softWeight * soft, hard, soft };
  }

  step(b: StudentBatch, alpha: number): void {
    const l = this.lossAndBackward(b, alpha);
    this.trainer.apply(clipping(this.options.maxGradNorm) ? clipScale(this.trainer.gradNorm(), this.options.maxGradNorm) : 1);
    this.sums[0] += l.loss;
    this.sums[1] += l.hard;
    this.sums[2] += l.soft;
    this.pending++;
  }

  evaluate(b: StudentBatch, alpha: number): { loss: number; hard: number; soft: number; grads: Float32Array[] } {
    return { ...this.lossAndBackward(b, alpha), grads: this.trainer.gradientArrays() };
  }

  drainStats(): StudentStats {
    const steps = this.pending;
    this.pending = 0;
    const [loss, hard, soft] = this.sums;
    this.sums.fill(0);
    if (steps === 0) return { loss: Number.NaN, hard: Number.NaN, soft: Number.NaN, steps };
    return { loss: loss / steps, hard: hard / steps, soft: soft / steps, steps };
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
