/**
 * Exporting a model so that it runs outside the studio, each format checked when written: the exported model's
 * Q-values on the given states (1,000 knowledge-base states, chosen by the caller) must match the tfjs model's
 * within EXPORT_TOLERANCE (relative, see below) and its greedy actions must agree on all of them. The check
 * runs on the written bytes before they are moved into place; a failed check leaves nothing behind.
 *
 * - onnx: Gemm + Relu, opset 13, loaded back with onnxruntime;
 * - tfjs: the tfjs layers format (model.json + weights.bin, plus the studio's meta.json), loaded back with
 *   tf.loadLayersModel;
 * - js:   a dependency-free ES module (`act`, `q`), imported back and run;
 * - c:    a single C header (`<name>_act`, `<name>_q`), compiled with the machine's cc -O2 into a checker and
 *         run; where no C compiler exists, its float32 arithmetic is emulated instead (the result says which).
 *
 * Tolerance: |q_export − q_tfjs| ≤ 1e-5 · max(1, |q_tfjs|). An absolute 1e-5 cannot be asked of float32 Q-values
 * of ~100 (CartPole's scale, γ = 0.99): the spacing of float32 numbers there is 7.6e-6, and two correct float32
 * evaluations that sum in a different order differ by a few of those. Greedy actions must agree on every state
 * except where the tfjs Q-values of the two best actions are themselves within that tolerance (a tie at float32
 * precision, counted and reported as `nearTies`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeBundle } from '../nn/bundle.ts';
import type { QFunction } from '../nn/q-function.ts';
import { argmax, describe, type QNetwork } from '../nn/q-network.ts';
import { tf } from '../nn/tf.ts';
import { APP_VERSION } from '../version.ts';
import { writeChecked } from './atomic-write.ts';
import { compileAndRun, findCCompiler } from './c-compiler.ts';
import { cHeaderSource, emulateCHeader, jsModuleSource } from './export-sources.ts';
import { encodeOnnxMlp, inspectOnnx, ONNX_OPSET } from './onnx-format.ts';
import { OnnxQFunction } from './onnx-runtime.ts';
import { decodeQNetwork, isOnnxModel, onnxBytes, type StoredModel } from './stored-model.ts';

export const EXPORT_FORMATS = ['onnx', 'tfjs', 'js', 'c'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_TOLERANCE = 1e-5;

export interface ExportCheck {
  readonly states: number;
  /** Where the states came from (a knowledge base id, or a rollout of the model). */
  readonly statesSource: string;
  /** How the exported model was run: onnxruntime, tf.loadLayersModel, import(), cc -O2, emulated. */
  readonly method: string;
  readonly maxAbsDiff: number;
  readonly maxRelDiff: number;
  readonly tolerance: number;
  readonly actionsAgree: number;
  readonly nearTies: number;
}

export interface ExportResult {
  readonly format: ExportFormat;
  /** The file or folder written. */
  readonly path: string;
  readonly bytes: number;
  readonly check: ExportCheck;
}

export interface ExportOptions {
  readonly format: ExportFormat;
  readonly out: string;
  readonly force: boolean;
  /** Observations to check the export on (count × observationSize). */
  readonly states: Float32Array;
  readonly statesSource: string;
  /** One line describing the model, for comments and metadata. */
  readonly title: string;
  /** C identifier prefix of the header's functions and constants (default "distill"). */
  readonly cName?: string;
}

export class ExportCheckError extends Error {
  override name = 'ExportCheckError';
}

/** Largest |a − b| and largest |a − b| / max(1, |b|) (NaN counts as infinitely far). */
export function qDifference(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number; worst: number } {
  let abs = 0;
  let rel = 0;
  let worst = -1;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
    const r = d / Math.max(1, Math.abs(b[i]));
    if (!(r <= rel)) {
      rel = Number.isNaN(r) ? Infinity : r;
      worst = i;
    }
  }
  return { abs, rel, worst };
}

