/**
 * A Q-network: an MLP `obs → hidden (ReLU) … → Q[actions]`, on one of two engines:
 *
 * - `tfjs`: plain tf.Variables, one fused matMul+bias+relu per layer (the layers API adds per-call
 *   overhead). On the wasm backend the layer's gradient is written out with explicit transposes and plain
 *   matMuls (`denseLayer`): tfjs's own matMul gradient uses transposed matMuls, which wasm runs 8–13× slower.
 *   This is the reference implementation and the path for the native backends (tfjs-node).
 * - `fused`: one flat Float32Array in WebAssembly memory, driven by SIMD kernels (core/nn/fused/): a forward
 *   pass, a training update or a target update is a few direct calls instead of dozens of tfjs ops. Chosen
 *   with the `wasm+fused` backend (the default where no native backend loads).
 *
 * Weights are laid out [in, out] as in tfjs Dense layers on both engines, in the order [W0, b0, W1, b1, …].
 * Initialisation follows PyTorch's nn.Linear default (what CleanRL and SB3 get): weight and bias uniform in
 * ±1/√fan_in, drawn from the run's seeded Rng so a network is a pure function of its seed.
 */
import { Rng } from '../util/rng.ts';
import { currentBackend } from './backend.ts';
import { MlpLayout, MlpWorkspace, forward } from './fused/mlp.ts';
import { wasmHeap, type Block, type WasmHeap } from './fused/wasm.ts';
import { tf, type Tensor2D, type Variable } from './tf.ts';

export interface QNetworkSpec {
  /** Observation size (input width). */
  readonly inputSize: number;
  /** Hidden layer widths, e.g. [64, 64]. May be empty (a linear Q-function). */
  readonly hiddenSizes: readonly number[];
  /** Number of discrete actions (output width). */
  readonly outputSize: number;
}

export type NetworkEngine = 'tfjs' | 'fused';

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

/** The engine new networks get: `fused` under the `wasm+fused` backend, else `tfjs`. */
export function defaultEngine(): NetworkEngine {
  return currentBackend()?.engine ?? 'tfjs';
}

/** The fused engine's state of one network. */
export interface FusedNetwork {
  readonly heap: WasmHeap;
  readonly layout: MlpLayout;
  /** Flat parameters [W0, b0, W1, b1, …]. */
  readonly params: Block;
  /** Activations for `predict` / `act` / target computations. */
  readonly inference: MlpWorkspace;
}

export class QNetwork {
  readonly spec: QNetworkSpec;
  readonly engine: NetworkEngine;
  private readonly tfVariables: Variable[] | null;
  private readonly fusedState: FusedNetwork | null;
  private disposed = false;

  private constructor(spec: QNetworkSpec, values: Float32Array[], engine: NetworkEngine) {
    this.spec = { inputSize: spec.inputSize, hiddenSizes: [...spec.hiddenSizes], outputSize: spec.outputSize };
    this.engine = engine;
    if (engine === 'fused') {
      const heap = wasmHeap();
      const layout = new MlpLayout([spec.inputSize, ...spec.hiddenSizes, spec.outputSize]);
      this.fusedState = { heap, layout, params: heap.alloc(layout.paramCount), inference: new MlpWorkspace(heap, layout, false) };
      this.tfVariables = null;
      this.setWeights(values);
    } else {
      const shapes = paramShapes(spec);
      const id = ++variableCounter;
      this.tfVariables = shapes.map((shape, i) =>
        tf.variable(tf.tensor(values[i], shape, 'float32'), true, `q${id}_${i % 2 === 0 ? 'W' : 'b'}${i >> 1}`),
      );
      this.fusedState = null;
    }
  }

  /** A freshly initialised network (PyTorch nn.Linear default init from `rng`). */
  static create(spec: QNetworkSpec, rng: Rng, engine: NetworkEngine = defaultEngine()): QNetwork {
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
    return new QNetwork(spec, values, engine);
  }

