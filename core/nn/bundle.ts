/**
 * Self-describing model bundles (after SB3's save_util: data + weights + versions + system info).
 *
 * A bundle is a folder of three files:
 * - `model.json`: the network in tfjs's layers-model format (Keras topology + weightsManifest), loadable
 *   by `tf.loadLayersModel` in any tfjs program;
 * - `weights.bin`: float32 little-endian weights in manifest order;
 * - `meta.json`: what the network is for (env, sizes, backend, app version, created at, training summary).
 *
 * Writing goes to a temporary sibling folder renamed into place, so a crash never leaves half a bundle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_VERSION } from '../version.ts';
import { QNetwork, paramShapes, type QNetworkSpec } from './q-network.ts';
import { tf } from './tf.ts';

export const BUNDLE_FORMAT = 'distill-studio/q-network';
export const BUNDLE_FORMAT_VERSION = 1;

export interface BundleMeta {
  readonly format: typeof BUNDLE_FORMAT;
  readonly formatVersion: number;
  readonly env: string;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly hiddenSizes: readonly number[];
  readonly paramCount: number;
  /** Backend the network was trained on. */
  readonly backend: string;
  readonly appVersion: string;
  readonly createdAt: string;
  readonly system: { readonly platform: string; readonly arch: string; readonly node: string; readonly cpus: number };
  /** Free-form training summary (role, seed, preset, env steps, evaluation…). */
  readonly training?: Record<string, unknown>;
}

export interface EncodedBundle {
  readonly modelJson: Record<string, unknown>;
  readonly weights: Uint8Array;
  readonly meta: BundleMeta;
}

export interface LoadedBundle {
  readonly network: QNetwork;
  readonly meta: BundleMeta;
}

const layerName = (i: number, count: number) => (i + 1 === count ? 'q_values' : `hidden_${i}`);

/** Keras/tfjs topology for the MLP, as `tf.LayersModel.toJSON` would write it. */
function topology(spec: QNetworkSpec): Record<string, unknown> {
  const units = [...spec.hiddenSizes, spec.outputSize];
  const layers = units.map((u, i) => ({
    class_name: 'Dense',
    config: {
      name: layerName(i, units.length),
      trainable: true,
      units: u,
      activation: i + 1 < units.length ? 'relu' : 'linear',
      use_bias: true,
      kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'uniform', seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      dtype: 'float32',
      ...(i === 0 ? { batch_input_shape: [null, spec.inputSize] } : {}),
    },
  }));
  return { class_name: 'Sequential', config: { name: 'q_network', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
}

export function encodeBundle(network: QNetwork, info: { env: string; backend: string; training?: Record<string, unknown> }): EncodedBundle {
  const spec = network.spec;
  const values = network.getWeights();
  const count = spec.hiddenSizes.length + 1;
  const manifestWeights = paramShapes(spec).map((shape, i) => ({
    name: `${layerName(i >> 1, count)}/${i % 2 === 0 ? 'kernel' : 'bias'}`,
    shape,
    dtype: 'float32',
  }));
  const total = values.reduce((n, v) => n + v.length, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const v of values) {
    flat.set(v, offset);
    offset += v.length;
  }
  const meta: BundleMeta = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    env: info.env,
    observationSize: spec.inputSize,
    actionCount: spec.outputSize,
    hiddenSizes: [...spec.hiddenSizes],
    paramCount: network.paramCount,
    backend: info.backend,
    appVersion: APP_VERSION,
    createdAt: new Date().toISOString(),
    system: { platform: process.platform, arch: process.arch, node: process.versions.node, cpus: os.cpus().length },
    ...(info.training ? { training: info.training } : {}),
  };
  const modelJson = {
    format: 'layers-model',
    generatedBy: `distill-studio ${APP_VERSION}`,
    convertedBy: null,
    modelTopology: topology(spec),
    weightsManifest: [{ paths: ['weights.bin'], weights: manifestWeights }],
    userDefinedMetadata: { distillStudio: { format: BUNDLE_FORMAT, formatVersion: BUNDLE_FORMAT_VERSION } },
  };
  return { modelJson, weights: new Uint8Array(flat.buffer), meta };
}

/** Rebuilds the network from an encoded bundle; `source` names the file or record in error messages. */
export function decodeBundle(bundle: { modelJson: unknown; weights: Uint8Array; meta: unknown }, source: string): LoadedBundle {
  const meta = checkMeta(bundle.meta, `${source}/meta.json`);
  const spec: QNetworkSpec = { inputSize: meta.observationSize, hiddenSizes: meta.hiddenSizes, outputSize: meta.actionCount };
  const shapes = paramShapes(spec);
  const expected = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  const manifest = (bundle.modelJson as { weightsManifest?: { weights?: { shape?: number[] }[] }[] } | null)?.weightsManifest?.[0]?.weights;
  if (!Array.isArray(manifest) || manifest.length !== shapes.length) {
    throw new Error(`${source}/model.json: weightsManifest does not describe a ${[spec.inputSize, ...spec.hiddenSizes, spec.outputSize].join('-')} network`);
  }
  manifest.forEach((w, i) => {
    if (JSON.stringify(w.shape) !== JSON.stringify(shapes[i])) {
      throw new Error(`${source}/model.json: weight ${i} has shape ${JSON.stringify(w.shape)}, meta.json implies ${JSON.stringify(shapes[i])}`);
    }
  });
  if (bundle.weights.byteLength !== expected * 4) {
    throw new Error(`${source}/weights.bin: expected ${expected * 4} bytes (${expected} float32 weights), found ${bundle.weights.byteLength}`);
  }
  const flat = new Float32Array(expected);
  new Uint8Array(flat.buffer).set(bundle.weights);
  const values: Float32Array[] = [];
  let offset = 0;
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    values.push(flat.subarray(offset, offset + n));
    offset += n;
  }
  try {
    return { network: QNetwork.fromWeights(spec, values), meta };
  } catch (err) {
    throw new Error(`${source}/weights.bin: ${(err as Error).message}`);
  }
}

