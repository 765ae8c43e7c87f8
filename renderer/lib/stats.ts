/**
 * Small statistics for grouping runs over seeds: mean, sample standard deviation, and the 95% confidence
 * half-width of a mean with Student's t (few seeds: t(0.975, 1) = 12.71, so two seeds give wide intervals,
 * as they should).
 */

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom (then the normal's 1.96 is close). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tCritical95(df: number): number {
  if (!(df >= 1)) return Number.NaN;
  return df <= 30 ? T975[Math.floor(df) - 1] : 1.96 + 2.4 / df;
}

/** Finite values only. */
export function finiteValues(xs: readonly (number | null | undefined)[]): number[] {
  return xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN;
}

/** Sample standard deviation (n − 1); 0 for one value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return xs.length === 1 ? 0 : Number.NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** 95% CI half-width of the mean of xs (NaN below two values). */
export function ci95(xs: readonly number[]): number {
  return xs.length < 2 ? Number.NaN : (tCritical95(xs.length - 1) * std(xs)) / Math.sqrt(xs.length);
}