  /** A network with the given parameter values (copied); validates their sizes. */
  static fromWeights(spec: QNetworkSpec, values: readonly Float32Array[], engine: NetworkEngine = defaultEngine()): QNetwork {
    validateSpec(spec);
    checkValues(spec, values);
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values[i].length; j++) {
        if (!Number.isFinite(values[i][j])) throw new Error(`parameter ${i} of ${describe(spec)} has a non-finite value at ${j}`);
      }
    }
    return new QNetwork(spec, values.map((v) => Float32Array.from(v)), engine);
  }

  get paramCount(): number {
    return paramCount(this.spec);
  }

  /** tfjs engine: the trainable variables [W0, b0, W1, b1, …]. */
  get variables(): Variable[] {
    if (!this.tfVariables) throw new Error(`a ${this.engine} network has no tfjs variables`);
    return this.tfVariables;
  }

  /** Fused engine: its flat parameters, layout and workspace. */
  get fused(): FusedNetwork {
    if (!this.fusedState) throw new Error(`a ${this.engine} network has no fused state`);
    return this.fusedState;
  }

  /** tfjs engine: Q-values for a batch of observations [B, inputSize] → [B, outputSize]. Call inside tf.tidy. */
  apply(x: Tensor2D): Tensor2D {
    const v = this.variables;
    let h: Tensor2D = x;
    const layers = v.length / 2;
    for (let l = 0; l < layers; l++) h = denseLayer(h, v[2 * l] as Tensor2D, v[2 * l + 1] as tf.Tensor1D, l + 1 < layers);
    return h;
  }

  /**
   * Q-values for `batch` observations packed in `obs` (row-major). On the fused engine the result is a view
   * of the network's own workspace, valid until its next forward pass; on tfjs a fresh array.
   */
  qValues(obs: Float32Array, batch: number): Float32Array {
    const f = this.fusedState;
    if (!f) {
      const out = tf.tidy(() => this.apply(tf.tensor2d(obs.subarray(0, batch * this.spec.inputSize), [batch, this.spec.inputSize])));
      const data = out.dataSync() as Float32Array;
      out.dispose();
      return data;
    }
    f.inference.ensure(batch);
    f.inference.input.view.set(obs.subarray(0, batch * this.spec.inputSize));
    return forward(f.heap, f.layout, f.params, f.inference, batch).view.subarray(0, batch * this.spec.outputSize);
  }

  /** Q-values for `batch` observations packed in `obs` (row-major), as a new array. */
  predict(obs: Float32Array, batch: number): Float32Array {
    const q = this.qValues(obs, batch);
    return this.fusedState ? q.slice() : q;
  }

  /** Greedy actions for `batch` observations. */
  act(obs: Float32Array, batch: number, into?: Int32Array): Int32Array {
    const q = this.qValues(obs, batch);
    const a = this.spec.outputSize;
    const actions = into ?? new Int32Array(batch);
    for (let b = 0; b < batch; b++) actions[b] = argmax(q, b * a, a);
    return actions;
  }

  /** Copies of the parameter values. */
  getWeights(): Float32Array[] {
    const f = this.fusedState;
    if (!f) return this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    const flat = f.params.view;
    return f.layout.layers.flatMap((l) => [flat.slice(l.w, l.w + l.in * l.out), flat.slice(l.b, l.b + l.out)]);
  }

  setWeights(values: readonly Float32Array[]): void {
    checkValues(this.spec, values);
    const f = this.fusedState;
    if (!f) {
      tf.tidy(() => this.variables.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape, 'float32'))));
      return;
    }
    const flat = f.params.view;
    f.layout.layers.forEach((l, i) => {
      flat.set(values[2 * i], l.w);
      flat.set(values[2 * i + 1], l.b);
    });
  }

  /** Hard copy (τ = 1) or Polyak average θ ← τ·θ_src + (1−τ)·θ. */
  updateFrom(source: QNetwork, tau = 1): void {
    const f = this.fusedState;
    const s = source.fusedState;
    if (f && s && f.heap === s.heap) {
      if (tau >= 1) f.params.view.set(s.params.view);
      else f.heap.k.polyak(f.params.ptr, s.params.ptr, f.layout.paramCount, tau);
      return;
    }
    if (!f && !s) {
      tf.tidy(() => {
        this.variables.forEach((v, i) => {
          const sv = source.variables[i];
          v.assign(tau >= 1 ? sv.clone() : tf.add(tf.mul(sv, tau), tf.mul(v, 1 - tau)));
        });
      });
      return;
    }
    // Across engines: through host arrays, with float32 rounding as the kernels do.
    const src = source.getWeights();
    const dst = this.getWeights();
    this.setWeights(tau >= 1 ? src : dst.map((d, i) => d.map((x, j) => Math.fround(src[i][j] * tau) + Math.fround(x * (1 - tau)))));
  }

  /** A copy on the same engine (or on `engine`). */
  clone(engine: NetworkEngine = this.engine): QNetwork {
    return new QNetwork(this.spec, this.getWeights(), engine);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tfVariables) for (const v of this.tfVariables) v.dispose();
    if (this.fusedState) {
      this.fusedState.params.free();
      this.fusedState.inference.dispose();
    }
  }
}

