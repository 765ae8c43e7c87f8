import { beforeAll, describe, expect, it } from 'vitest';
import { QNetwork, paramCount } from '../../../core/nn/q-network.ts';
import { Rng } from '../../../core/util/rng.ts';
import { useBackend } from '../../helpers.ts';

beforeAll(useBackend);

describe('QNetwork', () => {
  it('counts parameters of any MLP', () => {
    expect(paramCount({ inputSize: 4, hiddenSizes: [64, 64], outputSize: 2 })).toBe(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(paramCount({ inputSize: 4, hiddenSizes: [256, 256], outputSize: 2 })).toBe(67_586); // the peer's teacher
    expect(paramCount({ inputSize: 6, hiddenSizes: [], outputSize: 3 })).toBe(21);
  });

  it('is a pure function of its seed, initialised within ±1/√fan_in', () => {
    const spec = { inputSize: 4, hiddenSizes: [16], outputSize: 2 };
    const a = QNetwork.create(spec, new Rng(5));
    const b = QNetwork.create(spec, new Rng(5));
    const wa = a.getWeights();
    expect(wa).toEqual(b.getWeights());
    expect(Math.max(...wa[0].map(Math.abs))).toBeLessThanOrEqual(0.5);
    expect(Math.max(...wa[2].map(Math.abs))).toBeLessThanOrEqual(0.25);
    a.dispose();
    b.dispose();
  });

  it('computes the MLP forward pass', () => {
    const net = QNetwork.fromWeights({ inputSize: 2, hiddenSizes: [2], outputSize: 2 }, [
      new Float32Array([1, -1, 2, 1]), // W0 [[1,-1],[2,1]]
      new Float32Array([0, 0.5]),
      new Float32Array([1, 0, 0, 1]),
      new Float32Array([0.1, -0.1]),
    ]);
    // x = [1, 1]: h = relu([1+2, -1+1+0.5]) = [3, 0.5]; q = [3.1, 0.4]
    const q = net.predict(new Float32Array([1, 1]), 1);
    expect(q[0]).toBeCloseTo(3.1, 5);
    expect(q[1]).toBeCloseTo(0.4, 5);
    expect(Array.from(net.act(new Float32Array([1, 1, -1, -1]), 2))).toEqual([0, 1]);
    net.dispose();
  });

  it('rejects bad specs and weights with messages naming the field', () => {
    expect(() => QNetwork.create({ inputSize: 4, hiddenSizes: [8, 0], outputSize: 2 }, new Rng(1))).toThrow(/hiddenSizes\[1\] must be a positive integer, got 0/);
    expect(() => QNetwork.fromWeights({ inputSize: 1, hiddenSizes: [], outputSize: 1 }, [new Float32Array([Number.NaN]), new Float32Array([0])])).toThrow(/non-finite/);
    expect(() => QNetwork.fromWeights({ inputSize: 1, hiddenSizes: [], outputSize: 1 }, [new Float32Array(2), new Float32Array(1)])).toThrow(/must have 1 values, got 2/);
  });

  it('hard and Polyak target updates', () => {
    const spec = { inputSize: 1, hiddenSizes: [], outputSize: 1 };
    const src = QNetwork.fromWeights(spec, [new Float32Array([2]), new Float32Array([4])]);
    const dst = QNetwork.fromWeights(spec, [new Float32Array([0]), new Float32Array([0])]);
    dst.updateFrom(src, 0.25);
    expect(dst.getWeights().map((w) => w[0])).toEqual([0.5, 1]);
    dst.updateFrom(src);
    expect(dst.getWeights().map((w) => w[0])).toEqual([2, 4]);
    src.dispose();
    dst.dispose();
  });
});
