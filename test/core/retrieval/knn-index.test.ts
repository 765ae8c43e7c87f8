import { describe, expect, it } from 'vitest';
import { KnnIndex } from '../../../core/retrieval/knn-index.ts';
import { Rng } from '../../../core/util/rng.ts';

/** Reference: every point's squared distance in the index's standardised space, sorted by (distance², row). */
function bruteForce(index: KnnIndex, points: Float32Array, queries: Float32Array, count: number, k: number, radius = Infinity) {
  const { dims, mean, std } = index;
  const n = points.length / dims;
  const sp = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) sp[i] = (points[i] - mean[i % dims]) / std[i % dims];
  const r2 = radius * radius;
  const indices = new Int32Array(count * k).fill(-1);
  const distances = new Float32Array(count * k).fill(Infinity);
  const found = new Int32Array(count);
  const qs = new Float64Array(dims);
  for (let q = 0; q < count; q++) {
    for (let d = 0; d < dims; d++) qs[d] = (queries[q * dims + d] - mean[d]) / std[d];
    const all: { i: number; d2: number }[] = [];
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      for (let d = 0; d < dims; d++) {
        const t = qs[d] - sp[i * dims + d];
        d2 += t * t;
      }
      if (d2 <= r2) all.push({ i, d2 });
    }
    all.sort((a, b) => a.d2 - b.d2 || a.i - b.i);
    found[q] = Math.min(k, all.length);
    for (let j = 0; j < found[q]; j++) {
      indices[q * k + j] = all[j].i;
      distances[q * k + j] = Math.sqrt(all[j].d2);
    }
  }
  return { indices, distances, found };
}

type Kind = 'normal' | 'duplicates' | 'grid';

/** Points of one kind; 'duplicates' repeats a small pool of rows, 'grid' lies on an integer grid (many ties). */
function makePoints(rng: Rng, n: number, dims: number, kind: Kind): Float32Array {
  const scales = Array.from({ length: dims }, (_, d) => [1, 0.5, 0.1, 0.5, 2, 0.05][d]);
  const out = new Float32Array(n * dims);
  const pool = Math.max(1, Math.floor(n / 8));
  const poolRows = new Float32Array(pool * dims);
  for (let i = 0; i < poolRows.length; i++) poolRows[i] = rng.normal() * scales[i % dims];
  for (let i = 0; i < n; i++) {
    const row = rng.int(pool);
    for (let d = 0; d < dims; d++) {
      if (kind === 'normal') out[i * dims + d] = rng.normal() * scales[d];
      else if (kind === 'duplicates') out[i * dims + d] = poolRows[row * dims + d];
      else out[i * dims + d] = rng.int(5) - 2;
    }
  }
  return out;
}

/** Queries: some drawn like the points, some equal to points (distance 0, ties), some far away. */
function makeQueries(rng: Rng, points: Float32Array, dims: number, kind: Kind, count: number): Float32Array {
  const n = points.length / dims;
  const out = new Float32Array(count * dims);
  const fresh = makePoints(rng, count, dims, kind);
  for (let q = 0; q < count; q++) {
    if (q % 4 === 0) {
      const row = rng.int(n);
      out.set(points.subarray(row * dims, row * dims + dims), q * dims);
    } else {
      const far = q % 8 === 3;
      for (let d = 0; d < dims; d++) out[q * dims + d] = far ? fresh[q * dims + d] * 30 + 10 : fresh[q * dims + d];
    }
  }
  return out;
}

function expectSame(actual: { indices: Int32Array; distances: Float32Array; found: Int32Array }, expected: ReturnType<typeof bruteForce>, label: string) {
  expect(Array.from(actual.found), `${label}: found`).toEqual(Array.from(expected.found));
  expect(Array.from(actual.indices), `${label}: indices`).toEqual(Array.from(expected.indices));
  for (let i = 0; i < expected.distances.length; i++) {
    const e = expected.distances[i];
    const a = actual.distances[i];
    if (e === Infinity) expect(a, `${label}: distance ${i}`).toBe(Infinity);
    else expect(Math.abs(a - e), `${label}: distance ${i} (${a} vs ${e})`).toBeLessThanOrEqual(1e-5);
  }
}

