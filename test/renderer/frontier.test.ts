import { describe, expect, it } from 'vitest';
import { frontierLayout, hitTest, linearTicks, logTicks, paretoFront, type FrontierPoint } from '../../renderer/charts/frontier.ts';

const measure = (t: string) => t.length * 6;
const point = (id: string, x: number, y: number, kind: FrontierPoint['kind'] = 'student'): FrontierPoint => ({ id, x, y, ciLo: y - 0.05, ciHi: y + 0.05, kind, color: '#4e79a7', label: id, runIds: [1] });

describe('frontier layout', () => {
  it('log ticks: decades, with 2 and 5 between over a short range', () => {
    expect(logTicks(5, 20_000).map((t) => t.value)).toEqual([10, 100, 1000, 10_000]);
    expect(logTicks(50, 20_000).map((t) => t.value)).toEqual([50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000]);
    expect(logTicks(30, 900).map((t) => t.value)).toEqual([50, 100, 200, 500]);
    expect(linearTicks(0, 1.05)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(-0.155, 0.155, 7)).toEqual([-0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15]);
    expect(linearTicks(-0.3, 0.7)).toEqual([-0.2, 0, 0.2, 0.4, 0.6]);
  });

  it('the Pareto front keeps the best score at each size or smaller', () => {
    const pts = [{ x: 10, y: 0.5 }, { x: 20, y: 0.4 }, { x: 30, y: 0.9 }, { x: 40, y: 0.95 }, { x: 50, y: 0.7 }];
    expect(paretoFront(pts)).toEqual([0, 2, 3]);
  });

  it('places points on a log x axis, marks the teacher, and never lets two labels overlap', () => {
    const pts = [point('teacher', 4610, 1, 'teacher'), point('4-4', 42, 0.3), point('8-8', 130, 0.9), point('16-16', 418, 0.98), point('8-8 scratch', 130, 0.2, 'baseline')];
    const L = frontierLayout(pts, 900, 420, measure);
    expect(L.points).toHaveLength(5);
    const px = (id: string) => L.points.find((p) => p.point.id === id)!.px;
    // equal ratios ⇒ equal pixel distances on a log axis
    const perDecade = L.plot.w / Math.log10(L.xDomain[1] / L.xDomain[0]);
    expect(px('16-16') - px('8-8')).toBeCloseTo(Math.log10(418 / 130) * perDecade, 6);
    expect(px('8-8') - px('4-4')).toBeCloseTo(Math.log10(130 / 42) * perDecade, 6);
    expect(L.front.map((p) => p.point.id)).toEqual(['4-4', '8-8', '16-16']);
    expect(L.labels.map((l) => l.pointId)).toContain('teacher');
    for (const a of L.labels) for (const b of L.labels) if (a !== b) expect(a.box.x < b.box.x + b.box.w && b.box.x < a.box.x + a.box.w && a.box.y < b.box.y + b.box.h && b.box.y < a.box.y + a.box.h).toBe(false);
    const t = L.points.find((p) => p.point.kind === 'teacher')!;
    expect(hitTest(L, t.px + 2, t.py - 1)?.point.id).toBe('teacher');
    expect(hitTest(L, 1, 1)).toBeNull();
  });

  it('with 500 points it still lays out, drops colliding labels, and labels only where there is room', () => {
    const pts = Array.from({ length: 500 }, (_, i) => point(`p${i}`, 20 + (i % 50) * 37, 0.2 + ((i * 7919) % 500) / 700));
    const t0 = performance.now();
    const L = frontierLayout(pts, 1000, 460, measure);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(L.points).toHaveLength(500);
    // crowded: only front points are named, each text once
    expect(L.labels.length).toBeGreaterThan(3);
    expect(L.labels.every((l) => L.front.some((f) => f.point.id === l.pointId))).toBe(true);
    expect(new Set(L.labels.map((l) => l.text)).size).toBe(L.labels.length);
    for (const l of L.labels) {
      expect(l.box.x).toBeGreaterThanOrEqual(L.plot.x);
      expect(l.box.x + l.box.w).toBeLessThanOrEqual(L.plot.x + L.plot.w);
    }
  });
});
