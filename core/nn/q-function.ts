/**
 * What the studio needs from a teacher (or any policy it evaluates, replays or extracts knowledge from):
 * batched Q-values and greedy actions for a fixed observation/action size. `QNetwork` (tfjs) satisfies it as it
 * is; an ONNX model run by onnxruntime (core/io/onnx-runtime.ts) implements it too, so knowledge extraction and
 * the live-teacher soft targets work the same for a teacher trained here and one imported from elsewhere.
 */
import { argmax, type QNetworkSpec } from './q-network.ts';

export interface QFunction {
  /** Input and output widths; `hiddenSizes` as far as known ([] when the model is not a plain MLP). */
  readonly spec: QNetworkSpec;
  readonly paramCount: number;
  /** Q-values for `batch` observations packed row-major in `obs` → batch × outputSize, synchronously. */
  predict(obs: Float32Array, batch: number): Float32Array;
  /** Greedy actions (first maximum on ties) for `batch` observations. */
  act(obs: Float32Array, batch: number, into?: Int32Array): Int32Array;
  dispose(): void;
}

/** Greedy actions (first maximum on ties) from `batch` rows of `actions` Q-values. */
export function greedyActions(q: Float32Array, batch: number, actions: number, into?: Int32Array): Int32Array {
  const out = into ?? new Int32Array(batch);
  for (let b = 0; b < batch; b++) out[b] = argmax(q, b * actions, actions);
  return out;
}
