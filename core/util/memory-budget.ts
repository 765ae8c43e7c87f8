/**
 * How much memory training a Q-network needs, checked before anything is created: a network too large for
 * the machine or the backend is refused with the amount it needs, instead of a run that fails later with
 * "Invalid typed array length" or an out-of-memory crash.
 *
 * The estimate counts what training holds at once (core/nn, core/dqn, core/distill): the online weights, the
 * target network's copy, the gradients and Adam's two moments (Kingma & Ba 2015) — 5 float32 copies of every
 * parameter — plus a bundle/checkpoint encoding copy, the activations of one minibatch (forward values and
 * their gradients per layer), and the replay buffer (states, next states, action, reward, done per slot).
 */
import os from 'node:os';

export interface NetworkShape {
  readonly inputSize: number;
  readonly hiddenSizes: readonly number[];
  readonly outputSize: number;
}

export interface TrainingShape {
  readonly batchSize: number;
  /** Replay capacity (0 when the data is a fixed knowledge base). */
  readonly bufferSize?: number;
}

export interface MemoryEstimate {
  readonly params: number;
  /** Largest single weight matrix, in elements (one typed array). */
  readonly largestTensor: number;
  readonly bytes: number;
}

const FLOAT = 4;
/** Float32 copies of the parameters held during training: weights, target, gradients, Adam m and v, one encoding. */
const PARAM_COPIES = 6;
/**
 * Largest typed array V8 allocates in Node 20 (2^32 − 1 elements on 64-bit hosts). Node exposes it for Buffer
 * only, so the limit is written here.
 */
export const MAX_TYPED_ARRAY_ELEMENTS = 2 ** 32 - 1;
/** The wasm backend runs in a 32-bit WebAssembly memory: 4 GiB at most, and tfjs keeps its tensors there. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

export function trainingMemory(net: NetworkShape, training: TrainingShape): MemoryEstimate {
  const sizes = [net.inputSize, ...net.hiddenSizes, net.outputSize];
  let params = 0;
  let largestTensor = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const w = sizes[i] * sizes[i + 1];
    params += w + sizes[i + 1];
    largestTensor = Math.max(largestTensor, w);
  }
  const activations = 2 * 2 * training.batchSize * sizes.reduce((a, b) => a + b, 0) * FLOAT; // online + target, values + gradients
  const buffer = (training.bufferSize ?? 0) * (2 * net.inputSize + 3) * FLOAT;
  return { params, largestTensor, bytes: params * FLOAT * PARAM_COPIES + activations + buffer };
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** Whether a run on `backend` may train in WebAssembly memory (wasm, wasm+fused, or auto, which may pick them). */
function isWasmBound(backend: string | undefined): boolean {
  return backend === undefined || backend === 'auto' || backend.startsWith('wasm');
}

/** Memory a run may use: half of the machine's RAM, and at most the wasm memory on the wasm backends. */
export function memoryLimit(backend: string | undefined, totalMem: number = os.totalmem()): number {
  const ram = totalMem / 2;
  return isWasmBound(backend) ? Math.min(ram, WASM_MEMORY_BYTES) : ram;
}

/**
 * Throws when training the network would not fit: a weight matrix larger than one typed array, or more memory
 * than `memoryLimit(backend)`. `what` names the field in the message (e.g. "students[0].hiddenSizes").
 */
export function checkTrainingMemory(what: string, net: NetworkShape, training: TrainingShape, backend?: string, totalMem?: number): MemoryEstimate {
  const e = trainingMemory(net, training);
  const layout = [net.inputSize, ...net.hiddenSizes, net.outputSize].join('-');
  if (e.largestTensor > MAX_TYPED_ARRAY_ELEMENTS) {
    throw new Error(`${what}: a ${layout} network has a weight matrix of ${e.largestTensor.toExponential(2)} values, more than one array can hold (${MAX_TYPED_ARRAY_ELEMENTS.toExponential(2)}); training it would need about ${formatBytes(e.bytes)}`);
  }
  const limit = memoryLimit(backend, totalMem);
  if (e.bytes > limit) {
    throw new Error(
      `${what}: training a ${layout} network (${e.params.toLocaleString('en')} parameters) needs about ${formatBytes(e.bytes)}, more than the ${formatBytes(limit)} available ${isWasmBound(backend) ? 'to the wasm backends (4 GiB) or half this machine\'s memory' : 'as half of this machine\'s memory'}; use smaller layers`,
    );
  }
  return e;
}
