import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, huberMean, mseMean, selectActionValues } from '../../../core/nn/losses.ts';
import { tf } from '../../../core/nn/tf.ts';
import { useBackend } from '../../helpers.ts';

beforeAll(useBackend);

const value = (t: tf.Tensor) => t.dataSync()[0];

describe('losses (mean over the batch)', () => {
  it('huberMean matches the hand computation', () => {
    // errors: 0.5 (quadratic: 0.125), -2 (linear: 1.5), 0 → mean = (0.125 + 1.5 + 0) / 3
    const l = tf.tidy(() => value(huberMean(tf.tensor1d([1.5, 0, 3]), tf.tensor1d([1, 2, 3]))));
    expect(l).toBeCloseTo((0.125 + 1.5) / 3, 6);
  });

  it('mseMean matches the hand computation', () => {
    const l = tf.tidy(() => value(mseMean(tf.tensor1d([1.5, 0, 3]), tf.tensor1d([1, 2, 3]))));
    expect(l).toBeCloseTo((0.25 + 4) / 3, 6);
  });

  it('does not scale with the batch size (a duplicated batch has the same loss)', () => {
    const [a, b] = tf.tidy(() => [
      value(huberMean(tf.tensor1d([0.3, -4]), tf.tensor1d([0, 0]))),
      value(huberMean(tf.tensor1d([0.3, -4, 0.3, -4]), tf.tensor1d([0, 0, 0, 0]))),
    ]);
    expect(b).toBeCloseTo(a, 6);
  });

  it('selectActionValues picks Q(s, a) with a one-hot product', () => {
    const q = tf.tidy(() => Array.from(selectActionValues(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[0, 1], [1, 0]])).dataSync()));
    expect(q).toEqual([2, 3]);
  });

  it('clipByGlobalNorm scales like torch clip_grad_norm_', () => {
    const out = tf.tidy(() => {
      const g = clipByGlobalNorm({ a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) }, 1); // norm 5
      return [...g.a.dataSync(), ...g.b.dataSync()];
    });
    const s = 1 / (5 + 1e-6);
    expect(out[0]).toBeCloseTo(3 * s, 6);
    expect(out[2]).toBeCloseTo(4 * s, 6);
    const untouched = tf.tidy(() => Array.from(clipByGlobalNorm({ a: tf.tensor1d([0.3, 0.4]) }, 1).a.dataSync()));
    expect(untouched[0]).toBeCloseTo(0.3, 6);
  });
});
