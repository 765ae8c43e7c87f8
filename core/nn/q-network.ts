/**
 * A Q-network: an MLP `obs → hidden (ReLU) … → Q[actions]` kept as plain tf.Variables so that the forward
 * pass is one fused matMul+bias+relu per layer (small networks are dispatch-bound; the layers API adds
 * per-call overhead). Weights are laid out [in, out] as in tfjs Dense layers.
 *
 * Initialisation follows PyTorch's nn.Linear default (what CleanRL and SB3 get): weight and bias uniform in
 * ±1/√fan_in, drawn from the run's seeded Rng so a network is a pure function of its seed.
 */
import { Rng } from '../util/rng.ts';
import { tf, type Tensor2D, type Variable } from './tf.ts';

export interface QNetworkSpec {
  /** Observation size (input width). */
  readonly inputSize: number;
  /** Hidden layer widths, e.g. [64, 64]. May be empty (a linear Q-function). */
  readonly hiddenSizes: readonly number[];
  /** Number of discrete actions (output width). */
  readonly outputSize: number;
}

let variableCounter = 0;

export function validateSpec(spec: QNetworkSpec): void {
  const check = (field: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`network ${field} must be a positive integer, got ${v}`);
  };
  check('inputSize', spec.inputSize);
  check('outputSize', spec.outputSize);
  spec.hiddenSizes.forEach((h, i) => check(`hiddenSizes[${i}]`, h));
}

/** Parameter count of an MLP spec (weights + biases). */
export function paramCount(spec: QNetworkSpec): number {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  let n = 0;
  for (let i = 0; i + 1 < sizes.length; i++) n += sizes[i] * sizes[i + 1] + sizes[i + 1];
  return n;
}

/** Shapes of the parameter tensors in order [W0, b0, W1, b1, …]. */
export function paramShapes(spec: QNetworkSpec): number[][] {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  const shapes: number[][] = [];
  for (let i = 0; i + 1 < sizes.length; i++) shapes.push([sizes[i], sizes[i + 1]], [sizes[i + 1]]);
  return shapes;
}

export class QNetwork {
  readonly spec: QNetworkSpec;
  /** [W0, b0, W1, b1, …]; trainable. */
  readonly variables: Variable[];
  private disposed = false;

  private constructor(spec: QNetworkSpec, values: Float32Array[]) {
    this.spec = { inputSize: spec.inputSize, hiddenSizes: [...spec.hiddenSizes], outputSize: spec.outputSize };
    const shapes = paramShapes(spec);
    const id = ++variableCounter;
    this.variables = shapes.map((shape, i) =>
      tf.variable(tf.tensor(values[i], shape, 'float32'), true, `q${id}_${i % 2 === 0 ? 'W' : 'b'}${i >> 1}`),
    );
  }

  /** A freshly initialised network (PyTorch nn.Linear default init from `rng`). */
  static create(spec: QNetworkSpec, rng: Rng): QNetwork {
    validateSpec(spec);
    const shapes = paramShapes(spec);
    const values = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
    for (let i = 0; i < values.length; i += 2) {
      // Weight and bias of a layer share the bound 1/√fan_in, fan_in being the weight's input width.
      const bound = 1 / Math.sqrt(shapes[i][0]);
      for (const arr of [values[i], values[i + 1]]) {
        for (let j = 0; j < arr.length; j++) arr[j] = rng.uniform(-bound, bound);
      }
    }
    return new QNetwork(spec, values);
  }

  /** A network with the given parameter values (copied); validates their sizes. */
  static fromWeights(spec: QNetworkSpec, values: readonly Float32Array[]): QNetwork {
    validateSpec(spec);
    const shapes = paramShapes(spec);
    if (values.length !== shapes.length) {
      throw new Error(`expected ${shapes.length} parameter arrays for ${describe(spec)}, got ${values.length}`);
    }
    shapes.forEach((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      if (values[i].length !== n) throw new Error(`parameter ${i} of ${describe(spec)} must have ${n} values, got ${values[i].length}`);
      for (let j = 0; j < n; j++) {
        if (!Number.isFinite(values[i][j])) throw new Error(`parameter ${i} of ${describe(spec)} has a non-finite value at ${j}`);
      }
    });
    return new QNetwork(spec, values.map((v) => Float32Array.from(v)));
  }

  get paramCount(): number {
    return paramCount(this.spec);
  }

  /** Q-values for a batch of observations [B, inputSize] → [B, outputSize]. Call inside tf.tidy. */
  apply(x: Tensor2D): Tensor2D {
    const v = this.variables;
    let h: Tensor2D = x;
    const layers = v.length / 2;
    for (let l = 0; l < layers; l++) {
      h = tf.fused.matMul({
        a: h,
        b: v[2 * l] as Tensor2D,
        bias: v[2 * l + 1],
        activation: l + 1 < layers ? 'relu' : 'linear',
      }) as Tensor2D;
    }
    return h;
  }

  /** Q-values for `batch` observations packed in `obs` (row-major), read back synchronously. */
  predict(obs: Float32Array, batch: number): Float32Array {
    const out = tf.tidy(() => this.apply(tf.tensor2d(obs, [batch, this.spec.inputSize])));
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  }

  /** Greedy actions for `batch` observations. */
  act(obs: Float32Array, batch: number, into?: Int32Array): Int32Array {
    const q = this.predict(obs, batch);
    const a = this.spec.outputSize;
    const actions = into ?? new Int32Array(batch);
    for (let b = 0; b < batch; b++) actions[b] = argmax(q, b * a, a);
    return actions;
  }

  /** Copies of the parameter values. */
  getWeights(): Float32Array[] {
    return this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  setWeights(values: readonly Float32Array[]): void {
    tf.tidy(() => this.variables.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape, 'float32'))));
  }

  /** Hard copy (τ = 1) or Polyak average θ ← τ·θ_src + (1−τ)·θ. */
  updateFrom(source: QNetwork, tau = 1): void {
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        const s = source.variables[i];
        v.assign(tau >= 1 ? s.clone() : tf.add(tf.mul(s, tau), tf.mul(v, 1 - tau)));
      });
    });
  }

  clone(): QNetwork {
    return new QNetwork(this.spec, this.getWeights());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables) v.dispose();
  }
}

export function argmax(values: ArrayLike<number>, offset: number, count: number): number {
  let best = 0;
  let bestValue = values[offset];
  for (let i = 1; i < count; i++) {
    if (values[offset + i] > bestValue) {
      bestValue = values[offset + i];
      best = i;
    }
  }
  return best;
}

export function describe(spec: QNetworkSpec): string {
  return [spec.inputSize, ...spec.hiddenSizes, spec.outputSize].join('-');
}
