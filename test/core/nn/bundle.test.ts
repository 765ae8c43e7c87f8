import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT_VERSION, encodeBundle, loadAsLayersModel, loadBundle, saveBundle } from '../../../core/nn/bundle.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { tf } from '../../../core/nn/tf.ts';
import { Rng } from '../../../core/util/rng.ts';
import { APP_VERSION } from '../../../core/version.ts';
import { useBackend } from '../../helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-test-'));
let backend = '';
beforeAll(async () => {
  backend = await useBackend();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const spec = { inputSize: 4, hiddenSizes: [8, 6], outputSize: 2 };
const obs = new Float32Array([0.1, -0.2, 0.03, 0.4, -1, 0.5, 0.2, 0]);

function saved(name: string) {
  const net = QNetwork.create(spec, new Rng(3));
  const dir = saveBundle(path.join(tmp, name), encodeBundle(net, { env: 'CartPole-v1', backend, training: { seed: 3 } }));
  return { net, dir };
}

describe('model bundles', () => {
  it('round-trips weights and describes itself', () => {
    const { net, dir } = saved('roundtrip');
    const { network, meta } = loadBundle(dir);
    expect(network.getWeights()).toEqual(net.getWeights());
    expect(Array.from(network.predict(obs, 2))).toEqual(Array.from(net.predict(obs, 2)));
    expect(meta).toMatchObject({ env: 'CartPole-v1', observationSize: 4, actionCount: 2, hiddenSizes: [8, 6], paramCount: net.paramCount, backend, appVersion: APP_VERSION, formatVersion: BUNDLE_FORMAT_VERSION });
    expect(Date.parse(meta.createdAt)).not.toBeNaN();
    expect(fs.readdirSync(dir).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    net.dispose();
    network.dispose();
  });

  it('is a standard tfjs layers model', async () => {
    const net = QNetwork.create(spec, new Rng(4));
    const model = await loadAsLayersModel(encodeBundle(net, { env: 'CartPole-v1', backend }));
    const q = tf.tidy(() => Array.from((model.predict(tf.tensor2d(obs, [2, 4])) as tf.Tensor).dataSync()));
    const ours = Array.from(net.predict(obs, 2));
    q.forEach((v, i) => expect(v).toBeCloseTo(ours[i], 5));
    model.dispose();
    net.dispose();
  });

  it('reports corrupt and foreign files by name', () => {
    const { dir, net } = saved('corrupt');
    net.dispose();
    const copy = (name: string) => {
      const d = path.join(tmp, name);
      fs.cpSync(dir, d, { recursive: true });
      return d;
    };
    const truncated = copy('truncated');
    fs.writeFileSync(path.join(truncated, 'weights.bin'), fs.readFileSync(path.join(truncated, 'weights.bin')).subarray(0, 10));
    expect(() => loadBundle(truncated)).toThrow(/weights\.bin: expected \d+ bytes .* found 10/);

    const badJson = copy('bad-json');
    fs.writeFileSync(path.join(badJson, 'meta.json'), '{"format": ');
    expect(() => loadBundle(badJson)).toThrow(/meta\.json: corrupt JSON/);

    const missing = copy('missing');
    fs.rmSync(path.join(missing, 'model.json'));
    expect(() => loadBundle(missing)).toThrow(/model\.json: missing/);

    const newer = copy('newer');
    const meta = JSON.parse(fs.readFileSync(path.join(newer, 'meta.json'), 'utf8'));
    fs.writeFileSync(path.join(newer, 'meta.json'), JSON.stringify({ ...meta, formatVersion: BUNDLE_FORMAT_VERSION + 1 }));
    expect(() => loadBundle(newer)).toThrow(/newer than this studio reads/);

    const foreign = copy('foreign');
    fs.writeFileSync(path.join(foreign, 'meta.json'), JSON.stringify({ hello: 1 }));
    expect(() => loadBundle(foreign)).toThrow(/not a Distill Studio model bundle/);

    const nanWeights = copy('nan');
    const w = new Float32Array(new Uint8Array(fs.readFileSync(path.join(nanWeights, 'weights.bin'))).buffer);
    w[3] = Number.NaN;
    fs.writeFileSync(path.join(nanWeights, 'weights.bin'), new Uint8Array(w.buffer));
    expect(() => loadBundle(nanWeights)).toThrow(/weights\.bin: checksum mismatch/);
    // Without a checksum (a bundle written before it existed) the finiteness check still names the weight.
    const nanMeta = JSON.parse(fs.readFileSync(path.join(nanWeights, 'meta.json'), 'utf8'));
    delete nanMeta.weightsSha256;
    fs.writeFileSync(path.join(nanWeights, 'meta.json'), JSON.stringify(nanMeta));
    expect(() => loadBundle(nanWeights)).toThrow(/weights\.bin: hidden_0\/kernel value 3 is NaN \(non-finite\)/);
  });

  it('replaces an existing bundle whole and leaves no temporary folder', () => {
    const a = saved('replace');
    const again = QNetwork.create(spec, new Rng(99));
    saveBundle(a.dir, encodeBundle(again, { env: 'CartPole-v1', backend }));
    const { network } = loadBundle(a.dir);
    expect(network.getWeights()).toEqual(again.getWeights());
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
    for (const n of [a.net, again, network]) n.dispose();
  });
});
