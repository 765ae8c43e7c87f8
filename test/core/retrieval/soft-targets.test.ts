import { describe, expect, it } from 'vitest';
import { KnnIndex } from '../../../core/retrieval/knn-index.ts';
import { CALIBRATION_EPISODE_STRIDE, RADIUS_AUTO_QUANTILE, autoRadius, calibrationDistances, neighbourDistances, softTargets } from '../../../core/retrieval/soft-targets.ts';
import { Rng } from '../../../core/util/rng.ts';

// Three states in raw (unstandardised) 2-D space and the teacher's Q for 2 actions.
const states = Float32Array.from([0, 0, 1, 0, 0, 2]);
const teacherQ = Float32Array.from([1, 2, 3, 4, 5, 6]);
const index = new KnnIndex(states, 2, { standardize: false });
const EPS = 1e-6;

function weightedMean(pairs: { d: number; q: number[] }[], weight: (d: number) => number): number[] {
  const wSum = pairs.reduce((s, p) => s + weight(p.d), 0);
  return [0, 1].map((a) => pairs.reduce((s, p) => s + weight(p.d) * p.q[a], 0) / wSum);
}

describe('softTargets', () => {
  it('inverse-distance weights match a hand computation', () => {
    // Query (0.25, 0): row 0 at 0.25, row 1 at 0.75, row 2 at √(0.0625 + 4).
    const r = softTargets(index, teacherQ, 2, Float32Array.from([0.25, 0]), 1, { k: 2 });
    const expected = weightedMean(
      [
        { d: 0.25, q: [1, 2] },
        { d: 0.75, q: [3, 4] },
      ],
      (d) => 1 / (d + EPS),
    );
    expect(expected[0]).toBeCloseTo(1.5, 5); // weights ≈ 3/4 and 1/4
    expect(r.q[0]).toBeCloseTo(expected[0], 6);
    expect(r.q[1]).toBeCloseTo(expected[1], 6);
    expect(r.mask[0]).toBe(1);
    expect(r.meanDistance[0]).toBeCloseTo(0.5, 6);

    const r3 = softTargets(index, teacherQ, 2, Float32Array.from([0.25, 0]), 1, { k: 3 });
    const d2 = Math.sqrt(0.0625 + 4);
    const expected3 = weightedMean(
      [
        { d: 0.25, q: [1, 2] },
        { d: 0.75, q: [3, 4] },
        { d: d2, q: [5, 6] },
      ],
      (d) => 1 / (d + EPS),
    );
    expect(r3.q[0]).toBeCloseTo(expected3[0], 5);
    expect(r3.q[1]).toBeCloseTo(expected3[1], 5);
    expect(r3.meanDistance[0]).toBeCloseTo((0.25 + 0.75 + d2) / 3, 5);
  });

  it('an exact match dominates', () => {
    const r = softTargets(index, teacherQ, 2, Float32Array.from([1, 0]), 1, { k: 3 });
    expect(r.q[0]).toBeCloseTo(3, 4);
    expect(r.q[1]).toBeCloseTo(4, 4);
  });

  it('uniform weighting is the plain mean of the neighbours', () => {
    const r = softTargets(index, teacherQ, 2, Float32Array.from([0.25, 0, 0, 1.9]), 2, { k: 2, weighting: 'uniform' });
    expect(Array.from(r.q)).toEqual([2, 3, 3, 4]); // rows 0,1 then rows 2,0
    expect(Array.from(r.mask)).toEqual([1, 1]);
  });

  it('masks queries with no neighbour within the radius, and uses only those within it', () => {
    const r = softTargets(index, teacherQ, 2, Float32Array.from([10, 10, 0.25, 0, 0.9, 0]), 3, { k: 3, radius: 0.5 });
    expect(Array.from(r.mask)).toEqual([0, 1, 1]);
    expect(Array.from(r.q.subarray(0, 2))).toEqual([0, 0]);
    expect(r.meanDistance[0]).toBe(Infinity);
    // Query 2: only row 0 (0.25) is within 0.5.
    expect(Array.from(r.q.subarray(2, 4))).toEqual([1, 2]);
    expect(r.meanDistance[1]).toBeCloseTo(0.25, 6);
    // Query 3: only row 1 (0.1) is within 0.5.
    expect(r.q[4]).toBeCloseTo(3, 6);
    expect(r.q[5]).toBeCloseTo(4, 6);
  });

  it('agrees with queryBatch on random standardised data', () => {
    const rng = new Rng(9);
    const n = 400;
    const actions = 3;
    const points = new Float32Array(n * 4);
    for (let i = 0; i < points.length; i++) points[i] = rng.normal() * [1, 0.5, 0.1, 0.5][i % 4];
    const q = Float32Array.from({ length: n * actions }, () => rng.uniform(-5, 5));
    const idx = new KnnIndex(points, 4);
    const queries = Float32Array.from({ length: 20 * 4 }, (_, i) => rng.normal() * [1, 0.5, 0.1, 0.5][i % 4]);
    const r = softTargets(idx, q, actions, queries, 20, { k: 8, radius: 1 });
    const nn = idx.queryBatch(queries, 20, 8, { radius: 1 });
    for (let i = 0; i < 20; i++) {
      const m = nn.found[i];
      expect(r.mask[i]).toBe(m > 0 ? 1 : 0);
      for (let a = 0; a < actions; a++) {
        let num = 0;
        let den = 0;
        for (let j = 0; j < m; j++) {
          const w = 1 / (nn.distances[i * 8 + j] + EPS);
          num += w * q[nn.indices[i * 8 + j] * actions + a];
          den += w;
        }
        expect(r.q[i * actions + a]).toBeCloseTo(m > 0 ? num / den : 0, 5);
      }
    }
  });

  it('validates its arguments', () => {
    const one = Float32Array.from([0, 0]);
    expect(() => softTargets(index, teacherQ, 3, one, 1, { k: 1 })).toThrow(/teacherQ has 6 values, expected index.size·actionCount = 3·3 = 9/);
    expect(() => softTargets(index, teacherQ, 0, one, 1, { k: 1 })).toThrow(/actionCount must be an integer ≥ 1, got 0/);
    expect(() => softTargets(index, teacherQ, 2, one, 1, { k: 1, weighting: 'gaussian' as 'uniform' })).toThrow(/weighting must be 'inverse-distance' or 'uniform', got "gaussian"/);
    expect(() => softTargets(index, teacherQ, 2, one, 1, { k: 0 })).toThrow(/k must be an integer ≥ 1/);
    expect(() => softTargets(index, teacherQ, 2, one, 2, { k: 1 })).toThrow(/queries has 2 values, expected count·dims = 2·2 = 4/);
  });
});

