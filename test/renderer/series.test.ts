import { describe, expect, it } from 'vitest';
import { MetricStore } from '../../renderer/charts/metric-store.ts';
import { roleUnit } from '../../renderer/charts/panels.ts';
import { SeriesBuffer } from '../../renderer/charts/series-buffer.ts';

describe('SeriesBuffer', () => {
  it('grows, keeps x order and running ranges, and drops non-finite or out-of-order points', () => {
    const b = new SeriesBuffer(1000, 2);
    expect(b.append([1, 2, 3], [5, -1, 7])).toBe(3);
    expect(b.append([2.5, 4, 5], [0, Number.NaN, 9])).toBe(1);
    expect([...b.xs()]).toEqual([1, 2, 3, 5]);
    expect([b.xMin, b.xMax, b.yMin, b.yMax]).toEqual([1, 5, -1, 9]);
    expect(b.nearest(2.4)).toBe(1);
    expect(b.nearest(100)).toBe(3);
    expect(b.nearest(-5)).toBe(0);
  });

  it('halves itself past its cap with a min/max envelope: extremes, first and last point survive', () => {
    const b = new SeriesBuffer(1000);
    const xs = Array.from({ length: 1001 }, (_, i) => i);
    const ys = xs.map((i) => (i === 500 ? 1000 : i === 700 ? -1000 : Math.sin(i / 10)));
    b.append(xs, ys);
    expect(b.length).toBeLessThanOrEqual(520);
    expect(b.length).toBeGreaterThan(400);
    const outX = [...b.xs()];
    const outY = [...b.ys()];
    expect(outX[0]).toBe(0);
    expect(outX[outX.length - 1]).toBe(1000);
    expect(outY).toContain(1000);
    expect(outY).toContain(-1000);
    for (let i = 1; i < outX.length; i++) expect(outX[i]).toBeGreaterThan(outX[i - 1]);
    expect(b.downsampled).toBe(true);
  });
});

describe('MetricStore', () => {
  it('holds live points until the initial series load, then merges them without repeating steps', () => {
    const s = new MetricStore();
    let changes = 0;
    s.onChange(() => changes++);
    s.append(1, [
      { key: 'charts/episodic_return', step: 300, value: 30 },
      { key: 'charts/episodic_return', step: 400, value: 40 },
    ]);
    expect(s.pointCount()).toBe(0);
    s.load([{ runId: 1, key: 'charts/episodic_return', unit: 'env_steps', steps: [100, 200, 300], values: [10, 20, 30], downsampled: false }]);
    expect([...s.get(1, 'charts/episodic_return')!.xs()]).toEqual([100, 200, 300, 400]);
    expect(s.unit(1, 'charts/episodic_return')).toBe('env_steps');
    s.append(1, [{ key: 'charts/episodic_return', step: 500, value: 50 }]);
    expect(s.pointCount()).toBe(5);
    expect(changes).toBe(2);
    expect([...s.keysWithData([1, 2])]).toEqual(['charts/episodic_return']);
  });

  it('x unit by role: an offline student counts gradient updates, others env steps', () => {
    expect(roleUnit({ role: 'student', student: { mode: 'offline' } as never }, 'per_role')).toBe('gradient_updates');
    expect(roleUnit({ role: 'student', student: { mode: 'online' } as never }, 'per_role')).toBe('env_steps');
    expect(roleUnit({ role: 'teacher', student: null }, 'per_role')).toBe('env_steps');
    expect(roleUnit({ role: 'student', student: null }, 'env_steps')).toBe('env_steps');
  });
});
