/**
 * Teacher-Q soft targets for student states, from their nearest knowledge-base states.
 *
 * For a query x with neighbours i = 1..m (m ≤ k, all within the radius when one is given), at standardised
 * distances d_i, and the teacher's Q-values Q_i[a] stored with them:
 *
 *   inverse-distance:  w_i = 1 / (d_i + ε),  ε = 1e-6      uniform:  w_i = 1
 *   target[a] = Σ_i w_i · Q_i[a] / Σ_i w_i
 *
 * so an exact match (d = 0, weight 10⁶) dominates neighbours at ordinary distances. A query with no
 * neighbour (m = 0: none within the radius, or an empty index) gets mask 0, target 0 and mean distance
 * Infinity: no target is made up. meanDistance is the plain (unweighted) mean of d_i.
 */
import { KnnIndex } from './knn-index.ts';

export type SoftTargetWeighting = 'inverse-distance' | 'uniform';

export interface SoftTargetOptions {
  /** Neighbours per query. */
  readonly k: number;
  /** Only neighbours within this standardised distance (default: no limit). */
  readonly radius?: number;
  /** Default 'inverse-distance'. */
  readonly weighting?: SoftTargetWeighting;
}

export interface SoftTargets {
  /** count·actionCount targets, query-major (0 where mask is 0). */
  readonly q: Float32Array;
  /** Per query: 1 if a target exists, 0 if no neighbour was found. */
  readonly mask: Float32Array;
  /** Per query: the mean distance of its neighbours (Infinity where mask is 0). */
  readonly meanDistance: Float32Array;
}

export const INVERSE_DISTANCE_EPSILON = 1e-6;

export function softTargets(
  index: KnnIndex,
  teacherQ: Float32Array,
  actionCount: number,
  queries: Float32Array,
  count: number,
  options: SoftTargetOptions,
): SoftTargets {
  if (!Number.isInteger(actionCount) || actionCount < 1) throw new Error(`softTargets: actionCount must be an integer ≥ 1, got ${actionCount}`);
  if (teacherQ.length !== index.size * actionCount) {
    throw new Error(`softTargets: teacherQ has ${teacherQ.length} values, expected index.size·actionCount = ${index.size}·${actionCount} = ${index.size * actionCount}`);
  }
  const weighting = options.weighting ?? 'inverse-distance';
  if (weighting !== 'inverse-distance' && weighting !== 'uniform') {
    throw new Error(`softTargets: weighting must be 'inverse-distance' or 'uniform', got ${JSON.stringify(weighting)}`);
  }
  const { k } = options;
  const { indices, distances, found } = index.queryBatch(queries, count, k, { radius: options.radius });

  const q = new Float32Array(count * actionCount);
  const mask = new Float32Array(count);
  const meanDistance = new Float32Array(count).fill(Infinity);
  const acc = new Float64Array(actionCount);
  for (let i = 0; i < count; i++) {
    const m = found[i];
    if (m === 0) continue;
    acc.fill(0);
    let wSum = 0;
    let dSum = 0;
    for (let j = 0; j < m; j++) {
      const row = indices[i * k + j];
      const d = distances[i * k + j];
      const w = weighting === 'uniform' ? 1 : 1 / (d + INVERSE_DISTANCE_EPSILON);
      wSum += w;
      dSum += d;
      for (let a = 0; a < actionCount; a++) acc[a] += w * teacherQ[row * actionCount + a];
    }
    for (let a = 0; a < actionCount; a++) q[i * actionCount + a] = acc[a] / wSum;
    mask[i] = 1;
    meanDistance[i] = dSum / m;
  }
  return { q, mask, meanDistance };
}

/**
 * Default retrieval radius ('auto'): how far a state the teacher itself visits typically lies from the KB.
 * Every CALIBRATION_EPISODE_STRIDE-th episode of the KB is set aside, and for each of its states (up to
 * RADIUS_AUTO_SAMPLE) the distance to the nearest state of the other episodes is measured, in the full
 * index's standardised units; the radius is RADIUS_AUTO_QUANTILE of those distances. So 99% of the teacher's
 * own states (from an episode the KB had not seen) would get a target, and a student state farther than that
 * from every KB state lies where the teacher's knowledge is not recorded: it gets none. (The distance to the
 * nearest other *row* would be the wrong yardstick: consecutive states of one trajectory are nearly equal.)
 * A KB of one episode falls back to nearest-other-row distances.
 */
