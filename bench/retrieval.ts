/**
 * k-NN retrieval benchmark: KD-tree (core/retrieval/knn-index.ts) against a brute-force scan, on
 * CartPole-like states (4 dims, normal with std [1, 0.5, 0.1, 0.5]).
 * Full: KB sizes 10⁵ and 10⁶; quick: 10⁴ and 10⁵; k = 1 and 8.
 * On its own: `npx tsx bench/retrieval.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { KnnIndex } from '../core/retrieval/knn-index.ts';
import { Rng } from '../core/util/rng.ts';

const DIMS = 4;
const STATE_STD = [1, 0.5, 0.1, 0.5];
const NEAR_QUERIES = 2000;
const FAR_QUERIES = 20;

function cartPoleLike(rng: Rng, count: number, scale = 1): Float32Array {
  const out = new Float32Array(count * DIMS);
  for (let i = 0; i < count; i++) for (let d = 0; d < DIMS; d++) out[i * DIMS + d] = rng.normal() * STATE_STD[d] * scale;
  return out;
}

/** Brute force over the index's standardised points: the k smallest (distance², row), sorted. */
function bruteForce(std: Float64Array, n: number, mean: Float64Array, sd: Float64Array, queries: Float32Array, count: number, k: number): Int32Array {
  const out = new Int32Array(count * k).fill(-1);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const qs = new Float64Array(DIMS);
  for (let qi = 0; qi < count; qi++) {
    for (let d = 0; d < DIMS; d++) qs[d] = (queries[qi * DIMS + d] - mean[d]) / sd[d];
    let filled = 0;
    let worst = Infinity;
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      for (let d = 0; d < DIMS; d++) {
        const t = qs[d] - std[i * DIMS + d];
        d2 += t * t;
      }
      if (d2 >= worst) continue; // rows ascend, so an equal distance never displaces a lower row
      let pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && bestD[pos - 1] > d2) {
        bestD[pos] = bestD[pos - 1];
        bestI[pos] = bestI[pos - 1];
        pos--;
      }
      bestD[pos] = d2;
      bestI[pos] = i;
      if (filled === k) worst = bestD[k - 1];
    }
    for (let j = 0; j < filled; j++) out[qi * k + j] = bestI[j];
  }
  return out;
}

export async function benchRetrieval(options: { quick: boolean }): Promise<Record<string, string | number>[]> {
  const sizes = options.quick ? [1e4, 1e5] : [1e5, 1e6];
  const rows: Record<string, string | number>[] = [];
  for (const size of sizes) {
    const rng = new Rng(size);
    const points = cartPoleLike(rng, size);
    const near = cartPoleLike(rng, NEAR_QUERIES);
    const far = cartPoleLike(rng, FAR_QUERIES, 20);
    const queries = new Float32Array((NEAR_QUERIES + FAR_QUERIES) * DIMS);
    queries.set(near);
    queries.set(far, near.length);
    const queryCount = NEAR_QUERIES + FAR_QUERIES;

    const t0 = performance.now();
    const index = new KnnIndex(points, DIMS);
    const buildS = (performance.now() - t0) / 1000;

    // The brute force scans the same standardised points (row order).
    const standardized = new Float64Array(size * DIMS);
    for (let i = 0; i < size * DIMS; i++) standardized[i] = (points[i] - index.mean[i % DIMS]) / index.std[i % DIMS];
    // About 2·10⁸ distance evaluations per brute-force timing; far queries included.
    const bruteCount = Math.min(queryCount, Math.max(20, Math.round(2e8 / size / DIMS)));
    const bruteQueries = new Float32Array(bruteCount * DIMS);
    const step = Math.floor(queryCount / bruteCount);
    for (let i = 0; i < bruteCount; i++) bruteQueries.set(queries.subarray(((i * step) % queryCount) * DIMS, ((i * step) % queryCount) * DIMS + DIMS), i * DIMS);
    bruteQueries.set(far.subarray(0, DIMS), 0);

    for (const k of [1, 8]) {
      index.queryBatch(queries.subarray(0, 200 * DIMS), 200, k); // warm-up
      let reps = 0;
      const t1 = performance.now();
      do {
        index.queryBatch(queries, queryCount, k);
        reps++;
      } while (performance.now() - t1 < 500);
      const kdQps = (reps * queryCount) / ((performance.now() - t1) / 1000);

      bruteForce(standardized, size, index.mean, index.std, bruteQueries.subarray(0, DIMS), 1, k); // warm-up
      const t2 = performance.now();
      const bruteIdx = bruteForce(standardized, size, index.mean, index.std, bruteQueries, bruteCount, k);
      const bruteQps = bruteCount / ((performance.now() - t2) / 1000);

      const kd = index.queryBatch(bruteQueries, bruteCount, k);
      const agree = kd.indices.every((v, i) => v === bruteIdx[i]);
      rows.push({
        size,
        dims: DIMS,
        k,
        leafSize: index.leafSize,
        buildS: Number(buildS.toFixed(3)),
        kdQueriesPerS: Math.round(kdQps),
        bruteQueriesPerS: Math.round(bruteQps),
        bruteQueries: bruteCount,
        speedup: Math.round(kdQps / bruteQps),
        agree: agree ? 'yes' : 'NO',
      });
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchRetrieval({ quick: process.argv.includes('--quick') });
  console.table(rows);
}
