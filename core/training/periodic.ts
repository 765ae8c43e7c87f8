/**
 * A periodic action on a step counter that may jump by more than one (a vector env step adds numEnvs): due
 * at the first step ≥ each multiple of `period`, then next due at the first multiple after that step. Its
 * state is a function of the last step it was asked about, so a resumed run rebuilds it from the step alone.
 */
import { nextMultiple } from '../dqn/schedule.ts';

export class Periodic {
  private next: number;

  /** `period` 0 (or Infinity): never due. `from`: the step already reached (a resumed run's). */
  constructor(
    readonly period: number,
    from = 0,
  ) {
    this.next = period > 0 && Number.isFinite(period) ? nextMultiple(from, period) : Infinity;
  }

  /** True once per period; advances to the next multiple after `step`. */
  due(step: number): boolean {
    if (step < this.next) return false;
    this.next = nextMultiple(step, this.period);
    return true;
  }
}
