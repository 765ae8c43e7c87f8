import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../../core/io/errors.ts';
import { OnnxQFunction, onnxRuntime } from '../../core/io/onnx-runtime.ts';
import { isOnnxModel, loadTeacher } from '../../core/io/stored-model.ts';
import { checkTeacherForEnv, parseTeacherFile } from '../../core/io/teacher-file.ts';
import { parseTorchPickle } from '../../core/io/torch-state-dict.ts';
import { QNetwork } from '../../core/nn/q-network.ts';
import { openDatabase } from '../../db/index.ts';
import { DuplicateImportError, importTeacher } from '../../electron/service/model-io.ts';
import { useBackend } from '../helpers.ts';
import { GOOD_FIXTURES, editedSb3, fixture, fixtureBytes, qDifference, reference } from './fixtures.ts';

await useBackend();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'import-teacher-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const parse = (name: string) => parseTeacherFile(fixtureBytes(name), fixture(name));
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFileError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('importing a PyTorch-trained CartPole teacher', () => {
  const ref = reference();

  it('the fixtures are a real teacher (64-64, final greedy return 500 in PyTorch)', () => {
    expect(ref.hidden).toEqual([64, 64]);
    expect(ref.peerFinalEvalMean).toBe(500);
    expect(ref.count).toBe(400);
  });

  it.each(GOOD_FIXTURES)('%s gives torch\'s Q-values to 1e-5', (name) => {
    const t = parse(name);
    checkTeacherForEnv(t, 'CartPole-v1');
    const net = t.kind === 'mlp' ? QNetwork.fromWeights(t.spec, t.values) : OnnxQFunction.fromBytes(t.bytes, name);
    try {
      expect(net.spec).toMatchObject({ inputSize: 4, outputSize: 2, hiddenSizes: [64, 64] });
      expect(net.paramCount).toBe(4610);
      const d = qDifference(net.predict(ref.obs, ref.count), ref.qFlat);
      // float32 throughout: |Q| reaches 132 on these probes, where one float32 step is 1.5e-5, so the bound is
      // relative (|ΔQ| ≤ 1e-5·max(1, |Q|)); the absolute difference is a few float32 steps.
      expect(d.rel).toBeLessThanOrEqual(1e-5);
      expect(d.abs).toBeLessThan(1e-4);
    } finally {
      net.dispose();
    }
  });

  it('records where each layout came from', () => {
    expect(parse('cartpole-sb3-dqn.zip').source).toMatchObject({ format: 'sb3-zip', details: { sb3Version: '2.3.2', policyClass: 'stable_baselines3.dqn.policies.DQNPolicy', netArch: [64, 64], activation: 'ReLU', layout: 'q_net.q_net', training: { num_timesteps: 40000, seed: 1 } } });
    expect(parse('cartpole-cleanrl.cleanrl_model').source).toMatchObject({ format: 'torch-state-dict', details: { layout: 'network', layers: ['network.0.weight', 'network.2.weight', 'network.4.weight'] } });
    expect(parse('cartpole-torch-sequential.pt').source.details).toMatchObject({ layout: 'nn.Sequential' });
    expect(parse('cartpole-teacher.safetensors').source).toMatchObject({ format: 'safetensors', details: { metadata: { format: 'pt' } } });
    expect(parse('cartpole-teacher.onnx').source).toMatchObject({ format: 'onnx', details: { inputName: 'obs', outputName: 'q_values', opset: 13, opTypes: ['Gemm', 'Relu'] } });
    // The SB3 target network (q_net_target.*) is recognised and left out.
    expect(parse('cartpole-sb3-dqn.zip').source.details.ignoredTensors).toEqual(expect.arrayContaining(['q_net_target.q_net.0.weight']));
    // Same network, same weights digest, whatever the container.
    const digests = new Set(['cartpole-sb3-dqn.zip', 'cartpole-cleanrl.cleanrl_model', 'cartpole-torch-sequential.pt', 'cartpole-teacher.safetensors'].map((f) => parse(f).source.weightsSha256));
    expect(digests.size).toBe(1);
  });

  it('the synchronous ONNX teacher gives what onnxruntime-node\'s public API gives', async () => {
    const { ort } = onnxRuntime();
    const bytes = fixtureBytes('cartpole-teacher.onnx');
    const session = await ort.InferenceSession.create(bytes);
    const Tensor = ort.Tensor as new (t: string, d: Float32Array, dims: number[]) => never;
    const out = (await session.run({ obs: new Tensor('float32', ref.obs, [ref.count, 4]) })).q_values.data as Float32Array;
    await session.release();
    const q = OnnxQFunction.fromBytes(bytes, 'teacher.onnx');
    expect(Array.from(q.predict(ref.obs, ref.count))).toEqual(Array.from(out));
    // A view into a larger buffer is read from its own offset.
    const padded = new Float32Array(ref.obs.length + 8);
    padded.set(ref.obs, 8);
    expect(Array.from(q.predict(padded.subarray(8), ref.count))).toEqual(Array.from(out));
    q.dispose();
  });
});

