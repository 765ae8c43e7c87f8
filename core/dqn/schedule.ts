/**
 * Linear schedule as CleanRL's `linear_schedule` and SB3's `get_linear_fn`: from `start` to `end` over the
 * first `fraction · total` steps, then constant at `end`.
 */
export function scheduleLinear(start: number, end: number, fraction: number, total: number, step: number): number {
  const duration = fraction * total;
  if (duration <= 0) return end;
  const progress = Math.min(Math.max(step / duration, 0), 1);
  return start + progress * (end - start);
}

/** The first multiple of `period` after `step`: the next due point of a periodic action (however far a vector step jumped). */
export function nextMultiple(step: number, period: number): number {
  return (Math.floor(step / period) + 1) * period;
}
