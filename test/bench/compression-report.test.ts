import { describe, expect, it } from 'vitest';
import { cliff, firstCrossing, meanCi } from '../../bench/compression-report.ts';

describe('compression report: crossings, cliff, cells', () => {
  const seconds = [
    { step: 1000, value: 0.5 },
    { step: 2000, value: 1.25 },
    { step: 3000, value: 2 },
  ];

  it('an online run counts the KB transitions plus its own env steps, and the KB extraction plus its seconds', () => {
    const r = firstCrossing([1000, 2000, 3000], [0.5, 0.96, 1], seconds, { target: 0.95, offsetSteps: 20000, offsetSeconds: 0.1, ownSteps: true });
    expect(r.reached).toEqual({ steps: 22000, seconds: 1.35 });
    expect(r.best).toBe(1);
  });

  it('an offline student counts only the KB transitions (its steps are gradient updates)', () => {
    const r = firstCrossing([1000, 2000, 3000], [0.96, 0.2, 0.3], seconds, { target: 0.95, offsetSteps: 20000, offsetSeconds: 0, ownSteps: false });
    expect(r.reached).toEqual({ steps: 20000, seconds: 0.5 });
  });

  it('a run that never reaches the target reports null and its best score', () => {
    const r = firstCrossing([1000, 2000], [0.3, 0.9], seconds, { target: 0.95, offsetSteps: 0, offsetSeconds: 0, ownSteps: true });
    expect(r).toEqual({ reached: null, best: 0.9 });
  });

  it('the cliff is the smallest size with mean ≥ 0.95 and CI lower bound ≥ 0.9, needing two seeds', () => {
    const scores: Record<string, number[]> = {
      a: [1, 1, 0.2, 1, 1], // mean 0.84
      b: [1, 1, 0.7, 1, 1.04], // mean 0.948: under 0.95
      c: [1, 0.97], // mean 0.985 but a CI of ±0.19 from two seeds
      d: [1],
      e: [0.98, 1, 0.99, 1.01, 0.97],
      f: [1, 1, 1, 1, 1],
    };
    expect(cliff(['a', 'b', 'c', 'd', 'e', 'f'], (s) => scores[s])).toBe('e');
    expect(cliff(['a', 'b', 'c', 'd'], (s) => scores[s])).toBeNull();
  });

  it('cells show mean ± CI, the mean alone for one value and – for none', () => {
    expect(meanCi([1, 2, 3], 2)).toBe('2.00 ± 2.48');
    expect(meanCi([1.5], 1)).toBe('1.5');
    expect(meanCi([], 1)).toBe('–');
  });
});
