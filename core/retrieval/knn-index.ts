/**
 * Exact k-nearest-neighbour search over a knowledge base's states (a KD-tree, no dependencies).
 *
 * Distances are Euclidean in standardised space: every dimension is mapped to (x − mean) / std with the
 * points' own mean and (population) std, std 0 counted as 1, so a dimension measured in large units does not
 * drown the others. Queries are standardised with the same mean and std.
 *
 * The tree: the standardised points are copied once and reordered in place, split at the median of the
 * dimension of widest spread until a node holds at most `leafSize` points, so every node, and in
 * particular every leaf, is one contiguous run of rows. Nodes are numbered in pre-order (a node's left child
 * is the next node) and keep the bounding box of their points. The search goes depth-first into the child
 * whose box is nearer; the other waits on a small stack and is visited only if its box distance can still
 * beat the current k-th best (tight boxes keep queries far outside the data nearly as cheap as near ones).
 *
 * Exactness: results are the k smallest (squared distance, row index) pairs, i.e. sorted by distance, ties
 * by lower row index — the same as a brute-force scan over the standardised points. A box distance is
 * summed per dimension in the same order as a point's distance from the same kind of differences, and
 * floating-point rounding is monotone, so the computed box distance never exceeds a computed point distance
 * inside the box; a node is skipped only when its box distance is strictly greater than the k-th best, so no
 * tie is lost to rounding.
 */

export interface KnnIndexOptions {
  /** Standardise each dimension by the points' mean and std (default true). False: raw coordinates. */
  readonly standardize?: boolean;
  /** Most points in a leaf (default 10). */
  readonly leafSize?: number;
}

export interface KnnResult {
  /** Row indices into the points the index was built from, nearest first. */
  indices: Int32Array;
  /** Euclidean distances in standardised space, ascending. */
  distances: Float32Array;
}

export interface KnnBatchResult {
  /** count·k row indices, query-major; −1 where fewer than k neighbours were found. */
  readonly indices: Int32Array;
  /** count·k distances; Infinity where fewer than k neighbours were found. */
  readonly distances: Float32Array;
  /** Neighbours found per query (≤ k; fewer when the index is small or a radius cuts them off). */
  readonly found: Int32Array;
}

export interface KnnQueryOptions {
  /**
   * Only neighbours within this distance (standardised units): squared distance ≤ radius². Default
   * Infinity (no limit).
   */
  readonly radius?: number;
}

const DEFAULT_LEAF_SIZE = 10;

export class KnnIndex {
  readonly size: number;
  readonly dims: number;
  /** Per-dimension mean used to standardise (all 0 without standardisation). */
  readonly mean: Float64Array;
  /** Per-dimension std used to standardise (0 replaced by 1; all 1 without standardisation). */
  readonly std: Float64Array;
  readonly leafSize: number;

  /** The standardised points, reordered so that every node is a contiguous run of rows (size·dims). */
  private readonly data: Float64Array;
  /** ids[j]: the original row index of the point in row j. */
  private readonly ids: Int32Array;
  /** Per node: its points' bounding box, min then max per dimension (2·dims values a node). */
  private readonly boxes: Float64Array;
  /** Per node: index of the right child, or −1 for a leaf (the left child is node + 1). */
  private readonly rightChild: Int32Array;
  /** Per node: its rows [start, end). */
  private readonly start: Int32Array;
  private readonly end: Int32Array;

  // Search scratch, reused by every query (no allocation per query).
  private readonly qs: Float64Array;
  /** Nodes waiting to be visited and their box distances (at most one per tree level). */
  private readonly stackNode: Int32Array;
  private readonly stackBound: Float64Array;
  private bestD: Float64Array = new Float64Array(16);
  private bestI: Int32Array = new Int32Array(16);
  private k = 1;
  private count = 0;
  private worst = Infinity;
  private lastCount = 0;

