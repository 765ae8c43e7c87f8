import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputExistsError, writeChecked } from '../../core/io/atomic-write.ts';
import { compileAndRun, findCCompiler } from '../../core/io/c-compiler.ts';
import { compareExport, ExportCheckError } from '../../core/io/export-model.ts';
import { cHeaderSource, emulateCHeader, floatLiteral, jsModuleSource } from '../../core/io/export-sources.ts';
import { inspectOnnx } from '../../core/io/onnx-format.ts';
import { encodeBundle, loadAsLayersModel } from '../../core/nn/bundle.ts';
import { QNetwork } from '../../core/nn/q-network.ts';
import { tf } from '../../core/nn/tf.ts';
import { Rng } from '../../core/util/rng.ts';
import { openDatabase } from '../../db/index.ts';
import { exportModel, importTeacher } from '../../electron/service/model-io.ts';
import { useBackend } from '../helpers.ts';
import { fixture, qDifference, reference } from './fixtures.ts';

await useBackend();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'export-model-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const out = (name: string) => path.join(tmp, name);

describe('exporting a model (the PyTorch-trained teacher, imported)', () => {
  const db = openDatabase(':memory:');
  afterAll(() => db.close());
  let modelId = 0;
  let onnxModelId = 0;

  it('writes ONNX, tfjs, an ES module and a C header, each checked on 1,000 states', async () => {
    modelId = (await importTeacher(db, { file: fixture('cartpole-sb3-dqn.zip'), env: 'CartPole-v1', evalEpisodes: 3 })).modelId;
    const targets = { onnx: 'teacher.onnx', tfjs: 'teacher-tfjs', js: 'teacher.mjs', c: 'teacher.h' } as const;
    for (const [format, name] of Object.entries(targets) as [keyof typeof targets, string][]) {
      const r = await exportModel(db, { modelId, format, out: out(name) });
      expect(r).toMatchObject({ format, path: out(name), modelId, runId: null, env: 'CartPole-v1' });
      expect(r.check.states).toBe(1000);
      expect(r.check.statesSource).toMatch(/rollout of the model \(the database has no knowledge base for it\)/);
      expect(r.check.actionsAgree + r.check.nearTies).toBe(1000);
      expect(r.check.maxRelDiff).toBeLessThanOrEqual(1e-5);
    }
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('the ONNX file is Gemm + Relu at opset 13 and gives torch\'s Q-values', async () => {
    const info = inspectOnnx(new Uint8Array(fs.readFileSync(out('teacher.onnx'))), 'teacher.onnx');
    expect(info).toMatchObject({ inputName: 'obs', outputName: 'q_values', inputShape: ['batch', 4], outputShape: ['batch', 2], opset: 13, opTypes: ['Gemm', 'Relu'], hiddenSizes: [64, 64], paramCount: 4610 });
    const { OnnxQFunction } = await import('../../core/io/onnx-runtime.ts');
    const q = OnnxQFunction.fromBytes(new Uint8Array(fs.readFileSync(out('teacher.onnx'))), 'teacher.onnx');
    const ref = reference();
    expect(qDifference(q.predict(ref.obs, ref.count), ref.qFlat).rel).toBeLessThanOrEqual(1e-5);
    q.dispose();
  });

  it('the tfjs folder is a standard layers model; the ES module has no imports; the header allocates nothing', async () => {
    const dir = out('teacher-tfjs');
    expect(fs.readdirSync(dir).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin'))).buffer }));
    const ref = reference();
    const y = model.predict(tf.tensor2d(ref.obs, [ref.count, 4])) as tf.Tensor;
    expect(qDifference(y.dataSync() as Float32Array, ref.qFlat).rel).toBeLessThanOrEqual(1e-5);
    y.dispose();
    model.dispose();

    const js = fs.readFileSync(out('teacher.mjs'), 'utf8');
    expect(js).not.toMatch(/^\s*import\s/m);
    expect(js).not.toMatch(/require\(/);
    const mod = await import(out('teacher.mjs'));
    expect(mod.observationSize).toBe(4);
    const q0 = mod.q(ref.observations[0]);
    expect(q0).toBeInstanceOf(Float32Array);
    expect(Math.abs(q0[0] - ref.q[0][0]) / Math.max(1, Math.abs(ref.q[0][0]))).toBeLessThan(1e-5);
    expect(mod.act(ref.observations[0])).toBe(ref.q[0][1] > ref.q[0][0] ? 1 : 0);
    expect(() => mod.act([1, 2, 3])).toThrow(/expected an observation of 4 numbers, got 3/);

    const h = fs.readFileSync(out('teacher.h'), 'utf8');
    expect(h).toMatch(/static const float distill_w0\[4\]\[64\] = \{/);
    expect(h).toMatch(/static inline int distill_act\(const float \*obs\)/);
    expect(h).not.toMatch(/malloc|calloc|free\(|#include/);
  });

  it('never replaces an existing file or folder without force; with force it does, atomically', async () => {
    const before = fs.readFileSync(out('teacher.mjs'));
    await expect(exportModel(db, { modelId, format: 'js', out: out('teacher.mjs') })).rejects.toThrow(OutputExistsError);
    await expect(exportModel(db, { modelId, format: 'tfjs', out: out('teacher-tfjs') })).rejects.toThrow(/teacher-tfjs already exists; pass --force/);
    expect(fs.readFileSync(out('teacher.mjs')).equals(before)).toBe(true);
    fs.writeFileSync(out('teacher.h'), 'not a header');
    const r = await exportModel(db, { modelId, format: 'c', out: out('teacher.h'), force: true, cName: 'cartpole' });
    expect(fs.readFileSync(r.path, 'utf8')).toMatch(/static inline int cartpole_act\(/);
    fs.writeFileSync(path.join(out('teacher-tfjs'), 'extra.txt'), 'x');
    await exportModel(db, { modelId, format: 'tfjs', out: out('teacher-tfjs'), force: true });
    expect(fs.readdirSync(out('teacher-tfjs')).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.includes('.replaced'))).toEqual([]);
  });

  it('a failed check leaves nothing behind (not even the temporary), and keeps what was there', async () => {
    await expect(writeChecked(out('never.onnx'), { kind: 'file', bytes: 'x' }, false, () => {
      throw new ExportCheckError('mismatch');
    })).rejects.toThrow('mismatch');
    expect(fs.existsSync(out('never.onnx'))).toBe(false);
    fs.writeFileSync(out('kept.js'), 'old');
    await expect(writeChecked(out('kept.js'), { kind: 'file', bytes: 'new' }, true, () => {
      throw new ExportCheckError('mismatch');
    })).rejects.toThrow('mismatch');
    expect(fs.readFileSync(out('kept.js'), 'utf8')).toBe('old');
    await expect(writeChecked(out('dir-out'), { kind: 'folder', files: { 'a.txt': 'a' } }, false, () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.startsWith('dir-out'))).toEqual([]);
  });

  it('an imported ONNX teacher exports as ONNX (its own bytes, checked) and refuses other formats', async () => {
    onnxModelId = (await importTeacher(db, { file: fixture('cartpole-teacher.onnx'), env: 'CartPole-v1', evalEpisodes: 2 })).modelId;
    const r = await exportModel(db, { modelId: onnxModelId, format: 'onnx', out: out('imported.onnx') });
    expect(fs.readFileSync(r.path).equals(fs.readFileSync(fixture('cartpole-teacher.onnx')))).toBe(true);
    expect(r.check.maxAbsDiff).toBe(0);
    await expect(exportModel(db, { modelId: onnxModelId, format: 'c', out: out('imported.h') })).rejects.toThrow(new RegExp(`model ${onnxModelId} is an ONNX model .* can be exported as onnx only, not c`));
    expect(fs.existsSync(out('imported.h'))).toBe(false);
  });

  it('bad requests name the field', async () => {
    await expect(exportModel(db, { format: 'onnx', out: out('x.onnx') })).rejects.toThrow(/export model: runId: give exactly one of runId and modelId/);
    await expect(exportModel(db, { modelId, format: 'tflite' as 'onnx', out: out('x') })).rejects.toThrow(/export model: format: /);
    await expect(exportModel(db, { modelId, format: 'c', out: out('x.h'), cName: '9lives' })).rejects.toThrow(/cName: must be a C identifier/);
    await expect(exportModel(db, { modelId: 999, format: 'onnx', out: out('x.onnx') })).rejects.toThrow(/model 999 does not exist/);
  });
});

describe('export sources and checks', () => {
  const net = QNetwork.create({ inputSize: 3, hiddenSizes: [5, 4], outputSize: 3 }, new Rng(7));
  afterAll(() => net.dispose());
  const states = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.7) * 3);

  it('float literals read back as the same float32', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 20_000; i++) {
      const v = Math.fround((rng.uniform(-1, 1) * 10) ** 5);
      const s = floatLiteral(v);
      expect(Math.fround(Number(s))).toBe(v);
      expect(s).toMatch(/[.e]/);
    }
  });

  it('the C header compiled with cc gives exactly what the float32 emulation predicts', () => {
    if (!findCCompiler()) {
      console.warn('SKIPPED (no C compiler): compiled C header vs its emulation');
      return;
    }
    const header = out('emul.h');
    fs.writeFileSync(header, cHeaderSource(net.spec, net.getWeights(), { title: 't', appVersion: 'x', env: 'test', name: 'tiny' }));
    const program = `#include <stdio.h>\n#include ${JSON.stringify(header)}\nint main(void) { float o[3], q[3]; while (fread(o, 4, 3, stdin) == 3) { tiny_q(o, q); fwrite(q, 4, 3, stdout); } return 0; }\n`;
    const raw = compileAndRun(program, new Uint8Array(states.buffer));
    const compiled = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    // -O2 on x86-64 without -march has no FMA to contract into, so C does exactly the emulated float32 steps.
    expect(Array.from(compiled)).toEqual(Array.from(emulateCHeader(net.spec, net.getWeights(), states, 100)));
  });

  it('compareExport: relative tolerance, exact greedy agreement, float32 ties reported', () => {
    const ref = Float32Array.from([100, 50, 1, 2]);
    const meta = { states: 2, statesSource: 's', method: 'm', what: 'w' };
    expect(compareExport(ref, Float32Array.from([100.0009, 50, 1, 2]), 2, null, meta)).toMatchObject({ actionsAgree: 2, nearTies: 0 });
    expect(() => compareExport(ref, Float32Array.from([100.01, 50, 1, 2]), 2, null, meta)).toThrow(/differ from the tfjs model's by up to 1\.000e-4/);
    expect(() => compareExport(ref, ref, 2, [0, 0], meta)).toThrow(/greedy action 0 on state 1, the tfjs model's is 1/);
    const tie = Float32Array.from([5, 5.000001]);
    expect(compareExport(tie, tie, 2, [0], { ...meta, states: 1 })).toMatchObject({ actionsAgree: 0, nearTies: 1 });
  });

  it('the JS module source runs standalone and matches the network', async () => {
    const file = out('tiny.mjs');
    fs.writeFileSync(file, jsModuleSource(net.spec, net.getWeights(), { title: 't', appVersion: 'x', env: 'test' }));
    const mod = await import(file);
    const want = net.predict(states, 100);
    for (let s = 0; s < 100; s++) {
      const got = mod.q(states.subarray(s * 3, s * 3 + 3));
      for (let a = 0; a < 3; a++) expect(Math.abs(got[a] - want[s * 3 + a])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[s * 3 + a])));
    }
  });

  it('the tfjs export is what tf.loadLayersModel reads', async () => {
    const model = await loadAsLayersModel(encodeBundle(net, { env: 'CartPole-v1', backend: 'wasm' }));
    expect(model.layers.map((l) => l.getConfig().units)).toEqual([5, 4, 3]);
    model.dispose();
  });
});
