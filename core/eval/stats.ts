/** Summary statistics of a sample of episode returns. */
export interface ReturnStats {
  readonly n: number;
  readonly mean: number;
  /** Population standard deviation (ddof 0, as numpy's np.std and SB3's evaluate_policy report). */
  readonly std: number;
  /** Half-width of the 95% confidence interval of the mean: t(0.975, n−1) · s / √n, s with ddof 1. */
  readonly ci95: number;
  readonly min: number;
  readonly max: number;
}

// Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30; beyond, the normal 1.96 is within 2%.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= 30) return T975[df - 1];
  if (df <= 60) return 2.042 + ((2.0 - 2.042) * (df - 30)) / 30;
  if (df <= 120) return 2.0 + ((1.98 - 2.0) * (df - 60)) / 60;
  return 1.96;
}

export function returnStats(values: readonly number[]): ReturnStats {
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, std: Number.NaN, ci95: Number.NaN, min: Number.NaN, max: Number.NaN };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / n);
  const ci95 = n > 1 ? (tQuantile975(n - 1) * Math.sqrt(ss / (n - 1))) / Math.sqrt(n) : Number.NaN;
  return { n, mean, std, ci95, min, max };
}
