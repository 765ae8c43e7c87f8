/**
 * ONNX models run by onnxruntime-node (Microsoft's ONNX Runtime, CPU build bundled in the npm package).
 *
 * onnxruntime-node is an optionalDependency: its binaries exist for Linux/macOS/Windows on x64/arm64 only, so the
 * studio installs and runs without it elsewhere; then ONNX import and ONNX export say so clearly.
 *
 * The studio's teacher interface (QFunction) is synchronous, as knowledge extraction and the live-teacher soft
 * targets call it inside their loops. onnxruntime-node's public `InferenceSession.run` is a Promise around a
 * synchronous native call (it defers the call with setImmediate); the teacher uses that native session directly
 * (`dist/binding`). The package is pinned to ~1.30, and a test checks that this path gives the same Q-values as
 * the public API, so an upgrade that moves it fails there rather than in a run.
 */
import { createRequire } from 'node:module';
import { greedyActions, type QFunction } from '../nn/q-function.ts';
import type { QNetworkSpec } from '../nn/q-network.ts';
import { ModelFileError, reason } from './errors.ts';
import { inspectOnnx, type OnnxInfo } from './onnx-format.ts';

type OrtTensor = { data: unknown; dims: readonly number[]; type: string };
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: { name: string; shape: number[]; symbolicDimensions: string[] }[];
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}
/** The part of onnxruntime-node's public API the studio uses (typed here: the package is optional). */
export interface PublicOrt {
  readonly env: { versions?: Record<string, string> };
  readonly Tensor: unknown;
  readonly InferenceSession: {
    create(model: Uint8Array, options?: object): Promise<{
      run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
      release(): Promise<void>;
    }>;
  };
}
export interface OnnxRuntime {
  readonly version: string;
  /** The public API (`import * as ort from 'onnxruntime-node'`). */
  readonly ort: PublicOrt;
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  createNativeSession(): NativeSession;
}

let runtime: OnnxRuntime | null = null;
let loadError: string | null = null;

/** Session options for the small models the studio runs: one thread (a thread pool costs more than it saves). */
export const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;

/** Loads onnxruntime-node once; throws a clear error where it is not installed or cannot load. */
export function onnxRuntime(): OnnxRuntime {
  if (runtime) return runtime;
  if (loadError) throw new Error(loadError);
  const require = createRequire(import.meta.url);
  try {
    const ort = require('onnxruntime-node') as PublicOrt;
    const native = require('onnxruntime-node/dist/binding.js') as { binding: { InferenceSession: new () => NativeSession }; initOrt(): void };
    if (typeof native.binding?.InferenceSession !== 'function' || typeof native.initOrt !== 'function') {
      throw new Error(`onnxruntime-node ${ort.env.versions?.node ?? '?'} does not expose its native session where 1.30 did (dist/binding.js)`);
    }
    runtime = {
      version: String(ort.env.versions?.node ?? 'unknown'),
      ort,
      Tensor: ort.Tensor as unknown as OnnxRuntime['Tensor'],
      createNativeSession: () => {
        native.initOrt();
        return new native.binding.InferenceSession();
      },
    };
    return runtime;
  } catch (err) {
    loadError = `onnxruntime-node is not available on this machine (${process.platform}-${process.arch}): ${reason(err)}. It is an optional dependency; ONNX import and export need it (npm install onnxruntime-node@~1.30)`;
    throw new Error(loadError);
  }
}

export function onnxRuntimeAvailable(): boolean {
  try {
    onnxRuntime();
    return true;
  } catch {
    return false;
  }
}

/** A teacher (or any Q-function) whose forward pass is an ONNX graph run by onnxruntime. */
export class OnnxQFunction implements QFunction {
  readonly spec: QNetworkSpec;
  readonly paramCount: number;
  readonly info: OnnxInfo;
  private session: NativeSession | null;
  private readonly fixedBatch: number | null;
  private readonly rt: OnnxRuntime;

  private constructor(rt: OnnxRuntime, session: NativeSession, info: OnnxInfo, spec: QNetworkSpec) {
    this.rt = rt;
    this.session = session;
    this.info = info;
    this.spec = spec;
    this.paramCount = info.paramCount;
    const b = session.inputMetadata[0]?.shape[0];
    this.fixedBatch = typeof b === 'number' && b > 0 ? b : null;
    if (this.fixedBatch !== null && this.fixedBatch !== 1) {
      session.dispose();
      throw new Error(`input "${info.inputName}" has a fixed batch size of ${b}; export it with a dynamic batch axis or batch 1`);
    }
  }

  /**
   * Loads `bytes` (an .onnx file) after checking its graph; `file` names it in errors. Q-values are read once
   * for a probe batch, so a model that loads but cannot run with [batch, n] inputs fails here.
   */
  static fromBytes(bytes: Uint8Array, file: string): OnnxQFunction {
    const info = inspectOnnx(bytes, file);
    const inputSize = info.inputShape[1];
    const outputSize = info.outputShape[1];
    if (typeof inputSize !== 'number' || typeof outputSize !== 'number') {
      throw new ModelFileError(file, `input and output widths must be fixed numbers, found [${info.inputShape.join(', ')}] → [${info.outputShape.join(', ')}]`);
    }
    let rt: OnnxRuntime;
    try {
      rt = onnxRuntime();
    } catch (err) {
      throw new ModelFileError(file, `cannot run this ONNX model: ${reason(err)}`);
    }
    const session = rt.createNativeSession();
    let q: OnnxQFunction;
    try {
      session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, SESSION_OPTIONS);
      q = new OnnxQFunction(rt, session, info, { inputSize, hiddenSizes: info.hiddenSizes, outputSize });
    } catch (err) {
      session.dispose();
      throw new ModelFileError(file, `onnxruntime cannot load the model: ${reason(err)}`);
    }
    try {
      const probe = q.predict(new Float32Array(inputSize * 2), 2);
      if (probe.length !== 2 * outputSize) throw new Error(`a batch of 2 gave ${probe.length} values, expected ${2 * outputSize}`);
    } catch (err) {
      q.dispose();
      throw new ModelFileError(file, `onnxruntime cannot run the model on a [2, ${inputSize}] batch: ${reason(err)}`);
    }
    return q;
  }

  predict(obs: Float32Array, batch: number): Float32Array {
    const s = this.session;
    if (!s) throw new Error('this ONNX model was disposed');
    const n = this.spec.inputSize;
    const a = this.spec.outputSize;
    if (this.fixedBatch === 1 && batch > 1) {
      const out = new Float32Array(batch * a);
      for (let b = 0; b < batch; b++) out.set(this.predict(obs.subarray(b * n, b * n + n), 1), b * a);
      return out;
    }
    // A copy: the native side reads the typed array's whole buffer region, and `obs` is often a view.
    const input = new this.rt.Tensor('float32', Float32Array.from(obs.subarray(0, batch * n)), [batch, n]);
    const result = s.run({ [this.info.inputName]: input }, { [this.info.outputName]: null }, {})[this.info.outputName];
    const data = result.data as Float32Array;
    if (!(data instanceof Float32Array) || data.length !== batch * a) throw new Error(`ONNX output "${this.info.outputName}" has ${String((data as { length?: number })?.length)} values for a batch of ${batch}, expected ${batch * a}`);
    return data;
  }

  act(obs: Float32Array, batch: number, into?: Int32Array): Int32Array {
    return greedyActions(this.predict(obs, batch), batch, this.spec.outputSize, into);
  }

  dispose(): void {
    this.session?.dispose();
    this.session = null;
  }
}