describe('KnnIndex equals brute force', () => {
  const sizes = [1, 2, 3, 7, 10, 11, 33, 100, 257, 1000, 5000];
  for (const dims of [2, 4, 6]) {
    for (const kind of ['normal', 'duplicates', 'grid'] as const) {
      it(`dims ${dims}, ${kind} points, sizes 1–5000, k 1/5/16`, () => {
        const rng = new Rng(dims * 100 + kind.length);
        for (const n of sizes) {
          const points = makePoints(rng, n, dims, kind);
          const index = new KnnIndex(points, dims, { standardize: kind !== 'grid' });
          const count = n >= 1000 ? 24 : 40;
          const queries = makeQueries(rng, points, dims, kind, count);
          for (const k of [1, 5, 16]) {
            expectSame(index.queryBatch(queries, count, k), bruteForce(index, points, queries, count, k), `n=${n} k=${k}`);
          }
        }
      });
    }
  }

  it('with a radius (including 0: exact matches only), sizes 1–5000', () => {
    const rng = new Rng(7);
    for (const dims of [2, 4, 6]) {
      for (const n of [1, 5, 50, 800, 5000]) {
        const points = makePoints(rng, n, dims, n % 2 ? 'duplicates' : 'normal');
        const index = new KnnIndex(points, dims);
        const queries = makeQueries(rng, points, dims, 'normal', 32);
        for (const k of [1, 5, 16]) {
          for (const radius of [0, 0.05, 0.3, 1.5]) {
            const got = index.queryBatch(queries, 32, k, { radius });
            expectSame(got, bruteForce(index, points, queries, 32, k, radius), `dims=${dims} n=${n} k=${k} r=${radius}`);
          }
        }
      }
    }
  });

  it('gives the same results for any leaf size', () => {
    const rng = new Rng(11);
    const points = makePoints(rng, 2000, 4, 'duplicates');
    const queries = makeQueries(rng, points, 4, 'duplicates', 50);
    const reference = bruteForce(new KnnIndex(points, 4), points, queries, 50, 16);
    for (const leafSize of [1, 2, 3, 16, 64, 5000]) {
      expectSame(new KnnIndex(points, 4, { leafSize }).queryBatch(queries, 50, 16), reference, `leafSize ${leafSize}`);
    }
  });

  it('breaks ties by lower row index', () => {
    // 30 identical points: the k nearest are rows 0..k-1.
    const same = new KnnIndex(new Float32Array(60).fill(3), 2);
    expect(Array.from(same.queryBatch(new Float32Array([0, 0]), 1, 5).indices)).toEqual([0, 1, 2, 3, 4]);
    // A grid around the query: itself, then its 4 neighbours at distance 1 in row order.
    const grid: number[] = [];
    for (let x = -2; x <= 2; x++) for (let y = -2; y <= 2; y++) grid.push(x, y);
    const index = new KnnIndex(Float32Array.from(grid), 2, { standardize: false, leafSize: 2 });
    const out = { indices: new Int32Array(5), distances: new Float32Array(5) };
    expect(index.query(Float32Array.from([0, 0]), 5, out)).toBe(5);
    const row = (x: number, y: number) => (x + 2) * 5 + (y + 2);
    expect(Array.from(out.indices)).toEqual([row(0, 0), row(-1, 0), row(0, -1), row(0, 1), row(1, 0)]);
    expect(Array.from(out.distances)).toEqual([0, 1, 1, 1, 1]);
  });

  it('pads with −1 / Infinity when fewer than k are found, and handles an empty index', () => {
    const index = new KnnIndex(Float32Array.from([0, 0, 1, 1]), 2, { standardize: false });
    const r = index.queryBatch(Float32Array.from([0, 0, 5, 5]), 2, 3, { radius: 2 });
    expect(Array.from(r.found)).toEqual([2, 0]);
    expect(Array.from(r.indices)).toEqual([0, 1, -1, -1, -1, -1]);
    expect(r.distances[1]).toBeCloseTo(Math.SQRT2, 6);
    expect(Array.from(r.distances.subarray(2))).toEqual([Infinity, Infinity, Infinity, Infinity]);

    const empty = new KnnIndex(new Float32Array(0), 3);
    expect(empty.size).toBe(0);
    expect(empty.queryBatch(new Float32Array(3), 1, 2).found[0]).toBe(0);
    expect(empty.query(new Float32Array(3), 1)).toBe(0);
  });

  it('query() matches queryBatch() and keeps its last result without `out`', () => {
    const rng = new Rng(3);
    const points = makePoints(rng, 500, 4, 'normal');
    const index = new KnnIndex(points, 4);
    const queries = makeQueries(rng, points, 4, 'normal', 10);
    const batch = index.queryBatch(queries, 10, 5);
    const out = { indices: new Int32Array(8), distances: new Float32Array(8) };
    for (let q = 0; q < 10; q++) {
      const qv = queries.subarray(q * 4, q * 4 + 4);
      expect(index.query(qv, 5, out)).toBe(5);
      expect(Array.from(out.indices.subarray(0, 5))).toEqual(Array.from(batch.indices.subarray(q * 5, q * 5 + 5)));
      expect(Array.from(out.distances.subarray(0, 5))).toEqual(Array.from(batch.distances.subarray(q * 5, q * 5 + 5)));
      expect(index.query(qv, 5)).toBe(5);
      expect(Array.from(index.lastResult.indices)).toEqual(Array.from(batch.indices.subarray(q * 5, q * 5 + 5)));
    }
  });
});

