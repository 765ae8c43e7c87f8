import { describe, expect, it } from 'vitest';
import { scheduleLinear } from '../../../core/dqn/schedule.ts';

describe('scheduleLinear', () => {
  it('decays linearly over fraction·total steps, then holds', () => {
    expect(scheduleLinear(1, 0.05, 0.5, 1000, 0)).toBe(1);
    expect(scheduleLinear(1, 0.05, 0.5, 1000, 250)).toBeCloseTo(0.525, 12);
    expect(scheduleLinear(1, 0.05, 0.5, 1000, 500)).toBeCloseTo(0.05, 12);
    expect(scheduleLinear(1, 0.05, 0.5, 1000, 900)).toBeCloseTo(0.05, 12);
  });
  it('with a zero fraction is the end value at once', () => {
    expect(scheduleLinear(1, 0.1, 0, 1000, 0)).toBe(0.1);
  });
});
