import { beforeAll, describe, expect, it } from 'vitest';
import { combinedLoss, maskedMean, softLossPerSample } from '../../../core/distill/losses.ts';
import { StudentLearner } from '../../../core/distill/student-learner.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { tf } from '../../../core/nn/tf.ts';
import { useBackend } from '../../helpers.ts';

beforeAll(useBackend);

const arr = (t: tf.Tensor) => Array.from(t.dataSync());
const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('soft losses against hand computations', () => {
  const qS = [[1, 2], [0.5, -0.5]];
  const qT = [[1.5, 1], [0, 1]];

  it('mse over all actions is the mean over actions per sample', () => {
    const got = tf.tidy(() => arr(softLossPerSample('mse', tf.tensor2d(qS), tf.tensor2d(qT), { tau: 1 })));
    expect(got[0]).toBeCloseTo((0.25 + 1) / 2, 6);
    expect(got[1]).toBeCloseTo((0.25 + 2.25) / 2, 6);
  });

  it('mse on the taken action only', () => {
    const got = tf.tidy(() => arr(softLossPerSample('mse', tf.tensor2d(qS), tf.tensor2d(qT), { tau: 1, actionsOneHot: tf.tensor2d([[0, 1], [1, 0]]) })));
    expect(got[0]).toBeCloseTo(1, 6);
    expect(got[1]).toBeCloseTo(0.25, 6);
  });

  it.each([1, 0.5, 0.01])('kl = Σ p_T (log p_T − log p_S) with temperature τ = %s', (tau) => {
    const got = tf.tidy(() => arr(softLossPerSample('kl', tf.tensor2d(qS), tf.tensor2d(qT), { tau })));
    for (let i = 0; i < 2; i++) {
      const pT = softmax(qT[i].map((x) => x / tau));
      const pS = softmax(qS[i].map((x) => x / tau));
      const want = pT.reduce((acc, p, j) => acc + (p > 0 ? p * (Math.log(p) - Math.log(pS[j])) : 0), 0);
      expect(got[i]).toBeCloseTo(want, 3);
    }
  });

  it('nll = −log softmax(q_S/τ) at the teacher argmax', () => {
    const got = tf.tidy(() => arr(softLossPerSample('nll', tf.tensor2d(qS), tf.tensor2d(qT), { tau: 1 })));
    expect(got[0]).toBeCloseTo(-Math.log(softmax(qS[0])[0]), 5); // teacher argmax of row 0 is action 0
    expect(got[1]).toBeCloseTo(-Math.log(softmax(qS[1])[1]), 5);
  });

  it('masked mean ignores masked samples and does not dilute the rest; all masked gives 0', () => {
    expect(tf.tidy(() => maskedMean(tf.tensor1d([2, 100, 4]), tf.tensor1d([1, 0, 1])).dataSync()[0])).toBeCloseTo(3, 6);
    expect(tf.tidy(() => maskedMean(tf.tensor1d([2, 100]), tf.tensor1d([0, 0])).dataSync()[0])).toBe(0);
  });

  it('combined loss is α·hard + (1−α)·soft', () => {
    expect(tf.tidy(() => combinedLoss(tf.scalar(0.25), tf.scalar(8), tf.scalar(4)).dataSync()[0])).toBeCloseTo(0.25 * 8 + 0.75 * 4, 6);
  });
});

describe("the seed's worked example (§4.2)", () => {
  // Two states (one-hot s1, s2), two actions; teacher Q table: Q_T(s1,a1)=10, Q_T(s1,a2)=5, Q_T(s2,a1)=0,
  // Q_T(s2,a2)=15. The student samples (s1, a1) with a hard target of 10 (its recorded return):
  // L = α(Q − 10)² + (1 − α)(Q − 10)² = (Q − 10)², dL/dQ = 2(Q − 10).
  const teacherQ = [10, 5, 0, 15];
  const batch = {
    size: 1,
    obs: new Float32Array([1, 0]),
    actions: new Int32Array([0]),
    returns: new Float32Array([10]),
    softQ: new Float32Array(teacherQ.slice(0, 2)),
    softMask: new Float32Array([1]),
  };
  const makeStudent = () =>
    // Linear Q: Q(s, a) = s·W[:, a] + b[a]; Q(s1, a1) = W00 + b0 = 2 + 1 = 3.
    QNetwork.fromWeights({ inputSize: 2, hiddenSizes: [], outputSize: 2 }, [new Float32Array([2, 0, 0, 0]), new Float32Array([1, 0])]);

  it.each([0, 0.3, 1])('loss and gradient match the hand computation (α = %s)', (alpha) => {
    const student = makeStudent();
    const learner = new StudentLearner(student, null, { hardLoss: 'mc', softLoss: 'mse', softActions: 'taken', tau: 1, gamma: 0.99, learningRate: 0.1 });
    const r = learner.evaluate(batch, alpha);
    const q = 3;
    expect(r.hard).toBeCloseTo((q - 10) ** 2, 4);
    expect(r.soft).toBeCloseTo((q - 10) ** 2, 4);
    expect(r.loss).toBeCloseTo(alpha * (q - 10) ** 2 + (1 - alpha) * (q - 10) ** 2, 4);
    // dL/dW = x ⊗ dL/dQ: only W[s1, a1] and b[a1] receive 2(Q − 10) = −14.
    expect(Array.from(r.grads[0]).map((g) => Math.round(g * 1e4) / 1e4)).toEqual([-14, 0, 0, 0]);
    expect(Array.from(r.grads[1]).map((g) => Math.round(g * 1e4) / 1e4)).toEqual([-14, 0]);
    learner.dispose();
    student.dispose();
  });

  it('repeated steps move Q(s1, a1) to 10 and leave the other action alone', () => {
    const student = makeStudent();
    const learner = new StudentLearner(student, null, { hardLoss: 'mc', softLoss: 'mse', softActions: 'taken', tau: 1, gamma: 0.99, learningRate: 0.05 });
    for (let i = 0; i < 600; i++) learner.step(batch, 0.5);
    const q = student.predict(new Float32Array([1, 0, 0, 1]), 2);
    expect(q[0]).toBeCloseTo(10, 2);
    expect(q[1]).toBeCloseTo(0, 6); // Q(s1, a2): no gradient reaches it
    expect(q[3]).toBeCloseTo(0, 6); // Q(s2, a2)
    // W00 and b0 get identical gradients, so Adam moves each by 3.5: Q(s2, a1) = b0 = 4.5.
    expect(q[2]).toBeCloseTo(4.5, 1);
    learner.dispose();
    student.dispose();
  });
});
