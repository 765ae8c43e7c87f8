/**
 * The compare view's curve math (pure, unit-tested): EMA smoothing as TensorBoard does it (with the
 * debiasing of Adam's bias correction, so the start of a curve is not pulled towards 0), step → wall-clock
 * seconds for a run, resampling of each run onto one x grid, and a group's mean with a ±std or min–max band
 * over its seeds.
 *
 * Wall time: metric points carry no timestamps, so seconds are derived per run, best first:
 *  1. `charts/train_seconds` (training seconds recorded at a step, where the run records it);
 *  2. `charts/sps` (env steps per second since the start): seconds = step / sps at each recorded step;
 *  3. the run's total training seconds spread evenly over its steps (a constant rate: "estimated").
 * Between anchor points the time is interpolated linearly; past the last one it goes on at the last rate.
 */

export interface XY {
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
}

/** TensorBoard's smoothing: an EMA of weight `w` ∈ [0, 1), debiased by 1 − w^k; non-finite values are skipped. */
export function emaSmooth(ys: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(ys.length);
  if (!(weight > 0)) {
    for (let i = 0; i < ys.length; i++) out[i] = ys[i];
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let k = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    k++;
    out[i] = last / (1 - w ** k);
  }
  return out;
}

export type ClockKind = 'recorded' | 'sps' | 'estimated';

export interface WallClock {
  readonly kind: ClockKind;
  /** Increasing steps and the training seconds at each (an implicit (0, 0) comes first). */
  readonly steps: readonly number[];
  readonly seconds: readonly number[];
}

/**
 * A run's step → seconds map from what it recorded (see the file comment), or null when nothing tells its
 * time (no seconds, no sps, and no total training time).
 */
export function wallClockOf(sources: { trainSeconds?: XY | null; sps?: XY | null; totalSeconds?: number | null; lastStep?: number | null }): WallClock | null {
  const anchors = (xs: ArrayLike<number>, secondsAt: (i: number) => number, kind: ClockKind): WallClock | null => {
    const steps: number[] = [];
    const seconds: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      const t = secondsAt(i);
      const x = xs[i];
      if (!Number.isFinite(t) || !Number.isFinite(x) || t < 0) continue;
      // Keep both increasing (a resumed run may restart its clock; such points are dropped).
      if (steps.length && (x <= steps[steps.length - 1] || t < seconds[seconds.length - 1])) continue;
      steps.push(x);
      seconds.push(t);
    }
    return steps.length > 0 ? { kind, steps, seconds } : null;
  };
  if (sources.trainSeconds && sources.trainSeconds.xs.length > 0) {
    const ts = sources.trainSeconds;
    const c = anchors(ts.xs, (i) => ts.ys[i], 'recorded');
    if (c) return c;
  }
  if (sources.sps && sources.sps.xs.length > 0) {
    const sp = sources.sps;
    const c = anchors(sp.xs, (i) => (sp.ys[i] > 0 ? sp.xs[i] / sp.ys[i] : Number.NaN), 'sps');
    if (c) return c;
  }
  const total = sources.totalSeconds;
  const last = sources.lastStep;
  if (total !== null && total !== undefined && total > 0 && last !== null && last !== undefined && last > 0) return { kind: 'estimated', steps: [last], seconds: [total] };
  return null;
}

/** Seconds at each step through the clock's anchors (linear between them, the last rate beyond). */
export function stepsToSeconds(clock: WallClock, steps: ArrayLike<number>): Float64Array {
  const xs = [0, ...clock.steps];
  const ts = [0, ...clock.seconds];
  const out = new Float64Array(steps.length);
  let j = 0;
  for (let i = 0; i < steps.length; i++) {
    const x = steps[i];
    // Steps come in increasing order: the segment index only moves forward.
    while (j < xs.length - 2 && x > xs[j + 1]) j++;
    const x0 = xs[j];
    const x1 = xs[Math.min(j + 1, xs.length - 1)];
    const t0 = ts[j];
    const t1 = ts[Math.min(j + 1, ts.length - 1)];
    const rate = x1 > x0 ? (t1 - t0) / (x1 - x0) : 0;
    out[i] = x <= x1 ? t0 + (x - x0) * rate : t1 + (x - x1) * rate;
  }
  return out;
}

/** `points` evenly spaced x values over [min, max] of the curves (empty when there is no data). */
export function gridOf(curves: readonly XY[], points = 400): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves) {
    if (c.xs.length === 0) continue;
    lo = Math.min(lo, c.xs[0]);
    hi = Math.max(hi, c.xs[c.xs.length - 1]);
  }
  if (!Number.isFinite(lo)) return new Float64Array(0);
  if (hi === lo) return Float64Array.of(lo);
  const out = new Float64Array(points);
  for (let i = 0; i < points; i++) out[i] = lo + ((hi - lo) * i) / (points - 1);
  return out;
}

/** The curve linearly interpolated at the grid's x values; NaN outside the curve's own x range. */
export function interpolateAt(c: XY, grid: ArrayLike<number>): Float64Array {
  const out = new Float64Array(grid.length).fill(Number.NaN);
  const n = c.xs.length;
  if (n === 0) return out;
  let j = 0;
  for (let i = 0; i < grid.length; i++) {
    const x = grid[i];
    if (x < c.xs[0] || x > c.xs[n - 1]) continue;
    while (j < n - 2 && c.xs[j + 1] < x) j++;
    const x0 = c.xs[j];
    const x1 = c.xs[Math.min(j + 1, n - 1)];
    const y0 = c.ys[j];
    const y1 = c.ys[Math.min(j + 1, n - 1)];
    out[i] = x1 > x0 ? y0 + ((y1 - y0) * (x - x0)) / (x1 - x0) : y0;
  }
  return out;
}

export type BandKind = 'std' | 'minmax';

export interface Aggregate {
  readonly mean: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Members with a value at each x. */
  readonly n: Uint16Array;
}

/**
 * Mean of the members at each grid point, with a ±std or min–max band. With `complete` (the default) only
 * where every member has a value: seeds end at different steps or seconds, and a mean over whichever seeds
 * are left would jump where one ends. Without it, over those with a value there (n says how many).
 */
export function aggregate(members: readonly Float64Array[], band: BandKind, complete = true): Aggregate {
  const len = members[0]?.length ?? 0;
  const mean = new Float64Array(len).fill(Number.NaN);
  const lo = new Float64Array(len).fill(Number.NaN);
  const hi = new Float64Array(len).fill(Number.NaN);
  const n = new Uint16Array(len);
  for (let i = 0; i < len; i++) {
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const m of members) {
      const v = m[i];
      if (!Number.isFinite(v)) continue;
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    n[i] = count;
    if (count === 0 || (complete && count < members.length)) continue;
    const mu = sum / count;
    mean[i] = mu;
    if (band === 'minmax') {
      lo[i] = min;
      hi[i] = max;
    } else {
      let ss = 0;
      for (const m of members) if (Number.isFinite(m[i])) ss += (m[i] - mu) ** 2;
      const sd = count > 1 ? Math.sqrt(ss / (count - 1)) : 0;
      lo[i] = mu - sd;
      hi[i] = mu + sd;
    }
  }
  return { mean, lo, hi, n };
}