function checkValues(spec: QNetworkSpec, values: readonly Float32Array[]): void {
  const shapes = paramShapes(spec);
  if (values.length !== shapes.length) {
    throw new Error(`expected ${shapes.length} parameter arrays for ${describe(spec)}, got ${values.length}`);
  }
  shapes.forEach((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (values[i].length !== n) throw new Error(`parameter ${i} of ${describe(spec)} must have ${n} values, got ${values[i].length}`);
  });
}

/**
 * Whether to write the dense gradient out with explicit transposes. tfjs's matMul gradient uses
 * `transposeA`/`transposeB`, which the wasm backend runs on a slow path (128×256·256×256: 0.63 ms plain,
 * ~9 ms transposed; `tf.transpose` then a plain matMul: 0.7–1.0 ms). Native backends run the transposed
 * forms at full speed, so they keep tfjs's own gradient.
 */
function explicitTransposes(): boolean {
  return denseGradientMode === 'explicit' || (denseGradientMode === 'auto' && tf.getBackend() === 'wasm');
}

let denseGradientMode: 'auto' | 'explicit' | 'tfjs' = 'auto';

/** Overrides the choice above (benchmarks measure both; `auto` restores it). */
export function setDenseGradient(mode: 'auto' | 'explicit' | 'tfjs'): void {
  denseGradientMode = mode;
}

type DenseFn = (x: Tensor2D, w: Tensor2D, b: tf.Tensor1D) => Tensor2D;
let denseGrad: { relu: DenseFn; linear: DenseFn } | null = null;

/** x·W + b (ReLU'd unless it is the last layer), with the gradient as documented at explicitTransposes. */
export function denseLayer(x: Tensor2D, w: Tensor2D, b: tf.Tensor1D, relu: boolean): Tensor2D {
  if (!explicitTransposes()) return tf.fused.matMul({ a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear' }) as Tensor2D;
  denseGrad ??= { relu: makeDense(true), linear: makeDense(false) };
  return (relu ? denseGrad.relu : denseGrad.linear)(x, w, b);
}

function makeDense(relu: boolean): DenseFn {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b, save] = args as [Tensor2D, Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear' });
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sw, sy] = saved as [Tensor2D, Tensor2D, Tensor2D];
        // ReLU'(z) = [y > 0] (tfjs's relu gradient: step(y)).
        const dz = relu ? tf.mul(dy, tf.step(sy)) : (dy as Tensor2D);
        return [tf.matMul(dz, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dz), tf.sum(dz, 0)];
      },
    };
  }) as unknown as DenseFn;
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