/** Compares exported Q-values (and optionally exported greedy actions) with the reference; throws on a mismatch. */
export function compareExport(reference: Float32Array, got: Float32Array, actions: number, gotActions: ArrayLike<number> | null, meta: { states: number; statesSource: string; method: string; what: string }): ExportCheck {
  if (got.length !== reference.length) throw new ExportCheckError(`${meta.what}: ${got.length} Q-values for ${meta.states} states, expected ${reference.length}`);
  const { abs: maxAbs, rel: maxRel, worst } = qDifference(got, reference);
  if (!(maxRel <= EXPORT_TOLERANCE)) {
    const s = Math.floor(worst / actions);
    throw new ExportCheckError(`${meta.what}: Q-values differ from the tfjs model's by up to ${maxRel.toExponential(3)} (relative; tolerance ${EXPORT_TOLERANCE}), e.g. state ${s} action ${worst % actions}: ${got[worst]} vs ${reference[worst]}`);
  }
  let agree = 0;
  let nearTies = 0;
  for (let s = 0; s < meta.states; s++) {
    const want = argmax(reference, s * actions, actions);
    const have = gotActions ? gotActions[s] : argmax(got, s * actions, actions);
    if (have === want) {
      agree++;
      continue;
    }
    const gap = reference[s * actions + want] - reference[s * actions + have];
    if (gap <= EXPORT_TOLERANCE * Math.max(1, Math.abs(reference[s * actions + want]))) nearTies++;
    else throw new ExportCheckError(`${meta.what}: greedy action ${have} on state ${s}, the tfjs model's is ${want} (Q gap ${gap})`);
  }
  return { states: meta.states, statesSource: meta.statesSource, method: meta.method, maxAbsDiff: maxAbs, maxRelDiff: maxRel, tolerance: EXPORT_TOLERANCE, actionsAgree: agree, nearTies };
}

function checkOnnxFile(file: string, reference: Float32Array, o: ExportOptions, actions: number): ExportCheck {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const info = inspectOnnx(bytes, file);
  if (info.opset !== null && info.opset < ONNX_OPSET) throw new ExportCheckError(`${file}: opset ${info.opset} < ${ONNX_OPSET}`);
  const q = OnnxQFunction.fromBytes(bytes, file);
  try {
    const count = o.states.length / q.spec.inputSize;
    return compareExport(reference, q.predict(o.states, count), actions, null, { states: count, statesSource: o.statesSource, method: `onnxruntime-node (opset ${info.opset}, ${info.opTypes.join('+')})`, what: file });
  } finally {
    q.dispose();
  }
}

async function checkTfjsFolder(dir: string, reference: Float32Array, o: ExportOptions, n: number, actions: number): Promise<ExportCheck> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const weightData = new Uint8Array(fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]))).buffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  try {
    const count = o.states.length / n;
    const out = tf.tidy(() => model.predict(tf.tensor2d(o.states, [count, n])) as tf.Tensor);
    const got = out.dataSync() as Float32Array;
    out.dispose();
    return compareExport(reference, got, actions, null, { states: count, statesSource: o.statesSource, method: 'tf.loadLayersModel', what: dir });
  } finally {
    model.dispose();
  }
}

async function checkJsModule(file: string, reference: Float32Array, o: ExportOptions, n: number, actions: number): Promise<ExportCheck> {
  // Imported from the written bytes as a data: URL, so it is an ES module whatever the file's extension and
  // the nearest package.json say (a .js file outside an ESM package would load as CommonJS in Node 20).
  const url = `data:text/javascript;base64,${fs.readFileSync(file).toString('base64')}`;
  const mod = (await import(url)) as { q(obs: Float32Array): Float32Array; act(obs: Float32Array): number; observationSize: number };
  if (typeof mod.q !== 'function' || typeof mod.act !== 'function') throw new ExportCheckError(`${file}: the module does not export q and act`);
  const count = o.states.length / n;
  const got = new Float32Array(count * actions);
  const acts = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    const obs = o.states.subarray(s * n, s * n + n);
    got.set(mod.q(obs), s * actions);
    acts[s] = mod.act(obs);
  }
  return compareExport(reference, got, actions, acts, { states: count, statesSource: o.statesSource, method: 'import() in Node', what: file });
}

