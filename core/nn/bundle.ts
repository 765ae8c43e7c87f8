/**
 * Self-describing model bundles (after SB3's save_util: data + weights + versions + system info).
 *
 * A bundle is a folder of three files:
 * - `model.json`: the network in tfjs's layers-model format (Keras topology + weightsManifest), loadable
 *   by `tf.loadLayersModel` in any tfjs program;
 * - `weights.bin`: float32 little-endian weights in manifest order;
 * - `meta.json`: what the network is for (env, sizes, backend, app version, created at, training summary).
 *
 * Writing goes to a temporary sibling folder renamed into place, so a crash never leaves half a bundle. It
 * never deletes what the studio did not write: a previous bundle of ours is replaced, an empty folder is
 * filled, and anything else (a folder holding other files, a file) is refused unless the caller says `force`,
 * which writes the three files into the folder (nothing else in it is touched) or replaces the file.
 *
 * meta.json carries the SHA-256 of weights.bin (`weightsSha256`, since 0.1.0 of the format; bundles without
 * it still load). Loading checks that the meta agrees with its environment (observation and action counts),
 * the manifest, the parameter count, the checksum and that every weight is finite, and names the file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV_IDS, ENV_SPECS, isEnvId } from '../envs/registry.ts';
import { OutputPathError, prepareOutput, refuseProtected, removeQuietly, tempPathFor, writeFailure, type OutputOptions } from '../util/safe-output.ts';
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
  /** SHA-256 (hex) of weights.bin; absent in bundles written before it was added. */
  readonly weightsSha256?: string;
}

/** The files of a bundle folder. */
export const BUNDLE_FILES = ['model.json', 'weights.bin', 'meta.json'] as const;

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
    weightsSha256: sha256(new Uint8Array(flat.buffer)),
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

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Rebuilds the network from an encoded bundle; `source` names the file or record in error messages. */
export function decodeBundle(bundle: { modelJson: unknown; weights: Uint8Array; meta: unknown }, source: string): LoadedBundle {
  const meta = checkMeta(bundle.meta, `${source}/meta.json`);
  const spec: QNetworkSpec = { inputSize: meta.observationSize, hiddenSizes: meta.hiddenSizes, outputSize: meta.actionCount };
  const shapes = paramShapes(spec);
  const expected = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  const layout = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize].join('-');
  if (typeof (meta as { paramCount?: unknown }).paramCount === 'number' && meta.paramCount !== expected) {
    throw new Error(`${source}/meta.json: says ${meta.paramCount} parameters, but a ${layout} network has ${expected}; the file was edited or damaged`);
  }
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
  if (meta.weightsSha256 !== undefined && sha256(bundle.weights) !== meta.weightsSha256) {
    throw new Error(`${source}/weights.bin: checksum mismatch with meta.json (the weights were changed or damaged after the bundle was saved)`);
  }
  const flat = new Float32Array(expected);
  new Uint8Array(flat.buffer).set(bundle.weights);
  const values: Float32Array[] = [];
  let offset = 0;
  for (const [i, shape] of shapes.entries()) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = flat.subarray(offset, offset + n);
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`${source}/weights.bin: ${layerName(i >> 1, shapes.length / 2)}/${i % 2 === 0 ? 'kernel' : 'bias'} value ${bad} is ${v[bad]} (non-finite); the network is unusable`);
    values.push(v);
    offset += n;
  }
  try {
    return { network: QNetwork.fromWeights(spec, values), meta };
  } catch (err) {
    // Shapes and values were checked above: what fails here is the tfjs side (e.g. no backend selected yet).
    throw new Error(`${source}: could not build the network (${(err as Error).message})`);
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
  if (!isEnvId(m.env)) throw new Error(`${file}: field "env" is ${JSON.stringify(m.env)}, not an environment this studio knows (${ENV_IDS.join(', ')})`);
  const env = ENV_SPECS[m.env];
  if (env.observationSize !== m.observationSize || env.actionCount !== m.actionCount) {
    throw new Error(
      `${file}: ${m.env} has ${env.observationSize} observations and ${env.actionCount} actions, but the network takes ${String(m.observationSize)} inputs and gives ${String(m.actionCount)} Q-values; this bundle does not belong to ${m.env}`,
    );
  }
  if (m.weightsSha256 !== undefined && (typeof m.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.weightsSha256))) {
    throw new Error(`${file}: field "weightsSha256" must be 64 hex digits, got ${JSON.stringify(m.weightsSha256)}`);
  }
  return m as unknown as BundleMeta;
}

