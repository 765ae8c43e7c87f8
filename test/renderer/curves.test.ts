import { describe, expect, it } from 'vitest';
import { aggregate, emaSmooth, gridOf, interpolateAt, stepsToSeconds, wallClockOf } from '../../renderer/charts/curves.ts';

describe('compare curves', () => {
  it('EMA smoothing is TensorBoard’s: debiased (a constant stays constant), 0 leaves the data as it is', () => {
    expect([...emaSmooth([5, 5, 5], 0.9)].map((v) => Number(v.toFixed(12)))).toEqual([5, 5, 5]);
    expect([...emaSmooth([1, 2, 3], 0)]).toEqual([1, 2, 3]);
    const s = emaSmooth([0, 10], 0.5);
    // last = 0.5·0 + 0.5·0 = 0 → 0/(1−0.5) = 0; last = 0.5·0 + 0.5·10 = 5 → 5/(1−0.25) = 6.667
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(20 / 3, 12);
    const withGap = emaSmooth([2, Number.NaN, 2], 0.8);
    expect(withGap[0]).toBeCloseTo(2, 12);
    expect(Number.isNaN(withGap[1])).toBe(true);
    expect(withGap[2]).toBeCloseTo(2, 12);
  });

  it('wall time: recorded seconds first, then step / sps, then an even spread of the total; linear between anchors', () => {
    const recorded = wallClockOf({ trainSeconds: { xs: [100, 200], ys: [2, 6] }, sps: { xs: [100], ys: [1] }, totalSeconds: 99, lastStep: 300 });
    expect(recorded?.kind).toBe('recorded');
    expect([...stepsToSeconds(recorded!, [0, 50, 100, 150, 200, 300])]).toEqual([0, 1, 2, 4, 6, 10]);
    const sps = wallClockOf({ sps: { xs: [1000, 2000], ys: [500, 400] } });
    expect(sps).toEqual({ kind: 'sps', steps: [1000, 2000], seconds: [2, 5] });
    expect([...stepsToSeconds(sps!, [500, 1500])]).toEqual([1, 3.5]);
    const est = wallClockOf({ totalSeconds: 10, lastStep: 1000 });
    expect(est?.kind).toBe('estimated');
    expect([...stepsToSeconds(est!, [250, 1000])]).toEqual([2.5, 10]);
    expect(wallClockOf({ totalSeconds: null, lastStep: 10 })).toBeNull();
  });

  it('resamples runs onto one grid (NaN outside a run’s range) and aggregates mean ± std, min–max and n', () => {
    const a = { xs: [0, 10], ys: [0, 10] };
    const b = { xs: [0, 5], ys: [2, 2] };
    const grid = gridOf([a, b], 3);
    expect([...grid]).toEqual([0, 5, 10]);
    const ra = interpolateAt(a, grid);
    const rb = interpolateAt(b, grid);
    expect([...ra]).toEqual([0, 5, 10]);
    expect(Number.isNaN(rb[2])).toBe(true);
    const agg = aggregate([ra, rb], 'std', false);
    expect([...agg.n]).toEqual([2, 2, 1]);
    // by default only where every seed has a value (no jump where one seed's curve ends)
    expect(Number.isNaN(aggregate([ra, rb], 'std').mean[2])).toBe(true);
    expect(agg.mean[0]).toBe(1);
    expect(agg.hi[0] - agg.mean[0]).toBeCloseTo(Math.SQRT2, 12);
    expect(agg.mean[2]).toBe(10);
    expect(agg.lo[2]).toBe(10);
    const mm = aggregate([ra, rb], 'minmax');
    expect([mm.lo[1], mm.hi[1]]).toEqual([2, 5]);
  });
});