function checkCHeader(file: string, network: QNetwork, reference: Float32Array, o: ExportOptions, name: string): ExportCheck {
  const { inputSize: n, outputSize: a } = network.spec;
  const count = o.states.length / n;
  if (!findCCompiler()) {
    const got = emulateCHeader(network.spec, network.getWeights(), o.states, count);
    return compareExport(reference, got, a, null, { states: count, statesSource: o.statesSource, method: 'emulated float32 arithmetic (no C compiler found)', what: file });
  }
  // A checker program: reads observations from stdin, writes each state's Q-values and greedy action.
  const checker = `#include <stdio.h>
#include ${JSON.stringify(path.resolve(file))}
int main(void) {
  float obs[${n}], q[${a}];
  while (fread(obs, sizeof(float), ${n}, stdin) == ${n}) {
    int act = ${name}_act(obs);
    float a = (float)act;
    ${name}_q(obs, q);
    fwrite(q, sizeof(float), ${a}, stdout);
    fwrite(&a, sizeof(float), 1, stdout);
  }
  return 0;
}
`;
  const out = compileAndRun(checker, new Uint8Array(o.states.buffer, o.states.byteOffset, o.states.byteLength));
  const rows = new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  if (rows.length !== count * (a + 1)) throw new ExportCheckError(`${file}: the compiled checker returned ${rows.length} numbers for ${count} states`);
  const got = new Float32Array(count * a);
  const acts = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    got.set(rows.subarray(s * (a + 1), s * (a + 1) + a), s * a);
    acts[s] = rows[s * (a + 1) + a];
  }
  return compareExport(reference, got, a, acts, { states: count, statesSource: o.statesSource, method: `${findCCompiler()} -O2 -std=c99, compiled and run`, what: file });
}

function totalBytes(p: string): number {
  const st = fs.statSync(p);
  return st.isDirectory() ? fs.readdirSync(p).reduce((s, f) => s + fs.statSync(path.join(p, f)).size, 0) : st.size;
}

/** Writes `model` in `options.format` to `options.out`, checks it, and moves it into place. */
export async function exportModel(model: StoredModel, source: string, o: ExportOptions): Promise<ExportResult> {
  const target = path.resolve(o.out);
  if (isOnnxModel(model)) {
    if (o.format !== 'onnx') throw new Error(`${source} is an ONNX model (imported as .onnx, run by onnxruntime); it can be exported as onnx only, not ${o.format}`);
    const bytes = onnxBytes(model, source);
    const teacher: QFunction = OnnxQFunction.fromBytes(bytes, source);
    try {
      const reference = teacher.predict(o.states, o.states.length / teacher.spec.inputSize);
      const check = await writeChecked(target, { kind: 'file', bytes }, o.force, (tmp) => checkOnnxFile(tmp, reference, o, teacher.spec.outputSize));
      return { format: o.format, path: target, bytes: totalBytes(target), check };
    } finally {
      teacher.dispose();
    }
  }
  const { network, meta } = decodeQNetwork(model, source);
  try {
    const { inputSize: n, outputSize: a } = network.spec;
    if (o.states.length === 0 || o.states.length % n !== 0) throw new Error(`export check: ${o.states.length} numbers are not whole observations of ${n}`);
    const reference = network.predict(o.states, o.states.length / n);
    const values = network.getWeights();
    const info = { title: o.title, appVersion: APP_VERSION, env: meta.env };
    let check: ExportCheck;
    switch (o.format) {
      case 'onnx': {
        const bytes = encodeOnnxMlp(network.spec, values, {
          docString: `Distill Studio ${APP_VERSION}: ${o.title}. Input obs [batch, ${n}] (${meta.env} observations), output q_values [batch, ${a}]; greedy action = argmax.`,
          metadata: { env: meta.env, network: describe(network.spec), source },
          producerVersion: APP_VERSION,
        });
        check = await writeChecked(target, { kind: 'file', bytes }, o.force, (tmp) => checkOnnxFile(tmp, reference, o, a));
        break;
      }
      case 'tfjs': {
        const bundle = encodeBundle(network, { env: meta.env, backend: meta.backend, training: { ...(meta.training ?? {}), exportedFrom: source } });
        const files = { 'model.json': JSON.stringify(bundle.modelJson, null, 1), 'weights.bin': bundle.weights, 'meta.json': JSON.stringify(bundle.meta, null, 2) };
        check = await writeChecked(target, { kind: 'folder', files }, o.force, (tmp) => checkTfjsFolder(tmp, reference, o, n, a));
        break;
      }
      case 'js':
        check = await writeChecked(target, { kind: 'file', bytes: jsModuleSource(network.spec, values, info) }, o.force, (tmp) => checkJsModule(tmp, reference, o, n, a));
        break;
      case 'c': {
        const name = o.cName ?? 'distill';
        check = await writeChecked(target, { kind: 'file', bytes: cHeaderSource(network.spec, values, { ...info, name }) }, o.force, (tmp) => checkCHeader(tmp, network, reference, o, name));
        break;
      }
    }
    return { format: o.format, path: target, bytes: totalBytes(target), check };
  } finally {
    network.dispose();
  }
}