  constructor(points: Float32Array | Float64Array, dims: number, options: KnnIndexOptions = {}) {
    if (!Number.isInteger(dims) || dims < 1) throw new Error(`KnnIndex: dims must be an integer ≥ 1, got ${dims}`);
    if (points.length % dims !== 0) throw new Error(`KnnIndex: points has ${points.length} values, not a multiple of dims = ${dims}`);
    const leafSize = options.leafSize ?? DEFAULT_LEAF_SIZE;
    if (!Number.isInteger(leafSize) || leafSize < 1) throw new Error(`KnnIndex: leafSize must be an integer ≥ 1, got ${leafSize}`);
    const n = points.length / dims;
    for (let i = 0; i < points.length; i++) {
      if (!Number.isFinite(points[i])) {
        throw new Error(`KnnIndex: points row ${Math.floor(i / dims)} has a non-finite value (${points[i]}) in dimension ${i % dims}`);
      }
    }
    this.size = n;
    this.dims = dims;
    this.leafSize = leafSize;
    this.mean = new Float64Array(dims);
    this.std = new Float64Array(dims).fill(1);
    if (options.standardize !== false && n > 0) {
      // Two passes in float64: mean, then the population variance around it.
      for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) this.mean[d] += points[i * dims + d];
      for (let d = 0; d < dims; d++) this.mean[d] /= n;
      const m2 = new Float64Array(dims);
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < dims; d++) {
          const t = points[i * dims + d] - this.mean[d];
          m2[d] += t * t;
        }
      }
      for (let d = 0; d < dims; d++) {
        const s = Math.sqrt(m2[d] / n);
        this.std[d] = s > 0 && Number.isFinite(s) ? s : 1;
      }
    }

    const data = new Float64Array(n * dims);
    for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) data[i * dims + d] = (points[i * dims + d] - this.mean[d]) / this.std[d];
    const tree = buildTree(data, n, dims, leafSize);
    this.data = data;
    this.ids = tree.ids;
    this.boxes = tree.boxes;
    this.rightChild = tree.rightChild;
    this.start = tree.start;
    this.end = tree.end;
    this.qs = new Float64Array(dims);
    this.stackNode = new Int32Array(tree.depth + 1);
    this.stackBound = new Float64Array(tree.depth + 1);
  }

  /**
   * The k nearest points to q (sorted by distance, ties by lower row index), written into `out` (its arrays
   * hold at least k entries; slots past the count get −1 / Infinity). Without `out` the results stay in the
   * index's own buffer, read by `lastResult` until the next query. Returns the number found (≤ k).
   */
  query(q: Float32Array | Float64Array, k: number, out?: KnnResult, options: KnnQueryOptions = {}): number {
    checkK(k);
    if (q.length !== this.dims) throw new Error(`KnnIndex.query: q has ${q.length} values, expected dims = ${this.dims}`);
    const radius2 = radiusSquared(options.radius, 'KnnIndex.query');
    if (out && (out.indices.length < k || out.distances.length < k)) {
      throw new Error(`KnnIndex.query: out.indices and out.distances must hold at least k = ${k} entries, got ${out.indices.length} and ${out.distances.length}`);
    }
    this.ensureCapacity(k);
    if (!this.standardizeQuery(q, 0)) throw new Error(`KnnIndex.query: q has a non-finite value`);
    const found = this.searchPrepared(k, radius2);
    this.lastCount = found;
    if (out) {
      for (let j = 0; j < k; j++) {
        out.indices[j] = j < found ? this.bestI[j] : -1;
        out.distances[j] = j < found ? Math.sqrt(this.bestD[j]) : Infinity;
      }
    }
    return found;
  }

  /** The results of the last `query` (copies), nearest first; empty after a `queryBatch`. */
  get lastResult(): KnnResult {
    const indices = this.bestI.slice(0, this.lastCount);
    const distances = new Float32Array(this.lastCount);
    for (let j = 0; j < this.lastCount; j++) distances[j] = Math.sqrt(this.bestD[j]);
    return { indices, distances };
  }

  /** The k nearest points to each of `count` queries (row-major, count·dims values). */
  queryBatch(queries: Float32Array | Float64Array, count: number, k: number, options: KnnQueryOptions = {}): KnnBatchResult {
    checkK(k);
    if (!Number.isInteger(count) || count < 0) throw new Error(`KnnIndex.queryBatch: count must be a non-negative integer, got ${count}`);
    if (queries.length !== count * this.dims) {
      throw new Error(`KnnIndex.queryBatch: queries has ${queries.length} values, expected count·dims = ${count}·${this.dims} = ${count * this.dims}`);
    }
    const radius2 = radiusSquared(options.radius, 'KnnIndex.queryBatch');
    this.ensureCapacity(k);
    const indices = new Int32Array(count * k).fill(-1);
    const distances = new Float32Array(count * k).fill(Infinity);
    const found = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      if (!this.standardizeQuery(queries, i * this.dims)) throw new Error(`KnnIndex.queryBatch: queries row ${i} has a non-finite value`);
      const f = this.searchPrepared(k, radius2);
      found[i] = f;
      for (let j = 0; j < f; j++) {
        indices[i * k + j] = this.bestI[j];
        distances[i * k + j] = Math.sqrt(this.bestD[j]);
      }
    }
    this.lastCount = 0;
    return { indices, distances, found };
  }

  private ensureCapacity(k: number): void {
    if (this.bestD.length < k) {
      this.bestD = new Float64Array(k);
      this.bestI = new Int32Array(k);
    }
  }

  /** Writes the standardised query into `qs`; false when a value is not finite. */
  private standardizeQuery(q: Float32Array | Float64Array, offset: number): boolean {
    for (let d = 0; d < this.dims; d++) {
      const v = q[offset + d];
      if (!Number.isFinite(v)) return false;
      this.qs[d] = (v - this.mean[d]) / this.std[d];
    }
    return true;
  }

  /** Runs the search for the query in `qs`; the results are bestD/bestI[0, count). */
  private searchPrepared(k: number, radius2: number): number {
    this.k = k;
    this.count = 0;
    this.worst = radius2;
    if (this.size === 0) return 0;
    // Depth-first, the child with the nearer box first; the other waits on the stack with its box distance
    // and is visited only if that distance is still within the k-th best when it comes up.
    const { rightChild, stackNode, stackBound } = this;
    let sp = 0;
    stackNode[sp] = 0;
    stackBound[sp++] = this.boxDistance(0);
    while (sp > 0) {
      sp--;
      if (stackBound[sp] > this.worst) continue;
      let node = stackNode[sp];
      let right = rightChild[node];
      while (right >= 0) {
        const left = node + 1;
        const dl = this.boxDistance(left);
        const dr = this.boxDistance(right);
        const worst = this.worst;
        if (dl <= dr) {
          if (dr <= worst) {
            stackNode[sp] = right;
            stackBound[sp++] = dr;
          }
          if (dl > worst) break;
          node = left;
        } else {
          if (dl <= worst) {
            stackNode[sp] = left;
            stackBound[sp++] = dl;
          }
          if (dr > worst) break;
          node = right;
        }
        right = rightChild[node];
      }
      if (right < 0) this.scanLeaf(this.start[node], this.end[node]);
    }
    return this.count;
  }

  /**
   * Squared distance from the query to a node's bounding box: a lower bound of the squared distance to any
   * of its points, computed per dimension in the same order as a point's, so also a lower bound after rounding.
   */
  private boxDistance(node: number): number {
    const { boxes, qs, dims } = this;
    const base = node * 2 * dims;
    let sum = 0;
    for (let d = 0; d < dims; d++) {
      const q = qs[d];
      const lo = boxes[base + d];
      const hi = boxes[base + dims + d];
      const t = q < lo ? lo - q : q > hi ? q - hi : 0;
      sum += t * t;
    }
    return sum;
  }

  private scanLeaf(from: number, to: number): void {
    const { data, ids, qs, dims, bestD, bestI, k } = this;
    let worst = this.worst;
    for (let j = from; j < to; j++) {
      const base = j * dims;
      let d2 = 0;
      for (let d = 0; d < dims; d++) {
        const t = qs[d] - data[base + d];
        d2 += t * t;
      }
      if (d2 > worst) continue;
      const id = ids[j];
      let pos = this.count;
      if (pos === k) {
        // Full: equal to the k-th best only wins with a lower row index.
        if (d2 === worst && id > bestI[k - 1]) continue;
        pos = k - 1;
      } else {
        this.count++;
      }
      // Sorted insertion by (distance, row index).
      while (pos > 0 && (bestD[pos - 1] > d2 || (bestD[pos - 1] === d2 && bestI[pos - 1] > id))) {
        bestD[pos] = bestD[pos - 1];
        bestI[pos] = bestI[pos - 1];
        pos--;
      }
      bestD[pos] = d2;
      bestI[pos] = id;
      if (this.count === k) worst = bestD[k - 1];
    }
    this.worst = worst;
  }
}

