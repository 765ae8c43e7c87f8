/**
 * The monitor's curves: one SeriesBuffer per (run, metric key), filled from `metricSeries` and then grown by
 * `metricPoints` events. Points that arrive while the initial series are loading are held and merged after
 * (the buffers drop anything at or before a series' last step, so nothing is drawn twice).
 */
import type { EventMap, MetricSeriesView, StepUnit } from '../../electron/api/contract.ts';
import { SeriesBuffer } from './series-buffer.ts';

type Points = EventMap['metricPoints']['points'];

export class MetricStore {
  private readonly buffers = new Map<number, Map<string, SeriesBuffer>>();
  private readonly units = new Map<string, StepUnit>();
  private readonly listeners = new Set<() => void>();
  private pending: { runId: number; points: Points }[] | null = [];

  constructor(readonly cap = 100_000) {}

  buffer(runId: number, key: string): SeriesBuffer {
    let byKey = this.buffers.get(runId);
    if (!byKey) this.buffers.set(runId, (byKey = new Map()));
    let b = byKey.get(key);
    if (!b) byKey.set(key, (b = new SeriesBuffer(this.cap)));
    return b;
  }

  get(runId: number, key: string): SeriesBuffer | undefined {
    return this.buffers.get(runId)?.get(key);
  }

  /** The x unit the host reported for a run's series (null until a series was loaded). */
  unit(runId: number, key: string): StepUnit | null {
    return this.units.get(`${runId} ${key}`) ?? null;
  }

  /** Holds incoming points again until the next `load` (a reload after a reconnect). */
  beginReload(): void {
    if (!this.pending) this.pending = [];
  }

  /** Replaces the buffers of the given series, then applies the points that arrived meanwhile. */
  load(series: readonly MetricSeriesView[]): void {
    for (const s of series) {
      const b = this.buffer(s.runId, s.key);
      b.clear();
      b.append(s.steps, s.values);
      b.downsampled = s.downsampled;
      this.units.set(`${s.runId} ${s.key}`, s.unit);
    }
    const held = this.pending ?? [];
    this.pending = null;
    for (const p of held) this.apply(p.runId, p.points);
    this.notify();
  }

  /** A `metricPoints` event: held until `load` ran, applied at once after. */
  append(runId: number, points: Points): void {
    if (this.pending) {
      this.pending.push({ runId, points });
      return;
    }
    if (this.apply(runId, points)) this.notify();
  }

  /** Metric keys that have at least one point for one of the runs. */
  keysWithData(runIds: Iterable<number>): Set<string> {
    const keys = new Set<string>();
    for (const id of runIds) for (const [k, b] of this.buffers.get(id) ?? []) if (b.length > 0) keys.add(k);
    return keys;
  }

  /** Total points held (tests and the bench read it). */
  pointCount(): number {
    let n = 0;
    for (const byKey of this.buffers.values()) for (const b of byKey.values()) n += b.length;
    return n;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private apply(runId: number, points: Points): boolean {
    // Group by key so each buffer takes one append (points of a key arrive in step order).
    const byKey = new Map<string, { xs: number[]; ys: number[] }>();
    for (const p of points) {
      let g = byKey.get(p.key);
      if (!g) byKey.set(p.key, (g = { xs: [], ys: [] }));
      g.xs.push(p.step);
      g.ys.push(p.value);
    }
    let kept = 0;
    for (const [key, g] of byKey) {
      const b = this.buffer(runId, key);
      // Strictly after the last step: a point at the last loaded step is the same row again.
      const start = g.xs.findIndex((x) => x > b.lastX);
      if (start < 0) continue;
      kept += b.append(g.xs.slice(start), g.ys.slice(start));
    }
    return kept > 0;
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
