import { describe, expect, it } from 'vitest';
import { returnStats, tQuantile975 } from '../../../core/eval/stats.ts';

describe('returnStats', () => {
  it('mean, population std and a t-based 95% CI', () => {
    const s = returnStats([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 12);
    // sample std = sqrt(5/3); t(0.975, 3) = 3.182
    expect(s.ci95).toBeCloseTo((3.182 * Math.sqrt(5 / 3)) / 2, 9);
    expect([s.min, s.max]).toEqual([1, 4]);
  });
  it('handles the degenerate cases', () => {
    expect(returnStats([7]).ci95).toBeNaN();
    expect(returnStats([]).mean).toBeNaN();
    expect(returnStats([500, 500]).ci95).toBe(0);
    expect(tQuantile975(19)).toBe(2.093);
    expect(tQuantile975(1000)).toBe(1.96);
  });
});