interface Tree {
  /** ids[j]: the original row of the point now in row j. */
  ids: Int32Array;
  boxes: Float64Array;
  rightChild: Int32Array;
  start: Int32Array;
  end: Int32Array;
  /** Levels below the root. */
  depth: number;
}

/**
 * Builds the tree over n standardised points (row-major `data`, reordered in place). A node over rows
 * [start, end) keeps its bounding box; one with more than leafSize points, not all identical, is split at
 * the median of its widest dimension: rows [start, mid) ≤ median ≤ rows [mid, end). Pre-order numbering.
 */
function buildTree(data: Float64Array, n: number, dims: number, leafSize: number): Tree {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  // A split leaves halves of ≥ ⌊(leafSize+1)/2⌋ points, which bounds the number of leaves, hence of nodes.
  const capacity = n === 0 ? 0 : 2 * Math.ceil(n / Math.floor((leafSize + 1) / 2)) - 1;
  const boxes = new Float64Array(capacity * 2 * dims);
  const rightChild = new Int32Array(capacity).fill(-1);
  const start = new Int32Array(capacity);
  const end = new Int32Array(capacity);
  let nodeCount = 0;
  let depth = 0;

  const build = (lo: number, hi: number, level: number): number => {
    const node = nodeCount++;
    if (level > depth) depth = level;
    start[node] = lo;
    end[node] = hi;
    const base = node * 2 * dims;
    let widest = 0;
    let widestSpread = 0;
    for (let d = 0; d < dims; d++) {
      let min = Infinity;
      let max = -Infinity;
      for (let j = lo; j < hi; j++) {
        const v = data[j * dims + d];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      boxes[base + d] = min;
      boxes[base + dims + d] = max;
      if (max - min > widestSpread) {
        widestSpread = max - min;
        widest = d;
      }
    }
    if (hi - lo <= leafSize || widestSpread === 0) return node; // a leaf (all points identical: nothing to split)
    const mid = (lo + hi) >> 1;
    select(data, ids, dims, widest, lo, hi - 1, mid);
    build(lo, mid, level + 1);
    rightChild[node] = build(mid, hi, level + 1);
    return node;
  };
  if (n > 0) build(0, n, 0);
  return {
    ids,
    boxes: boxes.slice(0, nodeCount * 2 * dims),
    rightChild: rightChild.slice(0, nodeCount),
    start: start.slice(0, nodeCount),
    end: end.slice(0, nodeCount),
    depth,
  };
}

/**
 * Hoare selection (Wirth's algorithm) of rows [lo, hi] by coordinate `dim`, swapping whole rows (and their
 * ids): afterwards row kth holds the kth smallest, rows before it are ≤ and rows after it ≥. Handles runs
 * of equal keys.
 */
function select(data: Float64Array, ids: Int32Array, dims: number, dim: number, lo: number, hi: number, kth: number): void {
  while (hi > lo) {
    const pivot = data[((lo + hi) >> 1) * dims + dim];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (data[i * dims + dim] < pivot) i++;
      while (data[j * dims + dim] > pivot) j--;
      if (i <= j) {
        for (let d = 0; d < dims; d++) {
          const t = data[i * dims + d];
          data[i * dims + d] = data[j * dims + d];
          data[j * dims + d] = t;
        }
        const t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        i++;
        j--;
      }
    }
    if (kth <= j) hi = j;
    else if (kth >= i) lo = i;
    else return;
  }
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`KnnIndex: k must be an integer ≥ 1, got ${k}`);
}

function radiusSquared(radius: number | undefined, where: string): number {
  if (radius === undefined) return Infinity;
  if (Number.isNaN(radius) || radius < 0) throw new Error(`${where}: radius must be ≥ 0 (or Infinity), got ${radius}`);
  return radius * radius;
}
