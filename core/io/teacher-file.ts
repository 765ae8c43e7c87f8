/**
 * Reading a teacher trained elsewhere, whatever its file: the format is recognised from the content (not the
 * extension), then
 * - a Stable-Baselines3 DQN .zip → its MLP (q_net.q_net.*), with architecture, activation and spaces from `data`;
 * - a torch.save state dict (CleanRL's `network.*`, a bare Sequential…) or a .safetensors file → an MLP whose
 *   sizes come from the tensor shapes (the activation is not recorded in a state dict: ReLU, the default of
 *   CleanRL and SB3, is assumed and said so in the source record);
 * - an ONNX model → kept as ONNX and run by onnxruntime (any graph with one float input and one output).
 * MLPs become ordinary tfjs Q-networks. Every problem is a ModelFileError naming the file.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { EnvId } from '../envs/index.ts';
import { describe, paramCount, type QNetworkSpec } from '../nn/q-network.ts';
import { envSizes, OBSERVATION_BOUNDS, sameBound } from './env-spaces.ts';
import { ModelFileError } from './errors.ts';
import { mlpFromStateDict } from './mlp-layout.ts';
import { inspectOnnx, type OnnxInfo } from './onnx-format.ts';
import { looksLikeSafetensors, readSafetensors } from './safetensors.ts';
import { isSb3Archive, readSb3Zip, type Sb3Space } from './sb3.ts';
import { readTorchZip } from './torch-state-dict.ts';
import { isZip, readZip } from './zip.ts';

export const TEACHER_FORMATS = ['sb3-zip', 'torch-state-dict', 'safetensors', 'onnx'] as const;
export type TeacherFormat = (typeof TEACHER_FORMATS)[number];

/** Where an imported teacher came from (stored with the model). */
export interface ImportSource {
  readonly format: TeacherFormat;
  /** Absolute path at import time. */
  readonly file: string;
  readonly fileName: string;
  readonly bytes: number;
  /** sha256 of the file: the same file imported twice is detected by it. */
  readonly sha256: string;
  /** sha256 of the network's parameters (float32, layer order): the same network in another container. */
  readonly weightsSha256: string;
  readonly details: Record<string, unknown>;
}

export type ParsedTeacher =
  | { readonly kind: 'mlp'; readonly spec: QNetworkSpec; readonly values: Float32Array[]; readonly source: ImportSource; readonly spaces?: { observation: Sb3Space; action: Sb3Space } }
  | { readonly kind: 'onnx'; readonly bytes: Uint8Array; readonly info: OnnxInfo; readonly source: ImportSource };

const sha256 = (chunks: readonly Uint8Array[]) => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};

