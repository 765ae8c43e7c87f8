/**
 * The fused engine's training half for one Q-network: a workspace that keeps activations and their
 * gradients, a flat gradient vector and Adam. A learner computes its loss and ∂L/∂Q on the host (B×A numbers,
 * e.g. 128×2) between `forward` and `backward`; everything of the network's size runs in WebAssembly.
 */
import type { QNetwork } from '../q-network.ts';
import { FusedAdam, MlpWorkspace, backward, forward, globalNorm, type AdamOptions } from './mlp.ts';
import type { Block } from './wasm.ts';

export class FusedTrainer {
  readonly optimizer: FusedAdam;
  readonly grads: Block;
  private readonly ws: MlpWorkspace;
  private rows = 0;

  constructor(
    readonly network: QNetwork,
    adam: AdamOptions,
  ) {
    const f = network.fused;
    this.optimizer = new FusedAdam(f.heap, f.layout, adam);
    this.grads = f.heap.alloc(f.layout.paramCount);
    this.ws = new MlpWorkspace(f.heap, f.layout, true);
  }

  /**
   * Forward pass of `rows` observations, keeping what the backward pass needs. Returns the Q-values [rows·A]
   * and the zeroed array [rows·A] where the caller writes ∂L/∂Q (both views into WebAssembly memory, valid
   * until the next call).
   */
  forward(obs: Float32Array, rows: number): { q: Float32Array; dq: Float32Array } {
    const f = this.network.fused;
    const n = f.layout.inputSize * rows;
    const a = f.layout.outputSize * rows;
    this.ws.ensure(rows);
    this.ws.input.view.set(obs.subarray(0, n));
    const q = forward(f.heap, f.layout, f.params, this.ws, rows).view.subarray(0, a);
    const dq = this.ws.deltas[this.ws.deltas.length - 1].view.subarray(0, a);
    dq.fill(0);
    this.rows = rows;
    return { q, dq };
  }

  /** ∂L/∂θ into `grads` from the ∂L/∂Q written after `forward`. */
  backward(): void {
    const f = this.network.fused;
    backward(f.heap, f.layout, f.params, this.ws, this.rows, this.grads);
  }

  /** ‖∂L/∂θ‖₂ over all parameters. */
  gradNorm(): number {
    const f = this.network.fused;
    return globalNorm(f.heap, this.grads, f.layout.paramCount);
  }

  /** Adam step with the gradient scaled by `scale` (the clipping factor). */
  apply(scale = 1): void {
    this.optimizer.apply(this.network.fused.params, this.grads, scale);
  }

  /** Copies of the gradient per parameter tensor [W0, b0, …] (tests, diagnostics). */
  gradientArrays(): Float32Array[] {
    const g = this.grads.view;
    return this.network.fused.layout.layers.flatMap((l) => [g.slice(l.w, l.w + l.in * l.out), g.slice(l.b, l.b + l.out)]);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.grads.free();
    this.ws.dispose();
  }
}

/** torch's clip_grad_norm_ factor: min(1, maxNorm / (‖g‖ + 1e-6)); 1 when clipping is off (0 or ∞). */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return 1;
  return Math.min(Math.fround(maxNorm / Math.fround(norm + 1e-6)), 1);
}
