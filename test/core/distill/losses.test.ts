import { beforeAll, describe, expect, it } from 'vitest';
import { combinedLoss, maskedMean, softLossPerSample, type SoftLoss } from '../../../core/distill/losses.ts';
import { StudentLearner } from '../../../core/distill/student-learner.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { tf } from '../../../core/nn/tf.ts';
import { pinBackend } from '../../helpers.ts';

beforeAll(pinBackend);

const arr = (t: tf.Tensor) => Array.from(t.dataSync());
const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
/** Σ_a p(a) (log p(a) − log q(a)), terms with p(a) = 0 counted as 0. */
const kl = (p: number[], q: number[]) => p.reduce((acc, pa, j) => acc + (pa > 0 ? pa * (Math.log(pa) - Math.log(q[j])) : 0), 0);

/** Per-sample loss and its gradient with respect to q_S (rows of the batch). */
function lossAndGrad(kind: SoftLoss, qS: number[][], qT: number[][], tau: number): { loss: number[]; grad: number[][] } {
  return tf.tidy(() => {
    const s = tf.tensor2d(qS);
    const t = tf.tensor2d(qT);
    const loss = arr(softLossPerSample(kind, s, t, { tau }));
    const g = tf.grad((x: tf.Tensor) => tf.sum(softLossPerSample(kind, x as tf.Tensor2D, t, { tau })))(s);
    const flat = arr(g);
    return { loss, grad: qS.map((row, i) => flat.slice(i * row.length, (i + 1) * row.length)) };
  });
}

