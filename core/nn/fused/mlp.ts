/**
 * A dense ReLU MLP on flat Float32Arrays in WebAssembly memory: forward, backward and Adam as a handful of
 * SIMD kernel calls (core/nn/kernels/mlp.c), the same maths as the tfjs path in q-network.ts / losses.ts:
 *
 *   forward   h_0 = x,  z_l = h_l·W_l + b_l,  h_{l+1} = relu(z_l) (no ReLU on the last layer)
 *   backward  given dQ = ∂L/∂z_{L−1}:  ∂W_l = h_lᵀ·dz_l,  ∂b_l = Σ_rows dz_l,  dz_{l−1} = (dz_l·W_lᵀ) ⊙ [h_l > 0]
 *
 * Parameters are one flat vector [W0 (in×out, row-major), b0, W1, b1, …], the order and layout of the tfjs
 * variables, so Adam, gradient-norm clipping and target updates are one call each.
 */
import { MASK, RELU, type Block, type WasmHeap } from './wasm.ts';

export interface MlpLayer {
  readonly in: number;
  readonly out: number;
  /** Float offsets of W and b in the flat parameter vector. */
  readonly w: number;
  readonly b: number;
  /**
   * Fewer than 4 outputs (e.g. the action layer): too narrow to vectorise over outputs, so the forward pass
   * and dx use the transposed weight (dot products over the inputs), and dW is computed transposed.
   */
  readonly narrow: boolean;
}

export class MlpLayout {
  readonly layers: MlpLayer[];
  readonly paramCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  constructor(readonly sizes: readonly number[]) {
    this.layers = [];
    let at = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const layer = { in: sizes[l], out: sizes[l + 1], w: at, b: at + sizes[l] * sizes[l + 1], narrow: sizes[l + 1] < 4 };
      this.layers.push(layer);
      at = layer.b + layer.out;
    }
    this.paramCount = at;
    this.inputSize = sizes[0];
    this.outputSize = sizes[sizes.length - 1];
  }
}

/** Activations (and, for training, their gradients) for up to `capacity` rows. */
export class MlpWorkspace {
  capacity = 0;
  input!: Block;
  acts: Block[] = [];
  deltas: Block[] = [];
  /** Wᵀ of narrow layers (written by the forward pass, read by the backward pass). */
  wt: (Block | null)[];
  /** ∂Wᵀ of narrow layers. */
  dwt: (Block | null)[];

  constructor(
    readonly heap: WasmHeap,
    readonly layout: MlpLayout,
    readonly training: boolean,
  ) {
    this.wt = layout.layers.map((l) => (l.narrow ? heap.alloc(l.in * l.out) : null));
    this.dwt = layout.layers.map((l) => (l.narrow && training ? heap.alloc(l.in * l.out) : null));
    this.ensure(1);
  }

  ensure(rows: number): void {
    if (rows <= this.capacity) return;
    this.freeRows();
    const cap = Math.max(rows, 2 * this.capacity);
    this.input = this.heap.alloc(cap * this.layout.inputSize);
    this.acts = this.layout.layers.map((l) => this.heap.alloc(cap * l.out));
    this.deltas = this.training ? this.layout.layers.map((l) => this.heap.alloc(cap * l.out)) : [];
    this.capacity = cap;
  }

  private freeRows(): void {
    if (this.capacity === 0) return;
    this.input.free();
    for (const b of this.acts) b.free();
    for (const b of this.deltas) b.free();
  }

  dispose(): void {
    this.freeRows();
    this.capacity = 0;
    for (const b of [...this.wt, ...this.dwt]) b?.free();
  }
}

/**
 * Forward pass of `rows` rows already in `ws.input`; returns the output block ([rows, outputSize] at its
 * start). Keeps every layer's activation for `backward`.
 */
export function forward(heap: WasmHeap, layout: MlpLayout, params: Block, ws: MlpWorkspace, rows: number): Block {
  const k = heap.k;
  const last = layout.layers.length - 1;
  let x = ws.input.ptr;
  layout.layers.forEach((l, i) => {
    const out = ws.acts[i];
    const flags = i < last ? RELU : 0;
    if (l.narrow) {
      const wt = ws.wt[i]!;
      k.transpose(l.in, l.out, params.at(l.w), wt.ptr);
      k.gemm_nt(rows, l.out, l.in, x, wt.ptr, params.at(l.b), out.ptr, 0, flags);
    } else {
      k.gemm_nn(rows, l.out, l.in, x, params.at(l.w), params.at(l.b), out.ptr, 0, flags);
    }
    x = out.ptr;
  });
  return ws.acts[last];
}

/**
 * Backward pass after `forward` on the same workspace and parameters: reads ∂L/∂output from
 * `ws.deltas[last]` and writes the parameter gradient into `grads` (same layout as the parameters).
 */