/** Whether `dir` holds a bundle of ours (a meta.json with our format marker). */
export function isBundleFolder(dir: string): boolean {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { format?: unknown };
    return meta?.format === BUNDLE_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Writes the bundle to the folder `dir` and returns its absolute path. A missing folder is created whole (a
 * temporary folder renamed into place); an empty folder or a previous bundle of ours is replaced; a folder
 * holding other things, or a file, is refused unless `options.force` (then the three files are written into the
 * folder, nothing else touched, or the file is replaced). `options.protect` names files that are never
 * replaced (the open database).
 */
export function saveBundle(dir: string, bundle: EncodedBundle, options: Pick<OutputOptions, 'force' | 'protect'> = {}): string {
  const target = path.resolve(dir);
  refuseProtected(target, options.protect);
  const link = fs.lstatSync(target, { throwIfNoEntry: false });
  const st = fs.statSync(target, { throwIfNoEntry: false });
  let mode: 'create' | 'swap' | 'into' | 'replace-file';
  if (st === undefined) {
    if (link !== undefined && !options.force) throw new OutputPathError('exists', target, `${target} is a symbolic link to a missing path; pass --force to replace the link`);
    mode = link !== undefined ? 'replace-file' : 'create';
  } else if (st.isDirectory()) {
    const entries = fs.readdirSync(target);
    const others = entries.filter((e) => !(BUNDLE_FILES as readonly string[]).includes(e));
    const ours = isBundleFolder(target);
    for (const f of BUNDLE_FILES) {
      if (entries.includes(f) && !fs.statSync(path.join(target, f)).isFile()) {
        throw new OutputPathError('exists', target, `${path.join(target, f)} is not a file; the bundle was not written (nothing was changed)`);
      }
    }
    if (ours && others.length === 0 && !link?.isSymbolicLink()) mode = 'swap';
    else if (entries.length === 0 || ours || options.force) mode = 'into';
    else {
      throw new OutputPathError(
        'not-empty',
        target,
        `${target} is a folder that holds other things (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and is not a model bundle; choose a new folder, or pass --force to write the bundle's three files into it (nothing else in it is touched)`,
      );
    }
  } else {
    if (!options.force) throw new OutputPathError('not-a-folder', target, `${target} is a file, not a bundle folder; choose another path, or pass --force to replace the file`);
    mode = 'replace-file';
  }

  const { tmp } = prepareOutput(target, 'bundle');
  const contents: Record<(typeof BUNDLE_FILES)[number], string | Uint8Array> = {
    'model.json': JSON.stringify(bundle.modelJson, null, 1),
    'weights.bin': bundle.weights,
    'meta.json': JSON.stringify(bundle.meta, null, 2),
  };
  try {
    fs.mkdirSync(tmp);
    for (const f of BUNDLE_FILES) {
      const fd = fs.openSync(path.join(tmp, f), 'wx');
      try {
        fs.writeFileSync(fd, contents[f]);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    if (mode === 'create') fs.renameSync(tmp, target);
    else if (mode === 'swap' || mode === 'replace-file') {
      // Move the old one aside (it is ours, or the user asked), put the new one in place, then drop the old one.
      const old = tempPathFor(target, 'bundle-old');
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (err) {
        fs.renameSync(old, target);
        throw err;
      }
      removeQuietly(old);
    } else {
      // Into an existing folder: meta.json last, so a crash in between leaves a bundle whose checksum fails.
      for (const f of ['weights.bin', 'model.json', 'meta.json'] as const) fs.renameSync(path.join(tmp, f), path.join(target, f));
      fs.rmdirSync(tmp);
    }
  } catch (err) {
    removeQuietly(tmp);
    throw writeFailure(target, err);
  }
  return target;
}

export function loadBundle(dir: string): LoadedBundle {
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (st === undefined) throw new Error(`${dir}: no such model bundle folder`);
  if (!st.isDirectory()) throw new Error(`${dir} is a file, not a model bundle folder (a folder with model.json, weights.bin and meta.json)`);
  const read = (name: string): Buffer => {
    const file = path.join(dir, name);
    const f = fs.statSync(file, { throwIfNoEntry: false });
    if (f === undefined) throw new Error(`${file}: missing (is ${dir} a model bundle folder?)`);
    if (!f.isFile()) throw new Error(`${file} is ${f.isDirectory() ? 'a folder' : 'not a regular file'}, not the bundle's ${name}`);
    return fs.readFileSync(file);
  };
  const parse = (name: string): unknown => {
    const bytes = read(name);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (err) {
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
