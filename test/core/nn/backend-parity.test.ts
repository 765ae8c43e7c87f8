import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../../core/dqn/replay-buffer.ts';
import { TdLearner } from '../../../core/dqn/td-learner.ts';
import { selectBackend } from '../../../core/nn/backend.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { tf } from '../../../core/nn/tf.ts';
import { Rng } from '../../../core/util/rng.ts';

const spec = { inputSize: 4, hiddenSizes: [32, 32], outputSize: 2 };

function lossAndGrads(doubleDqn: boolean, loss: 'huber' | 'mse') {
  const rng = new Rng(11);
  const online = QNetwork.create(spec, rng);
  const target = QNetwork.create(spec, rng);
  const buffer = new ReplayBuffer(64, 4);
  const obs = new Float32Array(4);
  const next = new Float32Array(4);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 4; j++) {
      obs[j] = rng.uniform(-2, 2);
      next[j] = rng.uniform(-2, 2);
    }
    buffer.add(obs, rng.int(2), rng.uniform(-1, 3) * 3, next, rng.random() < 0.2);
  }
  const batch = buffer.sample(new Rng(2), buffer.allocateBatch(32));
  const learner = new TdLearner(online, target, { gamma: 0.99, loss, doubleDqn, maxGradNorm: 10, learningRate: 1e-3, adamEpsilon: 1e-8 });
  const out = learner.lossAndGradients(batch);
  learner.dispose();
  online.dispose();
  target.dispose();
  return out;
}

describe('backend parity', () => {
  it.each([
    [false, 'huber'],
    [true, 'mse'],
  ] as const)('wasm and cpu give the same loss and gradients (double=%s, %s)', async (doubleDqn, loss) => {
    await selectBackend('wasm');
    const wasm = lossAndGrads(doubleDqn, loss);
    await selectBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const cpu = lossAndGrads(doubleDqn, loss);
    await selectBackend('wasm');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4);
    expect(wasm.loss).toBeGreaterThan(0);
    wasm.grads.forEach((g, i) => {
      expect(g.length).toBe(cpu.grads[i].length);
      for (let j = 0; j < g.length; j++) expect(Math.abs(g[j] - cpu.grads[i][j])).toBeLessThan(1e-4);
    });
  });

  it('a forced backend that cannot load is an error naming it', async () => {
    let gpuPackage = true;
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    } catch {
      gpuPackage = false;
    }
    if (!gpuPackage) await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/backend "tensorflow-gpu" is not available/);
    process.env.DISTILL_BACKEND = 'tpu';
    await expect(selectBackend('auto')).rejects.toThrow(/DISTILL_BACKEND="tpu" is not a backend/);
    delete process.env.DISTILL_BACKEND;
  });
});