export function backward(heap: WasmHeap, layout: MlpLayout, params: Block, ws: MlpWorkspace, rows: number, grads: Block): void {
  const k = heap.k;
  for (let i = layout.layers.length - 1; i >= 0; i--) {
    const l = layout.layers[i];
    const x = i === 0 ? ws.input.ptr : ws.acts[i - 1].ptr;
    const dz = ws.deltas[i].ptr;
    if (l.narrow) {
      const dwt = ws.dwt[i]!;
      k.gemm_tn(l.out, l.in, rows, dz, x, 0, dwt.ptr, 0, 0);
      k.transpose(l.out, l.in, dwt.ptr, grads.at(l.w));
    } else {
      k.gemm_tn(l.in, l.out, rows, x, dz, 0, grads.at(l.w), 0, 0);
    }
    k.colsum(rows, l.out, dz, grads.at(l.b), 0);
    if (i > 0) {
      const prev = ws.deltas[i - 1].ptr;
      const mask = ws.acts[i - 1].ptr;
      if (l.narrow) k.gemm_nn(rows, l.in, l.out, dz, ws.wt[i]!.ptr, 0, prev, mask, MASK);
      else k.gemm_nt(rows, l.in, l.out, dz, params.at(l.w), 0, prev, mask, MASK);
    }
  }
}

export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon: number;
}

/** A saved optimizer tensor (checkpoints); the same shape as optimizer-state.ts's SavedTensor. */
export interface AdamStateTensor {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

/**
 * Adam over a flat parameter vector. Its saved state has the layout of tfjs's AdamOptimizer.getWeights()
 * ([iter, m per variable…, v per variable…]), so a checkpoint restores on either engine.
 */
export class FusedAdam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly m: Block;
  readonly v: Block;
  iterations = 0;

  constructor(
    readonly heap: WasmHeap,
    readonly layout: MlpLayout,
    options: AdamOptions,
  ) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon;
    this.m = heap.alloc(layout.paramCount);
    this.v = heap.alloc(layout.paramCount);
  }

  /** One step: params ← Adam(params, scale·grads). */
  apply(params: Block, grads: Block, scale = 1): void {
    this.iterations++;
    // tfjs keeps β^t as a float32 product and forms 1 − β^t in float32; the kernel takes the reciprocals.
    const bc1 = Math.fround(1 - Math.fround(this.beta1 ** this.iterations));
    const bc2 = Math.fround(1 - Math.fround(this.beta2 ** this.iterations));
    this.heap.k.adam(params.ptr, grads.ptr, this.m.ptr, this.v.ptr, this.layout.paramCount, scale, this.learningRate, this.beta1, this.beta2, 1 / bc1, 1 / bc2, this.epsilon);
  }

  getState(): AdamStateTensor[] {
    const shapes = this.layout.layers.flatMap((l) => [
      { shape: [l.in, l.out], at: l.w, size: l.in * l.out, name: `W` },
      { shape: [l.out], at: l.b, size: l.out, name: 'b' },
    ]);
    const part = (block: Block, suffix: string) =>
      shapes.map((s, i) => ({ name: `${s.name}${i >> 1}/${suffix}`, shape: s.shape, values: block.view.slice(s.at, s.at + s.size) }));
    return [{ name: 'iter', shape: [], values: Float32Array.of(this.iterations) }, ...part(this.m, 'm'), ...part(this.v, 'v')];
  }

  setState(state: readonly AdamStateTensor[]): void {
    if (state.length === 0 || state[0].values.length !== 1) throw new Error('optimizer state: the first entry must be the iteration count');
    const iterations = state[0].values[0];
    const rest = state.slice(1);
    const slots = this.layout.layers.flatMap((l) => [
      { at: l.w, size: l.in * l.out },
      { at: l.b, size: l.out },
    ]);
    if (rest.length !== 0 && rest.length !== 2 * slots.length) {
      throw new Error(`optimizer state: expected ${2 * slots.length} moment tensors for this network, got ${rest.length}`);
    }
    rest.forEach((t, i) => {
      const s = slots[i % slots.length];
      if (t.values.length !== s.size) throw new Error(`optimizer state: tensor ${i + 1} ("${t.name}") has ${t.values.length} values, expected ${s.size}`);
    });
    this.iterations = iterations;
    const m = this.m.view;
    const v = this.v.view;
    if (rest.length === 0) {
      m.fill(0);
      v.fill(0);
      return;
    }
    rest.forEach((t, i) => (i < slots.length ? m : v).set(t.values, slots[i % slots.length].at));
  }

  dispose(): void {
    this.m.free();
    this.v.free();
  }
}

/** ‖g‖₂ of a flat vector. */
export function globalNorm(heap: WasmHeap, grads: Block, n: number): number {
  return Math.sqrt(heap.k.sumsq(grads.ptr, n));
}

