/**
 * The fused engine equals the tfjs engine (the reference) on the same networks and data: forward passes,
 * TD and distillation losses, their gradients, and the parameters after several Adam steps, to 1e-5
 * (relative to the value's scale where values exceed 1: float32 sums in a different order).
 *
 * The comparisons are deterministic, but two float32 implementations of a ReLU network can disagree on the
 * sign of a pre-activation within rounding of 0, after which their gradients differ by one sample's share;
 * the configurations below are ones where that does not happen within the steps compared.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { StudentLearner, type StudentBatch, type StudentLearnerOptions } from '../../../core/distill/student-learner.ts';
import { ReplayBuffer } from '../../../core/dqn/replay-buffer.ts';
import { TdLearner, type TdOptions } from '../../../core/dqn/td-learner.ts';
import { currentBackend, selectBackend } from '../../../core/nn/backend.ts';
import { wasmHeap } from '../../../core/nn/fused/wasm.ts';
import { optimizerState, restoreOptimizer } from '../../../core/nn/optimizer-state.ts';
import { QNetwork, type NetworkEngine, type QNetworkSpec } from '../../../core/nn/q-network.ts';
import { tf } from '../../../core/nn/tf.ts';
import { Rng } from '../../../core/util/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm+fused');
});

const TOL = 1e-5;

/** max over elements of |a − b| / max(1, |b|). */
function err(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return e;
}
const errAll = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => err(x, b[i])));
const scalarErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

function pair(spec: QNetworkSpec, seed: number): Record<NetworkEngine, QNetwork> {
  return { tfjs: QNetwork.create(spec, new Rng(seed), 'tfjs'), fused: QNetwork.create(spec, new Rng(seed), 'fused') };
}

function replay(rng: Rng, n: number, actions: number, size: number): ReplayBuffer {
  const buffer = new ReplayBuffer(size, n);
  const obs = new Float32Array(n);
  const next = new Float32Array(n);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < n; j++) {
      obs[j] = rng.uniform(-2, 2);
      next[j] = rng.uniform(-2, 2);
    }
    buffer.add(obs, rng.int(actions), rng.uniform(-1, 3) * 3, next, rng.random() < 0.2);
  }
  return buffer;
}