function checkMeta(raw: unknown, file: string): BundleMeta {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${file}: not a JSON object`);
  const m = raw as Record<string, unknown>;
  if (m.format !== BUNDLE_FORMAT) throw new Error(`${file}: not a Distill Studio model bundle (format ${JSON.stringify(m.format)})`);
  if (typeof m.formatVersion !== 'number' || m.formatVersion > BUNDLE_FORMAT_VERSION) {
    throw new Error(`${file}: bundle format version ${String(m.formatVersion)} is newer than this studio reads (${BUNDLE_FORMAT_VERSION}); upgrade Distill Studio`);
  }
  const posInt = (k: string) => {
    if (!Number.isInteger(m[k]) || (m[k] as number) < 1) throw new Error(`${file}: field "${k}" must be a positive integer, got ${JSON.stringify(m[k])}`);
  };
  posInt('observationSize');
  posInt('actionCount');
  if (!Array.isArray(m.hiddenSizes) || !m.hiddenSizes.every((h) => Number.isInteger(h) && h > 0)) {
    throw new Error(`${file}: field "hiddenSizes" must be a list of positive integers, got ${JSON.stringify(m.hiddenSizes)}`);
  }
  if (typeof m.env !== 'string') throw new Error(`${file}: field "env" must be a string`);
  return m as unknown as BundleMeta;
}

export function saveBundle(dir: string, bundle: EncodedBundle): string {
  const target = path.resolve(dir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(bundle.modelJson, null, 1));
    fs.writeFileSync(path.join(tmp, 'weights.bin'), bundle.weights);
    fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(bundle.meta, null, 2));
    if (fs.existsSync(target)) fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

export function loadBundle(dir: string): LoadedBundle {
  const read = (name: string): Buffer => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`${file}: missing (is ${dir} a model bundle folder?)`);
    return fs.readFileSync(file);
  };
  const parse = (name: string): unknown => {
    try {
      return JSON.parse(read(name).toString('utf8'));
    } catch (err) {
      if ((err as Error).message.includes('missing')) throw err;
      throw new Error(`${path.join(dir, name)}: corrupt JSON (${(err as Error).message})`);
    }
  };
  const meta = parse('meta.json');
  const modelJson = parse('model.json');
  const weights = new Uint8Array(read('weights.bin'));
  return decodeBundle({ modelJson, meta, weights }, dir);
}

/** Loads an encoded bundle with tfjs's own layers loader (proves the format is standard tfjs). */
export async function loadAsLayersModel(bundle: EncodedBundle): Promise<tf.LayersModel> {
  const json = bundle.modelJson as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const buffer = bundle.weights.slice().buffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: buffer }));
}