describe('soft losses against hand computations (Rusu et al. 2016)', () => {
  const qS = [[1, 2], [0.5, -0.5]];
  const qT = [[1.5, 1], [0, 1]];

  it('kl = KL(softmax(q_T/τ) ‖ softmax(q_S)): the teacher tempered, the student not', () => {
    // Row 0 by hand at τ = 0.5: p_T = softmax([3, 2]) = [0.7311, 0.2689]; p_S = softmax([1, 2]) = [0.2689, 0.7311];
    // KL = 0.7311·ln(0.7311/0.2689) + 0.2689·ln(0.2689/0.7311) = (0.7311 − 0.2689)·1 = 0.4621.
    const { loss } = lossAndGrad('kl', qS, qT, 0.5);
    expect(loss[0]).toBeCloseTo(0.4621, 4);
    for (const tau of [1, 0.5, 0.01]) {
      const got = lossAndGrad('kl', qS, qT, tau).loss;
      for (let i = 0; i < 2; i++) expect(got[i]).toBeCloseTo(kl(softmax(qT[i].map((x) => x / tau)), softmax(qS[i])), 4);
    }
  });

  it('kl-two-sided = τ·KL(softmax(q_T/τ) ‖ softmax(q_S/τ))', () => {
    for (const tau of [1, 0.5, 0.01]) {
      const got = lossAndGrad('kl-two-sided', qS, qT, tau).loss;
      for (let i = 0; i < 2; i++) {
        const want = tau * kl(softmax(qT[i].map((x) => x / tau)), softmax(qS[i].map((x) => x / tau)));
        expect(got[i]).toBeCloseTo(want, 3);
      }
    }
  });

  it('gradients: kl gives softmax(q_S) − p_T and kl-two-sided softmax(q_S/τ) − p_T, both bounded by 1 whatever τ is', () => {
    for (const tau of [1, 0.1, 0.01]) {
      const r = lossAndGrad('kl', qS, qT, tau);
      const two = lossAndGrad('kl-two-sided', qS, qT, tau);
      for (let i = 0; i < 2; i++) {
        const pT = softmax(qT[i].map((x) => x / tau));
        const pS = softmax(qS[i]);
        const pSt = softmax(qS[i].map((x) => x / tau));
        r.grad[i].forEach((g, j) => expect(g).toBeCloseTo(pS[j] - pT[j], 5));
        two.grad[i].forEach((g, j) => expect(g).toBeCloseTo(pSt[j] - pT[j], 4));
        for (const g of [...r.grad[i], ...two.grad[i]]) expect(Math.abs(g)).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
    // Without the factor τ the two-sided gradient would be 100× larger at τ = 0.01: row 0's is (p_S,τ − p_T)/τ.
    const unscaled = lossAndGrad('kl-two-sided', qS, qT, 0.01).grad[0].map((g) => g / 0.01);
    expect(Math.abs(unscaled[0])).toBeGreaterThan(50);
  });

  it('mse over all actions is the mean over actions per sample (Rusu\'s ‖q_T − q_S‖² / A); its gradient is 2(q_S − q_T)/A', () => {
    const { loss, grad } = lossAndGrad('mse', qS, qT, 1);
    expect(loss[0]).toBeCloseTo((0.25 + 1) / 2, 6);
    expect(loss[1]).toBeCloseTo((0.25 + 2.25) / 2, 6);
    expect(grad[0][0]).toBeCloseTo((2 * (1 - 1.5)) / 2, 6);
    // τ does not enter mse.
    expect(lossAndGrad('mse', qS, qT, 0.01).loss).toEqual(loss);
  });

  it('mse on the taken action only', () => {
    const got = tf.tidy(() => arr(softLossPerSample('mse', tf.tensor2d(qS), tf.tensor2d(qT), { tau: 1, actionsOneHot: tf.tensor2d([[0, 1], [1, 0]]) })));
    expect(got[0]).toBeCloseTo(1, 6);
    expect(got[1]).toBeCloseTo(0.25, 6);
  });

  it('nll = −log softmax(q_S)[argmax q_T], untempered (τ does not enter; gradient softmax(q_S) − onehot)', () => {
    const { loss, grad } = lossAndGrad('nll', qS, qT, 0.01);
    expect(loss[0]).toBeCloseTo(-Math.log(softmax(qS[0])[0]), 5); // the teacher's argmax of row 0 is action 0
    expect(loss[1]).toBeCloseTo(-Math.log(softmax(qS[1])[1]), 5);
    expect(lossAndGrad('nll', qS, qT, 1).loss).toEqual(loss);
    expect(grad[0][0]).toBeCloseTo(softmax(qS[0])[0] - 1, 5);
  });

  it('the batch reduction is a mean: L_soft of a batch of copies equals one sample\'s', () => {
    const one = tf.tidy(() => maskedMean(softLossPerSample('kl', tf.tensor2d([qS[0]]), tf.tensor2d([qT[0]]), { tau: 0.5 }), tf.tensor1d([1])).dataSync()[0]);
    const eight = tf.tidy(() => maskedMean(softLossPerSample('kl', tf.tensor2d(Array(8).fill(qS[0])), tf.tensor2d(Array(8).fill(qT[0])), { tau: 0.5 }), tf.tensor1d(Array(8).fill(1))).dataSync()[0]);
    expect(eight).toBeCloseTo(one, 6);
  });

  it('masked mean ignores masked samples and does not dilute the rest; all masked gives 0', () => {
    expect(tf.tidy(() => maskedMean(tf.tensor1d([2, 100, 4]), tf.tensor1d([1, 0, 1])).dataSync()[0])).toBeCloseTo(3, 6);
    expect(tf.tidy(() => maskedMean(tf.tensor1d([2, 100]), tf.tensor1d([0, 0])).dataSync()[0])).toBe(0);
  });

  it('combined loss is α·hard + (1−α)·soft', () => {
    expect(tf.tidy(() => combinedLoss(tf.scalar(0.25), tf.scalar(8), tf.scalar(4)).dataSync()[0])).toBeCloseTo(0.25 * 8 + 0.75 * 4, 6);
  });
});

describe("the seed's worked example (§4.3), with a hard target that differs from the teacher's Q", () => {
  // Two states (one-hot s1, s2), two actions; teacher Q table: Q_T(s1,a1)=10, Q_T(s1,a2)=5, Q_T(s2,a1)=0,
  // Q_T(s2,a2)=15. The student samples (s1, a1); its recorded return (the mc hard target) is G = 6, not the
  // teacher's 10. With squared errors on the taken action:
  //   L = α(Q − 6)² + (1 − α)(Q − 10)²,   dL/dQ = 2α(Q − 6) + 2(1 − α)(Q − 10),
  // minimised at Q* = 6α + 10(1 − α). Swapping α and 1 − α changes every number below.
  const teacherQ = [10, 5, 0, 15];
  const G = 6;
  const batch = {
    size: 1,
    obs: new Float32Array([1, 0]),
    actions: new Int32Array([0]),
    returns: new Float32Array([G]),
    softQ: new Float32Array(teacherQ.slice(0, 2)),
    softMask: new Float32Array([1]),
  };
  const makeStudent = () =>
    // Linear Q: Q(s, a) = s·W[:, a] + b[a]; Q(s1, a1) = W00 + b0 = 2 + 1 = 3.
    QNetwork.fromWeights({ inputSize: 2, hiddenSizes: [], outputSize: 2 }, [new Float32Array([2, 0, 0, 0]), new Float32Array([1, 0])]);
  const learnerFor = (student: QNetwork, learningRate: number) =>
    new StudentLearner(student, null, { hardLoss: 'mc', hardError: 'mse', maxGradNorm: 0, softLoss: 'mse', softActions: 'taken', tau: 1, gamma: 0.99, learningRate });

  it.each([
    // α, L_hard = (3 − 6)², L_soft = (3 − 10)², L, dL/dQ
    [0, 9, 49, 49, -14],
    [0.3, 9, 49, 0.3 * 9 + 0.7 * 49, 2 * 0.3 * -3 + 2 * 0.7 * -7], // 37.0, −11.6 (swapped: 21.0, −8.4)
    [0.7, 9, 49, 0.7 * 9 + 0.3 * 49, 2 * 0.7 * -3 + 2 * 0.3 * -7], // 21.0, −8.4
    [1, 9, 49, 9, -6],
  ])('α = %s: L_hard %s, L_soft %s, L %s, gradient %s', (alpha, hard, soft, loss, grad) => {
    const student = makeStudent();
    const learner = learnerFor(student, 0.1);
    const r = learner.evaluate(batch, alpha);
    expect(r.hard).toBeCloseTo(hard, 4);
    expect(r.soft).toBeCloseTo(soft, 4);
    expect(r.loss).toBeCloseTo(loss, 4);
    // dL/dW = x ⊗ dL/dQ: only W[s1, a1] and b[a1] receive it.
    expect(Array.from(r.grads[0]).map((g) => Math.round(g * 1e4) / 1e4)).toEqual([grad, 0, 0, 0].map((g) => Math.round(g * 1e4) / 1e4));
    expect(r.grads[1][0]).toBeCloseTo(grad, 4);
    expect(r.grads[1][1]).toBe(0);
    learner.dispose();
    student.dispose();
  });

  it('repeated steps move Q(s1, a1) to 6α + 10(1 − α) and leave the other actions alone', () => {
    for (const alpha of [0.3, 0.7]) {
      const student = makeStudent();
      const learner = learnerFor(student, 0.05);
      for (let i = 0; i < 500; i++) learner.step(batch, alpha);
      const q = student.predict(new Float32Array([1, 0, 0, 1]), 2);
      expect(q[0]).toBeCloseTo(6 * alpha + 10 * (1 - alpha), 2);
      expect(q[1]).toBeCloseTo(0, 6); // Q(s1, a2): no gradient reaches it
      expect(q[3]).toBeCloseTo(0, 6); // Q(s2, a2)
      learner.dispose();
      student.dispose();
    }
  });
});