describe('fused engine ≡ tfjs engine', () => {
  it('the wasm+fused backend trains on the fused engine; the same seed gives the same initial weights on both', () => {
    expect(currentBackend()).toMatchObject({ name: 'wasm+fused', tfBackend: 'wasm', engine: 'fused' });
    const { tfjs, fused } = pair({ inputSize: 6, hiddenSizes: [5, 9], outputSize: 3 }, 4);
    expect(fused.getWeights()).toEqual(tfjs.getWeights());
    expect(QNetwork.create({ inputSize: 2, hiddenSizes: [], outputSize: 1 }, new Rng(1)).engine).toBe('fused');
    tfjs.dispose();
    fused.dispose();
  });

  it.each([
    [[64, 64], 2],
    [[256, 256], 2],
    [[7], 5],
    [[], 3],
    [[3, 12, 5], 4],
  ] as const)('forward pass of a %j MLP with %i actions, batch 1 and 37', (hidden, actions) => {
    const { tfjs, fused } = pair({ inputSize: 4, hiddenSizes: hidden, outputSize: actions }, 2);
    const rng = new Rng(3);
    for (const batch of [1, 37]) {
      const obs = Float32Array.from({ length: batch * 4 }, () => rng.uniform(-3, 3));
      expect(err(fused.predict(obs, batch), tfjs.predict(obs, batch))).toBeLessThan(TOL);
      expect(Array.from(fused.act(obs, batch))).toEqual(Array.from(tfjs.act(obs, batch)));
    }
    tfjs.dispose();
    fused.dispose();
  });

  it('weights round-trip; hard and Polyak target updates within and across engines', () => {
    const spec = { inputSize: 3, hiddenSizes: [6], outputSize: 2 };
    const a = pair(spec, 1);
    const b = pair(spec, 2);
    b.fused.updateFrom(a.fused, 0.3);
    b.tfjs.updateFrom(a.tfjs, 0.3);
    expect(errAll(b.fused.getWeights(), b.tfjs.getWeights())).toBeLessThan(1e-7);
    const cross = QNetwork.create(spec, new Rng(2), 'tfjs');
    cross.updateFrom(a.fused, 0.3);
    expect(errAll(cross.getWeights(), b.tfjs.getWeights())).toBeLessThan(1e-7);
    b.fused.updateFrom(a.fused);
    expect(b.fused.getWeights()).toEqual(a.fused.getWeights());
    const copy = a.fused.clone('tfjs');
    expect(copy.engine).toBe('tfjs');
    expect(copy.getWeights()).toEqual(a.fused.getWeights());
    expect(() => a.fused.variables).toThrow(/fused network has no tfjs variables/);
    expect(() => a.fused.setWeights([new Float32Array(3)])).toThrow(/expected 4 parameter arrays/);
    for (const n of [a.tfjs, a.fused, b.tfjs, b.fused, cross, copy]) n.dispose();
  });

  it.each<[string, number[], Partial<TdOptions>]>([
    ['DQN, Huber, clip 10', [32, 32], { loss: 'huber', doubleDqn: false, maxGradNorm: 10 }],
    ['Double DQN, MSE, clip 0.5 (active)', [64, 64], { loss: 'mse', doubleDqn: true, maxGradNorm: 0.5 }],
    ['Double DQN, Huber, no clip, narrow layers', [7, 5], { loss: 'huber', doubleDqn: true, maxGradNorm: 0 }],
    ['linear Q, MSE', [], { loss: 'mse', doubleDqn: false, maxGradNorm: 0 }],
  ])('TD update (%s): loss, gradients and parameters after 10 Adam steps and Polyak updates', (_name, hidden, opts) => {
    const spec = { inputSize: 4, hiddenSizes: hidden, outputSize: 3 };
    const options: TdOptions = { gamma: 0.99, loss: 'huber', doubleDqn: false, maxGradNorm: 10, learningRate: 1e-3, adamEpsilon: 1e-8, ...opts };
    const online = pair(spec, 11);
    const target = pair(spec, 12);
    const learners = { tfjs: new TdLearner(online.tfjs, target.tfjs, options), fused: new TdLearner(online.fused, target.fused, options) };
    const buffer = replay(new Rng(3), 4, 3, 256);
    const batch = buffer.allocateBatch(64);
    const sampler = new Rng(5);
    for (let step = 0; step < 10; step++) {
      buffer.sample(sampler, batch);
      const want = learners.tfjs.lossAndGradients(batch);
      const got = learners.fused.lossAndGradients(batch);
      expect(want.loss).toBeGreaterThan(0);
      expect(scalarErr(got.loss, want.loss)).toBeLessThan(TOL);
      expect(errAll(got.grads, want.grads)).toBeLessThan(TOL);
      learners.tfjs.step(batch);
      learners.fused.step(batch);
      if (step % 4 === 3) {
        target.tfjs.updateFrom(online.tfjs, 0.5);
        target.fused.updateFrom(online.fused, 0.5);
      }
    }
    expect(errAll(online.fused.getWeights(), online.tfjs.getWeights())).toBeLessThan(TOL);
    const [s1, s2] = [learners.fused.drainStats(), learners.tfjs.drainStats()];
    expect(s1.steps).toBe(10);
    expect(scalarErr(s1.loss, s2.loss)).toBeLessThan(TOL);
    expect(scalarErr(s1.qMean, s2.qMean)).toBeLessThan(TOL);
    for (const x of [learners.tfjs, learners.fused, online.tfjs, online.fused, target.tfjs, target.fused]) x.dispose();
  });

  const studentCases: [StudentLearnerOptions, number][] = [];
  for (const softLoss of ['kl', 'mse', 'nll'] as const) {
    for (const softActions of ['all', 'taken'] as const) {
      if (softLoss !== 'mse' && softActions === 'taken') continue; // kl and nll use every action
      for (const hardLoss of ['td', 'mc'] as const) {
        studentCases.push([{ hardLoss, softLoss, softActions, tau: softLoss === 'mse' ? 1 : 0.1, gamma: 0.99, learningRate: 1e-3, hardError: hardLoss === 'td' ? 'huber' : 'mse' }, hardLoss === 'td' ? 0.3 : 0.7]);
      }
    }
  }
  studentCases.push([{ hardLoss: 'td', softLoss: 'kl', softActions: 'all', tau: 0.01, gamma: 0.99, learningRate: 1e-3 }, 0]);
  studentCases.push([{ hardLoss: 'mc', softLoss: 'nll', softActions: 'all', tau: 1, gamma: 0.99, learningRate: 1e-3 }, 1]);

  it.each(studentCases)('distillation update %j at α=%f: loss parts, gradients and parameters after 10 steps', (options, alpha) => {
    const spec = { inputSize: 4, hiddenSizes: [16, 16], outputSize: 3 };
    const student = pair(spec, 2);
    const target = pair(spec, 3);
    const learners = {
      tfjs: new StudentLearner(student.tfjs, options.hardLoss === 'td' ? target.tfjs : null, options),
      fused: new StudentLearner(student.fused, options.hardLoss === 'td' ? target.fused : null, options),
    };
    const rng = new Rng(9);
    const B = 48;
    const rows = (k: number, f: () => number) => Float32Array.from({ length: k }, f);
    const batch: StudentBatch = {
      size: B,
      obs: rows(B * 4, () => rng.uniform(-2, 2)),
      actions: Int32Array.from({ length: B }, () => rng.int(3)),
      rewards: rows(B, () => rng.uniform(0, 2)),
      nextObs: rows(B * 4, () => rng.uniform(-2, 2)),
      terminated: rows(B, () => (rng.random() < 0.1 ? 1 : 0)),
      returns: rows(B, () => rng.uniform(0, 20)),
      softQ: rows(B * 3, () => rng.uniform(0, 3)),
      softMask: rows(B, () => (rng.random() < 0.8 ? 1 : 0)),
    };
    for (let step = 0; step < 10; step++) {
      const want = learners.tfjs.evaluate(batch, alpha);
      const got = learners.fused.evaluate(batch, alpha);
      for (const k of ['loss', 'hard', 'soft'] as const) expect(scalarErr(got[k], want[k]), k).toBeLessThan(TOL);
      // Gradients relative to the largest gradient (a τ of 0.01 scales softmax gradients by 100).
      const scale = Math.max(1, ...want.grads.map((g) => Math.max(...g.map(Math.abs))));
      expect(errAll(got.grads, want.grads) / scale).toBeLessThan(TOL);
      learners.tfjs.step(batch, alpha);
      learners.fused.step(batch, alpha);
    }
    expect(errAll(student.fused.getWeights(), student.tfjs.getWeights())).toBeLessThan(TOL);
    const [s1, s2] = [learners.fused.drainStats(), learners.tfjs.drainStats()];
    for (const k of ['loss', 'hard', 'soft'] as const) expect(scalarErr(s1[k], s2[k]), k).toBeLessThan(TOL);
    for (const x of [learners.tfjs, learners.fused, student.tfjs, student.fused, target.tfjs, target.fused]) x.dispose();
  });

  it('Adam state saved on one engine restores on the other and training continues identically', async () => {
    const spec = { inputSize: 4, hiddenSizes: [16], outputSize: 2 };
    const options: TdOptions = { gamma: 0.9, loss: 'huber', doubleDqn: false, maxGradNorm: 10, learningRate: 3e-3, adamEpsilon: 1e-8 };
    const buffer = replay(new Rng(4), 4, 2, 128);
    const batch = buffer.allocateBatch(32);
    const sampler = new Rng(8);
    const src = pair(spec, 1);
    const srcTarget = pair(spec, 1);
    const fusedLearner = new TdLearner(src.fused, srcTarget.fused, options);
    const fresh = new TdLearner(src.tfjs, srcTarget.tfjs, options);
    // An untouched tfjs Adam saves only its step count; the fused one restores that as zero moments.
    expect((await optimizerState(fresh.optimizer)).map((t) => t.name)).toEqual(['iter']);
    for (let i = 0; i < 3; i++) fusedLearner.step(buffer.sample(sampler, batch));
    const saved = await optimizerState(fusedLearner.optimizer);
    expect(saved.map((t) => t.name)).toEqual(['iter', 'W0/m', 'b0/m', 'W1/m', 'b1/m', 'W0/v', 'b0/v', 'W1/v', 'b1/v']);
    expect(saved[0].values[0]).toBe(3);
    // Continue from the same weights and optimizer state on the tfjs engine.
    src.tfjs.setWeights(src.fused.getWeights());
    await restoreOptimizer(fresh.optimizer, saved);
    const again = new Rng(99);
    const copy = new Rng(99);
    for (let i = 0; i < 3; i++) {
      fresh.step(buffer.sample(again, batch));
      fusedLearner.step(buffer.sample(copy, batch));
    }
    expect(errAll(src.tfjs.getWeights(), src.fused.getWeights())).toBeLessThan(TOL);
    // And back: the tfjs state into a new fused learner.
    const back = new TdLearner(QNetwork.fromWeights(spec, src.tfjs.getWeights(), 'fused'), srcTarget.fused, options);
    await restoreOptimizer(back.optimizer, await optimizerState(fresh.optimizer));
    expect(await optimizerState(back.optimizer)).toEqual(await optimizerState(fresh.optimizer).then((s) => s.map((t) => ({ ...t, name: expect.any(String) }))));
    await expect(restoreOptimizer(back.optimizer, saved.slice(0, 4))).rejects.toThrow(/expected 8 moment tensors/);
    for (const x of [fusedLearner, fresh, back, src.tfjs, src.fused, srcTarget.tfjs, srcTarget.fused, back.online]) x.dispose();
  });

  it('training and acting allocate nothing that outlives the networks (WebAssembly heap and tf tensors)', () => {
    const heap = wasmHeap();
    const bytes = heap.liveBytes;
    const tensors = tf.memory().numTensors;
    const spec = { inputSize: 4, hiddenSizes: [16, 16], outputSize: 2 };
    const online = QNetwork.create(spec, new Rng(1), 'fused');
    const target = online.clone();
    const learner = new TdLearner(online, target, { gamma: 0.99, loss: 'huber', doubleDqn: true, maxGradNorm: 10, learningRate: 1e-3, adamEpsilon: 1e-8 });
    const buffer = replay(new Rng(2), 4, 2, 100);
    const batch = buffer.allocateBatch(32);
    learner.step(buffer.sample(new Rng(3), batch));
    const during = heap.liveBytes;
    for (let i = 0; i < 5; i++) {
      learner.step(buffer.sample(new Rng(i), batch));
      target.updateFrom(online, 0.5);
      online.act(batch.obs, 32);
    }
    expect(heap.liveBytes).toBe(during);
    learner.dispose();
    online.dispose();
    target.dispose();
    expect(heap.liveBytes).toBe(bytes);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
