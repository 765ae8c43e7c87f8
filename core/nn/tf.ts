/**
 * The one place core imports tfjs from. `@tensorflow/tfjs` (the union package) registers every op's
 * gradient and the cpu backend; the wasm backend registers itself on import. The native backends
 * (@tensorflow/tfjs-node[-gpu]) are optional and loaded on demand by `backend.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export type Tensor = tf.Tensor;
export type Tensor1D = tf.Tensor1D;
export type Tensor2D = tf.Tensor2D;
export type Variable = tf.Variable;