describe("the 'auto' retrieval radius", () => {
  it('measures, for states of every 10th episode, the distance to the nearest state of the other episodes', () => {
    // 20 episodes on a 1-D line: episode e holds the points e, e + 20, e + 40, e + 60, e + 80. Within an episode
    // points are 20 apart; the nearest point of another episode is 1 away. Episodes 9 and 19 are set aside.
    const pts = Float32Array.from({ length: 100 }, (_, i) => (i % 5) * 20 + Math.floor(i / 5));
    const episodes = Int32Array.from({ length: 100 }, (_, i) => Math.floor(i / 5));
    const index = new KnnIndex(pts, 1);
    const step = 1 / index.std[0];
    const d = calibrationDistances(index, pts, episodes);
    expect(d.length).toBe(10);
    for (const x of d) expect(x).toBeCloseTo(step, 6);
    expect(autoRadius(index, pts, episodes)).toBeCloseTo(step, 6);
    expect(RADIUS_AUTO_QUANTILE).toBe(0.99);
    expect(CALIBRATION_EPISODE_STRIDE).toBe(10);
  });

  it('interpolates the quantile and, with one episode, falls back to nearest-other-row distances', () => {
    // A grid 0..99 plus an outlier at 1000, all one episode.
    const pts = Float32Array.from([...Array.from({ length: 100 }, (_, i) => i), 1000]);
    const one = new Int32Array(101);
    const index = new KnnIndex(pts, 1);
    const step = 1 / index.std[0];
    expect(Array.from(calibrationDistances(index, pts, one))).toEqual(Array.from(neighbourDistances(index, pts)));
    expect(autoRadius(index, pts, one, 0.99)).toBeCloseTo(step, 6);
    expect(autoRadius(index, pts, one, 1)).toBeCloseTo(901 * step, 4);
  });

  it('takes the nearest other row even when a duplicate state comes first, and refuses an index of one point', () => {
    const pts = Float32Array.from([0, 0, 5]);
    const index = new KnnIndex(pts, 1);
    expect(Array.from(neighbourDistances(index, pts))).toEqual([0, 0, expect.any(Number)]);
    expect(() => neighbourDistances(new KnnIndex(Float32Array.from([1]), 1), Float32Array.from([1]))).toThrow(/at least 2/);
  });
});