describe('KnnIndex standardisation', () => {
  it('stores the points’ mean and population std, 0 std counted as 1', () => {
    const index = new KnnIndex(Float32Array.from([1, 5, 3, 5, 5, 5]), 2);
    expect(Array.from(index.mean)).toEqual([3, 5]);
    expect(index.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(index.std[1]).toBe(1);
    const raw = new KnnIndex(Float32Array.from([1, 5, 3, 5]), 2, { standardize: false });
    expect(Array.from(raw.mean)).toEqual([0, 0]);
    expect(Array.from(raw.std)).toEqual([1, 1]);
  });

  it('a dimension scaled ×1000 does not dominate', () => {
    const rng = new Rng(5);
    const n = 3000;
    const base = new Float32Array(n * 2);
    for (let i = 0; i < base.length; i++) base[i] = rng.normal();
    const scaled = base.map((v, i) => (i % 2 === 1 ? v * 1000 : v));
    const queries = new Float32Array(100 * 2);
    for (let i = 0; i < queries.length; i++) queries[i] = rng.normal();
    const scaledQueries = queries.map((v, i) => (i % 2 === 1 ? v * 1000 : v));

    const plain = new KnnIndex(base, 2).queryBatch(queries, 100, 5);
    const standardised = new KnnIndex(scaled, 2).queryBatch(scaledQueries, 100, 5);
    const raw = new KnnIndex(scaled, 2, { standardize: false }).queryBatch(scaledQueries, 100, 5);
    expect(Array.from(standardised.indices)).toEqual(Array.from(plain.indices));
    for (let i = 0; i < plain.distances.length; i++) expect(standardised.distances[i]).toBeCloseTo(plain.distances[i], 4);
    // Without standardisation the ×1000 dimension decides nearly alone: the neighbours differ.
    const same = raw.indices.filter((v, i) => v === plain.indices[i]).length;
    expect(same).toBeLessThan(plain.indices.length / 2);
  });
});

describe('KnnIndex input validation', () => {
  const index = new KnnIndex(Float32Array.from([0, 0, 1, 1, 2, 2]), 2);
  it('rejects bad construction arguments', () => {
    expect(() => new KnnIndex(new Float32Array(4), 0)).toThrow(/dims must be an integer ≥ 1, got 0/);
    expect(() => new KnnIndex(new Float32Array(5), 2)).toThrow(/points has 5 values, not a multiple of dims = 2/);
    expect(() => new KnnIndex(Float32Array.from([0, 0, 1, 1, 2, 2, 3, Number.NaN]), 2)).toThrow(/points row 3 has a non-finite value \(NaN\) in dimension 1/);
    expect(() => new KnnIndex(Float32Array.from([0, Infinity]), 2)).toThrow(/points row 0/);
    expect(() => new KnnIndex(new Float32Array(4), 2, { leafSize: 0 })).toThrow(/leafSize must be an integer ≥ 1, got 0/);
  });
  it('rejects bad query arguments', () => {
    expect(() => index.query(new Float32Array(2), 0)).toThrow(/k must be an integer ≥ 1, got 0/);
    expect(() => index.queryBatch(new Float32Array(2), 1, 2.5)).toThrow(/k must be an integer ≥ 1, got 2.5/);
    expect(() => index.query(new Float32Array(3), 1)).toThrow(/q has 3 values, expected dims = 2/);
    expect(() => index.query(Float32Array.from([0, Number.NaN]), 1)).toThrow(/q has a non-finite value/);
    expect(() => index.query(new Float32Array(2), 3, { indices: new Int32Array(2), distances: new Float32Array(3) })).toThrow(/out\.indices and out\.distances must hold at least k = 3/);
    expect(() => index.queryBatch(new Float32Array(5), 2, 1)).toThrow(/queries has 5 values, expected count·dims = 2·2 = 4/);
    expect(() => index.queryBatch(new Float32Array(0), -1, 1)).toThrow(/count must be a non-negative integer, got -1/);
    expect(() => index.queryBatch(Float32Array.from([0, 0, 0, Infinity]), 2, 1)).toThrow(/queries row 1 has a non-finite value/);
    expect(() => index.queryBatch(new Float32Array(2), 1, 1, { radius: -1 })).toThrow(/radius must be ≥ 0/);
    expect(() => index.queryBatch(new Float32Array(2), 1, 1, { radius: Number.NaN })).toThrow(/radius must be ≥ 0/);
  });
});
