import { beforeAll, describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../../core/dqn/replay-buffer.ts';
import { TdLearner } from '../../../core/dqn/td-learner.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { tf } from '../../../core/nn/tf.ts';
import { Rng } from '../../../core/util/rng.ts';
import { useBackend } from '../../helpers.ts';

beforeAll(useBackend);

describe('tensor memory', () => {
  // The tfjs engine (the fused engine's heap is checked in fused-parity.test.ts).
  it('a training step, a target update and acting leave tf.memory().numTensors unchanged', () => {
    const rng = new Rng(1);
    const spec = { inputSize: 4, hiddenSizes: [16, 16], outputSize: 2 };
    const online = QNetwork.create(spec, rng, 'tfjs');
    const target = online.clone();
    const learner = new TdLearner(online, target, { gamma: 0.99, loss: 'huber', doubleDqn: true, maxGradNorm: 10, learningRate: 1e-3, adamEpsilon: 1e-8 });
    const buffer = new ReplayBuffer(100, 4);
    for (let i = 0; i < 100; i++) buffer.add(new Float32Array([rng.random(), 0, 1, rng.random()]), i % 2, 1, new Float32Array(4), i % 7 === 0);
    const batch = buffer.allocateBatch(32);
    // The first Adam step creates the optimizer's moment variables: warm up before counting.
    learner.step(buffer.sample(rng, batch));
    learner.drainStats();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      learner.step(buffer.sample(rng, batch));
      target.updateFrom(online, 0.5);
      online.act(batch.obs, 32);
    }
    learner.drainStats();
    expect(tf.memory().numTensors).toBe(before);
    learner.dispose();
    online.dispose();
    target.dispose();
  });
});
