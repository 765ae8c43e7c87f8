/**
 * One curve's points in growable typed arrays, so appending live points costs O(1) amortised and a chart
 * reads them without copying (subarray views). The x range and y range are kept as points arrive, so a
 * redraw never scans the data for its scales. Past `cap` points the buffer halves itself with a per-bucket
 * min/max envelope (peaks and dips survive; a chart is at most a few thousand pixels wide).
 */
export class SeriesBuffer {
  private xsBuf: Float64Array;
  private ysBuf: Float64Array;
  private n = 0;
  xMin = Infinity;
  xMax = -Infinity;
  yMin = Infinity;
  yMax = -Infinity;
  /** Bumped on every change: charts redraw what changed since they last looked. */
  version = 0;
  /** True once points were merged to stay under `cap` (or the host sent a downsampled series). */
  downsampled = false;

  constructor(
    readonly cap = 100_000,
    initialCapacity = 256,
  ) {
    this.xsBuf = new Float64Array(initialCapacity);
    this.ysBuf = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.n;
  }

  get lastX(): number {
    return this.n > 0 ? this.xsBuf[this.n - 1] : -Infinity;
  }

  /** Views of the points (valid until the next append). */
  xs(): Float64Array {
    return this.xsBuf.subarray(0, this.n);
  }

  ys(): Float64Array {
    return this.ysBuf.subarray(0, this.n);
  }

  /**
   * Appends points in step order. A point at a step before the last one is dropped (a resumed run may send
   * again what was stored before its checkpoint); non-finite values are dropped (a chart cannot place them).
   * Returns how many were kept.
   */
  append(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
    let kept = 0;
    this.reserve(this.n + xs.length);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const y = ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y) || x < this.lastX) continue;
      this.xsBuf[this.n] = x;
      this.ysBuf[this.n] = y;
      this.n++;
      kept++;
      if (x < this.xMin) this.xMin = x;
      if (x > this.xMax) this.xMax = x;
      if (y < this.yMin) this.yMin = y;
      if (y > this.yMax) this.yMax = y;
    }
    if (kept > 0) {
      this.version++;
      if (this.n > this.cap) this.halve();
    }
    return kept;
  }

  appendOne(x: number, y: number): boolean {
    return this.append([x], [y]) === 1;
  }

  clear(): void {
    this.n = 0;
    this.xMin = this.yMin = Infinity;
    this.xMax = this.yMax = -Infinity;
    this.downsampled = false;
    this.version++;
  }

  /** Index of the point whose x is nearest to `x` (-1 when empty). */
  nearest(x: number): number {
    const n = this.n;
    if (n === 0) return -1;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.xsBuf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(this.xsBuf[lo - 1] - x) <= Math.abs(this.xsBuf[lo] - x)) return lo - 1;
    return lo;
  }

  x(i: number): number {
    return this.xsBuf[i];
  }

  y(i: number): number {
    return this.ysBuf[i];
  }

  private reserve(size: number): void {
    if (size <= this.xsBuf.length) return;
    let cap = this.xsBuf.length;
    while (cap < size) cap *= 2;
    const xs = new Float64Array(cap);
    const ys = new Float64Array(cap);
    xs.set(this.xsBuf.subarray(0, this.n));
    ys.set(this.ysBuf.subarray(0, this.n));
    this.xsBuf = xs;
    this.ysBuf = ys;
  }

  /** Keeps, per bucket of 4 points, its min and max in x order (first and last points always kept). */
  private halve(): void {
    const xs = this.xsBuf;
    const ys = this.ysBuf;
    const n = this.n;
    let w = 1; // the first point stays
    let b = 1;
    for (; b + 3 < n - 1; b += 4) {
      let lo = b;
      let hi = b;
      for (let j = b + 1; j < b + 4; j++) {
        if (ys[j] < ys[lo]) lo = j;
        if (ys[j] > ys[hi]) hi = j;
      }
      const first = Math.min(lo, hi);
      const second = Math.max(lo, hi);
      xs[w] = xs[first];
      ys[w] = ys[first];
      w++;
      if (second !== first) {
        xs[w] = xs[second];
        ys[w] = ys[second];
        w++;
      }
    }
    // the tail that did not fill a bucket, then the last point (w ≤ b: writing never overtakes reading)
    for (let j = b; j < n; j++) {
      xs[w] = xs[j];
      ys[w] = ys[j];
      w++;
    }
    this.n = w;
    this.downsampled = true;
  }
}
