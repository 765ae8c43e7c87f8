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
import type { KnnIndex } from './knn-index.ts';

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