export function weightsDigest(values: readonly Float32Array[]): string {
  return sha256(values.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
}

const TORCH_PICKLE_MAGIC = 0x80;

function detect(bytes: Uint8Array, file: string): TeacherFormat | 'zip' {
  if (bytes.length === 0) throw new ModelFileError(file, 'the file is empty');
  if (isZip(bytes)) return 'zip';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  if (bytes[0] === TORCH_PICKLE_MAGIC && bytes[1] >= 2 && bytes[1] <= 5) {
    throw new ModelFileError(file, 'a legacy (pre-1.6, non-zip) torch.save file; re-save it with a current PyTorch (torch.save(state_dict, path)) or export .safetensors');
  }
  // ONNX has no magic number: a protobuf ModelProto starts with field 1 (ir_version, varint): byte 0x08.
  if (bytes[0] === 0x08) return 'onnx';
  throw new ModelFileError(file, 'not a recognised model file: expected a Stable-Baselines3 .zip, a torch.save state dict (.pt/.pth/.cleanrl_model), a .safetensors file or an .onnx model');
}

const RELU = 'ReLU';

function checkSb3Policy(sb3: ReturnType<typeof readSb3Zip>, file: string): void {
  const cls = sb3.policyClass ?? '';
  const name = cls.split('.').pop() ?? '';
  if (name === 'CnnPolicy' || sb3.featuresExtractor === 'NatureCNN') throw new ModelFileError(file, `policy class ${cls}: CNN policies are not supported yet (only MLP Q-networks on vector observations)`);
  if (name === 'MultiInputPolicy') throw new ModelFileError(file, `policy class ${cls}: dict observations (MultiInputPolicy) are not supported`);
  if (cls !== '' && !cls.startsWith('stable_baselines3.dqn.policies.')) throw new ModelFileError(file, `policy class ${cls} is not a Stable-Baselines3 DQN policy`);
  if (sb3.featuresExtractor !== null && sb3.featuresExtractor !== 'FlattenExtractor') {
    throw new ModelFileError(file, `features extractor ${sb3.featuresExtractor} is not supported (only the default FlattenExtractor)`);
  }
  if (sb3.activation !== RELU) {
    throw new ModelFileError(file, `unsupported activation ${sb3.activation} (policy_kwargs.activation_fn): the studio's Q-networks use ReLU between layers`);
  }
}

export function parseTeacherFile(bytes: Uint8Array, fileArg: string): ParsedTeacher {
  const file = path.resolve(fileArg);
  const kind = detect(bytes, file);
  const base = { file, fileName: path.basename(file), bytes: bytes.length, sha256: sha256([bytes]) };

  if (kind === 'onnx') {
    const info = inspectOnnx(bytes, file);
    return {
      kind: 'onnx',
      bytes,
      info,
      source: { ...base, format: 'onnx', weightsSha256: base.sha256, details: { inputName: info.inputName, outputName: info.outputName, opset: info.opset, irVersion: info.irVersion, producer: info.producer, opTypes: info.opTypes } },
    };
  }

  let mlp: ReturnType<typeof mlpFromStateDict>;
  let format: TeacherFormat;
  let details: Record<string, unknown>;
  let spaces: { observation: Sb3Space; action: Sb3Space } | undefined;
  if (kind === 'safetensors') {
    const st = readSafetensors(bytes, file);
    mlp = mlpFromStateDict(st.tensors, file);
    format = 'safetensors';
    details = { metadata: st.metadata, activation: `${RELU} (assumed: a state dict does not record it; the default of CleanRL and SB3)` };
  } else {
    const entries = readZip(bytes, file);
    if (isSb3Archive(entries.keys())) {
      const sb3 = readSb3Zip(entries, file);
      checkSb3Policy(sb3, file);
      mlp = mlpFromStateDict(sb3.policy, `${file}/policy.pth`, { prefix: 'q_net.q_net.' });
      // SB3's DQN builds net_arch [64, 64] when policy_kwargs has none.
      const declared = sb3.netArch ?? [64, 64];
      if (JSON.stringify(declared) !== JSON.stringify(mlp.spec.hiddenSizes)) {
        throw new ModelFileError(file, `data says net_arch ${JSON.stringify(declared)} but policy.pth holds hidden layers ${JSON.stringify(mlp.spec.hiddenSizes)}`);
      }
      format = 'sb3-zip';
      spaces = { observation: sb3.observationSpace, action: sb3.actionSpace };
      details = { sb3Version: sb3.version, policyClass: sb3.policyClass, netArch: declared, activation: sb3.activation, training: sb3.training };
    } else if ([...entries.keys()].some((k) => /^[^/]+\/data\.pkl$/.test(k))) {
      mlp = mlpFromStateDict(readTorchZip(bytes, file), file);
      format = 'torch-state-dict';
      details = { activation: `${RELU} (assumed: a state dict does not record it; the default of CleanRL and SB3)` };
    } else {
      throw new ModelFileError(file, `a zip archive that is neither a Stable-Baselines3 save (data + policy.pth) nor a torch.save archive (<name>/data.pkl); entries: ${[...entries.keys()].slice(0, 6).join(', ')}`);
    }
  }
  details = { ...details, layout: mlp.prefix === '' ? 'nn.Sequential' : mlp.prefix.replace(/\.$/, ''), layers: mlp.layers, ...(mlp.ignored.length ? { ignoredTensors: mlp.ignored } : {}), network: describe(mlp.spec), parameters: paramCount(mlp.spec) };
  return { kind: 'mlp', spec: mlp.spec, values: mlp.values, spaces, source: { ...base, format, weightsSha256: weightsDigest(mlp.values), details } };
}

function describeSpace(s: Sb3Space): string {
  return s.type === 'Discrete' ? `Discrete(${s.n})` : `${s.type}(shape [${(s.shape ?? []).join(', ')}], ${s.dtype})`;
}

/** Checks the teacher's spaces and sizes against the env it is imported for. */
export function checkTeacherForEnv(t: ParsedTeacher, env: EnvId): void {
  const file = t.source.file;
  const { observationSize, actionCount } = envSizes(env);
  const inputSize = t.kind === 'mlp' ? t.spec.inputSize : t.info.inputShape[1];
  const outputSize = t.kind === 'mlp' ? t.spec.outputSize : t.info.outputShape[1];
  if (t.kind === 'mlp' && t.spaces) {
    const { observation: o, action: a } = t.spaces;
    if (o.type !== 'Box' || !o.shape || o.shape.length !== 1) {
      throw new ModelFileError(file, `observation space ${describeSpace(o)} does not match ${env}'s Box(shape [${observationSize}], float32)${o.shape && o.shape.length > 1 ? ' (image observations need a CNN policy, not supported yet)' : ''}`);
    }
    if (o.dtype !== null && o.dtype !== 'float32' && o.dtype !== 'float64') throw new ModelFileError(file, `observation space has dtype ${o.dtype}; ${env} observes float32`);
    if (o.shape[0] !== observationSize) throw new ModelFileError(file, `observation space ${describeSpace(o)} does not match ${env}'s Box(shape [${observationSize}])`);
    if (o.low && o.high) {
      const want = OBSERVATION_BOUNDS[env];
      const bad = o.low.findIndex((v, i) => !sameBound(v, want.low[i]) || !sameBound(o.high![i], want.high[i]));
      if (bad >= 0) throw new ModelFileError(file, `observation space bounds differ from ${env}'s at dimension ${bad}: [${o.low[bad]}, ${o.high[bad]}] vs [${want.low[bad]}, ${want.high[bad]}] (was it trained on another environment?)`);
    }
    if (a.type !== 'Discrete') throw new ModelFileError(file, `action space ${describeSpace(a)} is not Discrete: DQN teachers need ${env}'s Discrete(${actionCount})`);
    if (a.n !== actionCount || (a.start ?? 0) !== 0) throw new ModelFileError(file, `action space Discrete(${a.n}${a.start ? `, start=${a.start}` : ''}) does not match ${env}'s Discrete(${actionCount})`);
  }
  if (inputSize !== observationSize) throw new ModelFileError(file, `the network takes ${String(inputSize)} observations, ${env} has ${observationSize}`);
  if (outputSize !== actionCount) throw new ModelFileError(file, `the network outputs ${String(outputSize)} Q-values, ${env} has ${actionCount} actions`);
}