export const RADIUS_AUTO_QUANTILE = 0.99;
export const RADIUS_AUTO_SAMPLE = 4096;
export const CALIBRATION_EPISODE_STRIDE = 10;

function quantile(values: Float64Array, q: number): number {
  const d = values.slice().sort();
  const pos = q * (d.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, d.length - 1);
  return d[lo] + (pos - lo) * (d[hi] - d[lo]);
}

/**
 * Standardised distance (in `index`'s units) from the states of every CALIBRATION_EPISODE_STRIDE-th episode
 * (at most `sample` of them, evenly spread) to the nearest state of the other episodes. `points` are the
 * index's points (row-major) and `episodes` their episode ids.
 */
export function calibrationDistances(index: KnnIndex, points: Float32Array, episodes: Int32Array, sample = RADIUS_AUTO_SAMPLE): Float64Array {
  const n = index.size;
  const dims = index.dims;
  if (n < 2) throw new Error(`calibrationDistances: the index has ${n} point(s); at least 2 are needed`);
  if (points.length !== n * dims || episodes.length !== n) throw new Error(`calibrationDistances: points/episodes do not match the index (${n} points of ${dims} dims)`);
  const ids = [...new Set(episodes)].sort((a, b) => a - b);
  const held = new Set(ids.filter((_, i) => i % CALIBRATION_EPISODE_STRIDE === CALIBRATION_EPISODE_STRIDE - 1));
  if (held.size === 0 || held.size === ids.length) return neighbourDistances(index, points, sample);
  const standardised = (row: number, out: Float64Array, at: number) => {
    for (let d = 0; d < dims; d++) out[at + d] = (points[row * dims + d] - index.mean[d]) / index.std[d];
  };
  const refRows: number[] = [];
  const calRows: number[] = [];
  for (let i = 0; i < n; i++) (held.has(episodes[i]) ? calRows : refRows).push(i);
  const ref = new Float64Array(refRows.length * dims);
  refRows.forEach((row, i) => standardised(row, ref, i * dims));
  const refIndex = new KnnIndex(ref, dims, { standardize: false });
  const count = Math.min(sample, calRows.length);
  const queries = new Float64Array(count * dims);
  for (let i = 0; i < count; i++) standardised(calRows[Math.floor((i * calRows.length) / count)], queries, i * dims);
  const { distances } = refIndex.queryBatch(queries, count, 1);
  return Float64Array.from(distances);
}

/** Standardised distance from each of up to `sample` rows (even stride) to its nearest other row. */
export function neighbourDistances(index: KnnIndex, points: Float32Array, sample = RADIUS_AUTO_SAMPLE): Float64Array {
  const n = index.size;
  if (n < 2) throw new Error(`neighbourDistances: the index has ${n} point(s); at least 2 are needed`);
  if (points.length !== n * index.dims) throw new Error(`neighbourDistances: points has ${points.length} values, expected ${n}·${index.dims}`);
  const count = Math.min(sample, n);
  const rows = Int32Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
  const queries = new Float32Array(count * index.dims);
  rows.forEach((row, i) => queries.set(points.subarray(row * index.dims, (row + 1) * index.dims), i * index.dims));
  const { indices, distances } = index.queryBatch(queries, count, 2);
  const out = new Float64Array(count);
  // The first neighbour is the row itself (distance 0) unless a duplicate state came first; take the first other row.
  for (let i = 0; i < count; i++) out[i] = indices[i * 2] === rows[i] ? distances[i * 2 + 1] : distances[i * 2];
  return out;
}

/** The 'auto' radius: RADIUS_AUTO_QUANTILE of the calibration distances (linear interpolation). */
export function autoRadius(index: KnnIndex, points: Float32Array, episodes: Int32Array, q = RADIUS_AUTO_QUANTILE): number {
  const r = quantile(calibrationDistances(index, points, episodes), q);
  // Every calibration state duplicated in the KB: only exact matches get targets.
  return r > 0 ? r : Number.MIN_VALUE;
}
