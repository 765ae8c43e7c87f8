/**
 * Optimizer state as plain arrays, for checkpoints: tfjs's Adam keeps its step count and moment estimates in
 * variables, matched to the model's variables by position (not name), so a restored optimizer can drive a
 * freshly built network with the same layout.
 */
import { tf } from './tf.ts';

export interface SavedTensor {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

export async function optimizerState(optimizer: tf.Optimizer): Promise<SavedTensor[]> {
  const weights = await optimizer.getWeights();
  return weights.map((w) => ({ name: w.name, shape: [...w.tensor.shape], values: Float32Array.from(w.tensor.dataSync() as Float32Array) }));
}

export async function restoreOptimizer(optimizer: tf.Optimizer, state: readonly SavedTensor[]): Promise<void> {
  await optimizer.setWeights(state.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape, 'float32') })));
}
