/**
 * Models as the studio stores them (the models table: topology JSON, weights BLOB, meta JSON):
 * - a tfjs Q-network bundle (core/nn/bundle.ts): model.json, float32 weights, BundleMeta;
 * - an ONNX teacher, kept as the .onnx file it was imported from: topology {format: "onnx", input, output},
 *   weights = the file's bytes zero-padded to a multiple of 4 (the table stores whole float32 words), meta with
 *   format "distill-studio/onnx-model", the true byte length and the file's sha256.
 * `loadTeacher` turns either into a QFunction; readers that need a tfjs network (export to tfjs/js/c, further
 * training) use `decodeQNetwork`, which refuses an ONNX model with a message saying what it is.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { decodeBundle, type BundleMeta, type EncodedBundle } from '../nn/bundle.ts';
import type { QFunction } from '../nn/q-function.ts';
import type { QNetwork } from '../nn/q-network.ts';
import { APP_VERSION } from '../version.ts';
import type { OnnxInfo } from './onnx-format.ts';
import { OnnxQFunction } from './onnx-runtime.ts';

export const ONNX_MODEL_FORMAT = 'distill-studio/onnx-model';
export const ONNX_MODEL_FORMAT_VERSION = 1;

/** A bundle's meta, except that it runs on onnxruntime; hiddenSizes are inferred from the graph's Gemm/MatMul layers ([] when it is not a plain chain). */
export interface OnnxModelMeta extends Omit<BundleMeta, 'format' | 'backend'> {
  readonly format: typeof ONNX_MODEL_FORMAT;
  readonly backend: 'onnxruntime';
  readonly onnx: { readonly byteLength: number; readonly sha256: string; readonly inputName: string; readonly outputName: string; readonly opset: number | null; readonly irVersion: number; readonly producer: string };
}

export interface EncodedOnnxModel {
  readonly modelJson: { readonly format: 'onnx'; readonly input: string; readonly output: string };
  readonly weights: Uint8Array;
  readonly meta: OnnxModelMeta;
}

/** Anything the models table holds. */
export type StoredModel = EncodedBundle | EncodedOnnxModel;
export type StoredModelMeta = BundleMeta | OnnxModelMeta;

export function isOnnxModel(model: { meta: unknown }): model is EncodedOnnxModel {
  return (model.meta as { format?: unknown } | null)?.format === ONNX_MODEL_FORMAT;
}

export function encodeOnnxModel(bytes: Uint8Array, info: OnnxInfo, extra: { env: string; observationSize: number; actionCount: number; training?: Record<string, unknown> }): EncodedOnnxModel {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  return {
    modelJson: { format: 'onnx', input: info.inputName, output: info.outputName },
    weights: padded,
    meta: {
      format: ONNX_MODEL_FORMAT,
      formatVersion: ONNX_MODEL_FORMAT_VERSION,
      env: extra.env,
      observationSize: extra.observationSize,
      actionCount: extra.actionCount,
      hiddenSizes: info.hiddenSizes,
      paramCount: info.paramCount,
      backend: 'onnxruntime',
      appVersion: APP_VERSION,
      createdAt: new Date().toISOString(),
      system: { platform: process.platform, arch: process.arch, node: process.versions.node, cpus: os.cpus().length },
      onnx: { byteLength: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), inputName: info.inputName, outputName: info.outputName, opset: info.opset, irVersion: info.irVersion, producer: info.producer },
      ...(extra.training ? { training: extra.training } : {}),
    },
  };
}

/** The .onnx file's bytes of a stored ONNX model, checked against the recorded length and hash. */
export function onnxBytes(model: EncodedOnnxModel, source: string): Uint8Array {
  const meta = model.meta;
  if (meta.formatVersion > ONNX_MODEL_FORMAT_VERSION) throw new Error(`${source}: ONNX model format version ${meta.formatVersion} is newer than this studio reads (${ONNX_MODEL_FORMAT_VERSION})`);
  const n = meta.onnx?.byteLength;
  if (!Number.isInteger(n) || n > model.weights.length || model.weights.length - n >= 4) throw new Error(`${source}: stored ONNX model has ${model.weights.length} bytes, its meta says ${String(n)}`);
  const bytes = model.weights.subarray(0, n);
  if (createHash('sha256').update(bytes).digest('hex') !== meta.onnx.sha256) throw new Error(`${source}: stored ONNX model does not match its recorded sha256 (corrupt)`);
  return bytes;
}

/** The tfjs bundle of a stored model (to write as a folder); an ONNX model is refused with a message saying why. */
export function bundleOf(model: StoredModel, source: string): EncodedBundle {
  if (isOnnxModel(model)) throw new Error(`${source} is an ONNX model: it has no tfjs bundle (export it with export-model --format onnx)`);
  return model;
}

/** A tfjs Q-network from a stored model; an ONNX model is refused with a message saying why. */
export function decodeQNetwork(model: StoredModel, source: string): { network: QNetwork; meta: BundleMeta } {
  if (isOnnxModel(model)) {
    throw new Error(`${source} is an ONNX model (imported ${model.meta.onnx.producer ? `from ${model.meta.onnx.producer}` : 'as .onnx'}); it runs through onnxruntime and has no tfjs weights to train or convert`);
  }
  return decodeBundle(model, source);
}

/** The model as a teacher: a tfjs Q-network, or an onnxruntime session for an ONNX model. */
export function loadTeacher(model: StoredModel, source: string): { teacher: QFunction; meta: StoredModelMeta } {
  if (isOnnxModel(model)) return { teacher: OnnxQFunction.fromBytes(onnxBytes(model, source), source), meta: model.meta };
  const { network, meta } = decodeBundle(model, source);
  return { teacher: network, meta };
}