describe('import into the studio database', () => {
  const db = openDatabase(':memory:');
  afterAll(() => db.close());

  it('evaluates the teacher on the test seeds and stores it with its source; tfjs and ONNX teachers load back', async () => {
    const sb3 = await importTeacher(db, { file: fixture('cartpole-sb3-dqn.zip'), env: 'CartPole-v1' });
    expect(sb3).toMatchObject({ runtime: 'tfjs', network: '4-64-64-2', params: 4610, evaluation: { episodes: 20, mean: 500 } });
    expect(sb3.randomEvaluation.mean).toBeLessThan(40);
    const onnx = await importTeacher(db, { file: fixture('cartpole-teacher.onnx'), env: 'CartPole-v1', evalEpisodes: 5 });
    expect(onnx).toMatchObject({ runtime: 'onnxruntime', network: '4-64-64-2', params: 4610, evaluation: { episodes: 5, mean: 500 } });

    const rows = db.models.list({ kind: 'imported' });
    expect(rows.map((r) => [r.id, r.runId])).toEqual([[sb3.modelId, null], [onnx.modelId, null]]);
    const stored = db.models.get(onnx.modelId).bundle;
    expect(isOnnxModel(stored)).toBe(true);
    expect(stored.meta.training).toMatchObject({ role: 'teacher', imported: { format: 'onnx', fileName: 'cartpole-teacher.onnx' }, evaluation: { mean: 500 } });

    const ref = reference();
    for (const id of [sb3.modelId, onnx.modelId]) {
      const { teacher } = loadTeacher(db.models.get(id).bundle, `model ${id}`);
      expect(qDifference(teacher.predict(ref.obs, ref.count), ref.qFlat).rel).toBeLessThanOrEqual(1e-5);
      teacher.dispose();
    }
  });

  it('importing the same file twice, or the same network from another file, is refused and stores nothing', async () => {
    const before = db.models.list().length;
    await expect(importTeacher(db, { file: fixture('cartpole-sb3-dqn.zip'), env: 'CartPole-v1' })).rejects.toThrow(/cartpole-sb3-dqn\.zip: already imported as model 1 \(same file, sha256 /);
    const copy = path.join(tmp, 'copy-of-teacher.pt');
    fs.copyFileSync(fixture('cartpole-torch-sequential.pt'), copy);
    const err = await importTeacher(db, { file: copy, env: 'CartPole-v1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateImportError);
    expect((err as DuplicateImportError).existingModelId).toBe(1);
    expect((err as Error).message).toMatch(/copy-of-teacher\.pt: the same network \(identical weights\) was already imported as model 1, from .*cartpole-sb3-dqn\.zip/);
    await expect(importTeacher(db, { file: fixture('cartpole-teacher.onnx'), env: 'CartPole-v1' })).rejects.toThrow(/already imported as model 2/);
    expect(db.models.list().length).toBe(before);
  });

  it('bad requests name the field; a missing file names the file', async () => {
    await expect(importTeacher(db, { file: fixture('cartpole-sb3-dqn.zip'), env: 'Pong-v5' as 'CartPole-v1' })).rejects.toThrow(/import teacher: env: /);
    await expect(importTeacher(db, { file: path.join(tmp, 'nope.zip'), env: 'CartPole-v1' })).rejects.toThrow(/nope\.zip: no such file/);
  });
});

describe('files the importer refuses, with the file and the problem named', () => {
  it('a pickle naming os.system is refused without running anything', () => {
    const marker = path.join(process.cwd(), 'distill-studio-pwned');
    const msg = refusal(() => parse('bad-os-system.pt'));
    expect(msg).toMatch(/bad-os-system\.pt \(archive\/data\.pkl\): refusing to load: the pickle references the Python global "os\.system", which is not a tensor or a plain container/);
    expect(msg).toMatch(/nothing was run here/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('foreign pickle globals: numpy arrays in a state dict, builtins, calls of a storage class', () => {
    expect(refusal(() => parse('bad-numpy-global.pt'))).toMatch(/bad-numpy-global\.pt .*"numpy\.core\.multiarray\._reconstruct"/);
    // Protocol 2 by hand: GLOBAL builtins.eval, a string, TUPLE1, REDUCE, STOP.
    const evil = new Uint8Array([0x80, 0x02, ...new TextEncoder().encode('cbuiltins\neval\nX\x04\x00\x00\x001+1q\x85R.')]);
    expect(() => parseTorchPickle(evil, () => new Uint8Array(0))).toThrow(/"builtins\.eval"/);
    const callsStorage = new Uint8Array([0x80, 0x02, ...new TextEncoder().encode('ctorch\nFloatStorage\n)R.')]);
    expect(() => parseTorchPickle(callsStorage, () => new Uint8Array(0))).toThrow(/calls torch\.FloatStorage/);
  });

  it('a CNN policy (SB3 CnnPolicy, or conv weights in a state dict) is not supported yet', () => {
    expect(refusal(() => parse('bad-sb3-cnn.zip'))).toMatch(/bad-sb3-cnn\.zip: policy class stable_baselines3\.dqn\.policies\.CnnPolicy: CNN policies are not supported yet/);
    // Without a policy class to go by (a bare state dict), the convolution weights give it away.
    const file = path.join(tmp, 'cnn-state-dict.pt');
    fs.writeFileSync(file, unzipSync(fixtureBytes('bad-sb3-cnn.zip'))['policy.pth']);
    expect(refusal(() => parseTeacherFile(new Uint8Array(fs.readFileSync(file)), file))).toMatch(/cnn-state-dict\.pt: convolutional layer q_net\.features_extractor\.cnn\.0\.weight \[4, 1, 8, 8\]: CNN policies are not supported yet/);
  });

  it('an activation other than ReLU', () => {
    expect(refusal(() => parse('bad-sb3-tanh.zip'))).toMatch(/bad-sb3-tanh\.zip: unsupported activation Tanh \(policy_kwargs\.activation_fn\)/);
  });

  it('observation or action space that does not match the environment', () => {
    const sb3 = parse('cartpole-sb3-dqn.zip');
    expect(refusal(() => checkTeacherForEnv(sb3, 'Acrobot-v1'))).toMatch(/cartpole-sb3-dqn\.zip: observation space Box\(shape \[4\], float32\) does not match Acrobot-v1's Box\(shape \[6\]\)/);
    expect(refusal(() => checkTeacherForEnv(parse('cartpole-teacher.safetensors'), 'MountainCar-v0'))).toMatch(/the network takes 4 observations, MountainCar-v0 has 2/);
    expect(refusal(() => checkTeacherForEnv(parse('cartpole-teacher.onnx'), 'Acrobot-v1'))).toMatch(/cartpole-teacher\.onnx: the network takes 4 observations, Acrobot-v1 has 6/);
    const threeActions = editedSb3(path.join(tmp, 'three-actions.zip'), (d) => {
      (d.action_space as Record<string, unknown>).n = '3';
    });
    expect(refusal(() => checkTeacherForEnv(parseTeacherFile(new Uint8Array(fs.readFileSync(threeActions)), threeActions), 'CartPole-v1'))).toMatch(/three-actions\.zip: action space Discrete\(3\) does not match CartPole-v1's Discrete\(2\)/);
    const continuous = editedSb3(path.join(tmp, 'box-actions.zip'), (d) => {
      d.action_space = { ':type:': "<class 'gymnasium.spaces.box.Box'>", _shape: [1], dtype: 'float32', low: '[-1.]', high: '[1.]' };
    });
    expect(refusal(() => checkTeacherForEnv(parseTeacherFile(new Uint8Array(fs.readFileSync(continuous)), continuous), 'CartPole-v1'))).toMatch(/action space Box\(shape \[1\], float32\) is not Discrete/);
    const otherBounds = editedSb3(path.join(tmp, 'other-bounds.zip'), (d) => {
      const o = d.observation_space as Record<string, unknown>;
      o.low = '[-1. -1. -1. -1.]';
      o.high = '[1. 1. 1. 1.]';
    });
    expect(refusal(() => checkTeacherForEnv(parseTeacherFile(new Uint8Array(fs.readFileSync(otherBounds)), otherBounds), 'CartPole-v1'))).toMatch(/observation space bounds differ from CartPole-v1's at dimension 0: \[-1, 1\] vs \[-4\.8, 4\.8\]/);
    const images = editedSb3(path.join(tmp, 'image-obs.zip'), (d) => {
      (d.observation_space as Record<string, unknown>)._shape = [3, 64, 64];
      (d.observation_space as Record<string, unknown>).dtype = 'uint8';
    });
    expect(refusal(() => checkTeacherForEnv(parseTeacherFile(new Uint8Array(fs.readFileSync(images)), images), 'CartPole-v1'))).toMatch(/image observations need a CNN policy, not supported yet/);
  });

  it.each(GOOD_FIXTURES)('a truncated %s', (name) => {
    const bytes = fixtureBytes(name);
    for (const keep of [0.5, 0.97]) {
      const file = path.join(tmp, `truncated-${keep}-${name}`);
      fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * keep)));
      expect(refusal(() => parseTeacherFile(new Uint8Array(fs.readFileSync(file)), file))).toMatch(new RegExp(`truncated-${keep}-${name.replace(/\./g, '\\.')}.*: .*(truncated|corrupt|cannot load)`));
    }
  });

  it('ONNX graphs: extra inputs, integer inputs and convolutions are refused; a fixed batch of 1 is run row by row', () => {
    const { onnx } = onnxProto;
    type Graph = { input: { name?: string | null; type?: { tensorType?: { elemType?: number | null; shape?: { dim: object[] } | null } | null } | null }[]; output: Graph['input']; node: object[] };
    const edited = (name: string, edit: (g: Graph) => void) => {
      const m = onnx.ModelProto.decode(fixtureBytes('cartpole-teacher.onnx'));
      edit(m.graph as unknown as Graph);
      const f = path.join(tmp, name);
      fs.writeFileSync(f, onnx.ModelProto.encode(m).finish());
      return f;
    };
    const load = (f: string) => parseTeacherFile(new Uint8Array(fs.readFileSync(f)), f);
    const twoInputs = edited('two-inputs.onnx', (g) => {
      g.input.push({ name: 'mask', type: g.input[0].type });
    });
    expect(refusal(() => load(twoInputs))).toMatch(/two-inputs\.onnx: expected one input \(the observation batch\), the graph has 2: obs, mask/);
    const ints = edited('int-input.onnx', (g) => {
      g.input[0].type!.tensorType!.elemType = onnx.TensorProto.DataType.INT64;
    });
    expect(refusal(() => load(ints))).toMatch(/int-input\.onnx: input "obs" must be a float32 tensor/);
    const conv = edited('conv.onnx', (g) => {
      g.node.push(onnx.NodeProto.create({ opType: 'Conv', input: ['x', 'w'], output: ['y'] }));
    });
    expect(refusal(() => load(conv))).toMatch(/conv\.onnx: the graph has Conv nodes: CNN policies are not supported yet/);
    const fixed = edited('batch-one.onnx', (g) => {
      for (const v of [g.input[0], g.output[0]]) v.type!.tensorType!.shape!.dim[0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 1 });
    });
    const q = OnnxQFunction.fromBytes(new Uint8Array(fs.readFileSync(fixed)), fixed);
    const ref = reference();
    expect(qDifference(q.predict(ref.obs, ref.count), ref.qFlat).rel).toBeLessThanOrEqual(1e-5);
    q.dispose();
  });

  it('other files: empty, legacy torch.save, unknown formats, architectures outside an MLP', () => {
    const write = (name: string, bytes: Uint8Array | string) => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, bytes);
      return parseTeacherFile(new Uint8Array(fs.readFileSync(f)), f);
    };
    expect(refusal(() => write('empty.pt', ''))).toMatch(/empty\.pt: the file is empty/);
    expect(refusal(() => write('legacy.pt', new Uint8Array([0x80, 0x02, 0x8a, 0x0a])))).toMatch(/legacy \(pre-1\.6, non-zip\) torch\.save file/);
    expect(refusal(() => write('notes.txt', 'hello'))).toMatch(/notes\.txt: not a recognised model file/);
    const dueling = new Map([
      ['value.0.weight', { dtype: 'float32' as const, shape: [1, 4], data: new Float32Array(4) }],
      ['advantage.0.weight', { dtype: 'float32' as const, shape: [2, 4], data: new Float32Array(8) }],
    ]);
    return import('../../core/io/mlp-layout.ts').then(({ mlpFromStateDict }) => {
      expect(() => mlpFromStateDict(dueling, 'duel.pt')).toThrow(/duel\.pt: several networks in one file \(key prefixes "value\.", "advantage\."\)/);
      const norm = new Map([
        ['0.weight', { dtype: 'float32' as const, shape: [8, 4], data: new Float32Array(32) }],
        ['1.weight', { dtype: 'float32' as const, shape: [8], data: new Float32Array(8) }],
        ['2.weight', { dtype: 'float32' as const, shape: [2, 8], data: new Float32Array(16) }],
      ]);
      expect(() => mlpFromStateDict(norm, 'norm.pt')).toThrow(/"1\.weight" is 1-D \[8\]: a normalisation layer/);
      const broken = new Map([
        ['0.weight', { dtype: 'float32' as const, shape: [8, 4], data: new Float32Array(32) }],
        ['2.weight', { dtype: 'float32' as const, shape: [2, 6], data: new Float32Array(12) }],
      ]);
      expect(() => mlpFromStateDict(broken, 'chain.pt')).toThrow(/layer widths do not chain: "0\.weight" outputs 8 values but "2\.weight" expects 6 inputs/);
    });
  });
});
