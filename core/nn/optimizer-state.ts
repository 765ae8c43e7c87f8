/**
 * Optimizer state as plain arrays, for checkpoints: tfjs's Adam keeps its step count and moment estimates in
 * variables, matched to the model's variables by position (not name), so a restored optimizer can drive a
 * freshly built network with the same layout. The fused engine's Adam saves and restores the same layout
 * ([iter, m per variable…, v per variable…]), so a checkpoint moves between engines.
 */
import { FusedAdam } from './fused/mlp.ts';
import { tf } from './tf.ts';

export interface SavedTensor {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

export type AnyOptimizer = tf.Optimizer | FusedAdam;

export async function optimizerState(optimizer: AnyOptimizer): Promise<SavedTensor[]> {
  if (optimizer instanceof FusedAdam) return optimizer.getState();
  const weights = await optimizer.getWeights();
  return weights.map((w) => ({ name: w.name, shape: [...w.tensor.shape], values: Float32Array.from(w.tensor.dataSync() as Float32Array) }));
}

export async function restoreOptimizer(optimizer: AnyOptimizer, state: readonly SavedTensor[]): Promise<void> {
  if (optimizer instanceof FusedAdam) {
    optimizer.setState(state);
    return;
  }
  await optimizer.setWeights(state.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape, 'float32') })));
}
