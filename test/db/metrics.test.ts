import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { METRIC_KEYS, type MetricKey } from '../../core/metrics.ts';
import { openDatabase, type MetricPointInput, type MetricSeries } from '../../db/index.ts';
import { METRIC_BLOCK_STEPS } from '../../db/migrations.ts';
import { memoryDb, prng, tempDir } from './fixtures.ts';

const LOSS = METRIC_KEYS.tdLoss;
const EPS = METRIC_KEYS.epsilon;

/** A noisy random walk with a few spikes, one point per `stride` steps. */
function walk(n: number, seed: number, stride = 1, key: MetricKey = LOSS): MetricPointInput[] {
  const rand = prng(seed);
  const points: MetricPointInput[] = [];
  let v = 0;
  for (let i = 0; i < n; i++) {
    v += rand() - 0.5;
    const spike = rand() < 0.001 ? (rand() < 0.5 ? -50 : 50) : 0;
    points.push({ step: i * stride, key, value: v + spike });
  }
  return points;
}

function minMax(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return [lo, hi];
}

/** Checks a downsampled series against the original points of its range. */
function expectEnvelope(s: MetricSeries, original: MetricPointInput[], maxPoints: number): void {
  expect(s.downsampled).toBe(true);
  expect(s.steps.length).toBeLessThanOrEqual(maxPoints);
  expect(s.steps.length).toBeGreaterThan(maxPoints / 4);
  const byStep = new Map(original.map((p) => [p.step, p.value]));
  for (let i = 0; i < s.steps.length; i++) {
    if (i > 0) expect(s.steps[i]).toBeGreaterThan(s.steps[i - 1]);
    expect(byStep.get(s.steps[i])).toBe(s.values[i]);
  }
  const [lo, hi] = minMax(original.map((p) => p.value));
  expect(minMax(s.values)).toEqual([lo, hi]);
}

describe('metrics', () => {
  it('round-trips points, sorted by step, with NaN and ±Infinity', () => {
    const { db, runId } = memoryDb();
    const written = db.metrics.append(runId, [
      { step: 30, key: LOSS, value: 0.25 },
      { step: 10, key: LOSS, value: Number.NaN },
      { step: 20, key: LOSS, value: Infinity },
      { step: 0, key: LOSS, value: -Infinity },
      { step: 10, key: EPS, value: 0.9 },
    ]);
    expect(written).toBe(5);
    const s = db.metrics.series(runId, LOSS);
    expect(Array.from(s.steps)).toEqual([0, 10, 20, 30]);
    expect(Array.from(s.values)).toEqual([-Infinity, Number.NaN, Infinity, 0.25]);
    expect(s.steps).toBeInstanceOf(Float64Array);
    expect(s.values).toBeInstanceOf(Float64Array);
    expect(s.downsampled).toBe(false);
    expect(db.metrics.keys(runId)).toEqual([EPS, LOSS]);
    expect(db.metrics.count(runId, LOSS)).toBe(4);
    expect(db.metrics.lastStep(runId)).toBe(30);
    expect(db.metrics.series(runId, METRIC_KEYS.sps).steps.length).toBe(0);
    db.close();
  });

  it('keeps runs apart and filters by step range', () => {
    const { db, runId } = memoryDb();
    const other = db.runs.create({ role: 'student', config: {}, seed: 2 }).id;
    db.metrics.append(runId, walk(100, 1));
    db.metrics.append(other, walk(50, 2));
    expect(db.metrics.count(runId, LOSS)).toBe(100);
    expect(db.metrics.count(other, LOSS)).toBe(50);
    const part = db.metrics.series(runId, LOSS, { fromStep: 10.5, toStep: 20 });
    expect(Array.from(part.steps)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(db.metrics.series(runId, LOSS, { fromStep: 30, toStep: 20 }).steps.length).toBe(0);
    expect(db.metrics.lastStep(other)).toBe(49);
    expect(db.metrics.lastStep(db.runs.create({ role: 'baseline', config: {}, seed: 3 }).id)).toBeNull();
    db.close();
  });

  it('a second point at the same step replaces the first', () => {
    const { db, runId } = memoryDb();
    db.metrics.append(runId, [
      { step: 5, key: LOSS, value: 1 },
      { step: 6, key: LOSS, value: 2 },
    ]);
    db.metrics.append(runId, [
      { step: 5, key: LOSS, value: 10 },
      { step: 5, key: LOSS, value: 11 },
    ]);
    const s = db.metrics.series(runId, LOSS);
    expect(Array.from(s.values)).toEqual([11, 2]);
    expect(db.metrics.count(runId, LOSS)).toBe(2);
    db.close();
  });

  it('rejects bad points with messages naming the point, and writes none of the batch', () => {
    const { db, runId } = memoryDb();
    const good = { step: 1, key: LOSS, value: 1 };
    expect(() => db.metrics.append(runId, [good, { step: -1, key: LOSS, value: 1 }])).toThrow(/point 1 \(losses\/td_loss\) has step -1; steps are non-negative integers/);
    expect(() => db.metrics.append(runId, [good, { step: 2.5, key: LOSS, value: 1 }])).toThrow(/has step 2.5/);
    expect(() => db.metrics.append(runId, [{ step: 1, key: '' as MetricKey, value: 1 }])).toThrow(/point 0 has key ""/);
    expect(() => db.metrics.append(runId, [{ step: 1, key: LOSS, value: '1' as unknown as number }])).toThrow(/values are numbers/);
    expect(db.metrics.count(runId, LOSS)).toBe(0);
    expect(db.metrics.keys(runId)).toEqual([]);
    expect(() => db.metrics.append(999, [good])).toThrow('no row with id 999 in table runs');
    expect(() => db.metrics.append(999, [])).toThrow('no row with id 999 in table runs');
    expect(() => db.metrics.series(999, LOSS)).toThrow('no row with id 999 in table runs');
    expect(() => db.metrics.series(runId, LOSS, { maxPoints: 1 })).toThrow(/maxPoints must be an integer ≥ 2/);
    db.close();
  });

  it('returns every point when they fit in maxPoints', () => {
    const { db, runId } = memoryDb();
    const points = walk(500, 3);
    db.metrics.append(runId, points);
    const s = db.metrics.series(runId, LOSS, { maxPoints: 500 });
    expect(s.downsampled).toBe(false);
    expect(Array.from(s.values)).toEqual(points.map((p) => p.value));
    db.close();
  });

  it('downsamples a dense series to ≤ maxPoints original points keeping its min and max (block summaries)', () => {
    const { db, runId } = memoryDb();
    const points = walk(200_000, 4);
    for (let i = 0; i < points.length; i += 10_000) db.metrics.append(runId, points.slice(i, i + 10_000));
    for (const maxPoints of [2000, 501, 2]) expectEnvelope(db.metrics.series(runId, LOSS, { maxPoints }), points, maxPoints);
    db.close();
  });

  it('downsamples a sparse series and a zoom into a dense range (per-bucket SQL)', () => {
    const { db, runId } = memoryDb();
    const sparse = walk(20_000, 5, 1000);
    db.metrics.append(runId, sparse);
    expectEnvelope(db.metrics.series(runId, LOSS, { maxPoints: 300 }), sparse, 300);
    const dense = walk(5000, 6, 1, EPS);
    db.metrics.append(runId, dense);
    // 5000 points in 2000: buckets of 5 steps, finer than a summary block
    expectEnvelope(db.metrics.series(runId, EPS, { maxPoints: 2000 }), dense, 2000);
    db.close();
  });

  it('downsampling a step range uses only points inside it, even inside cut blocks', () => {
    const { db, runId } = memoryDb();
    const points = walk(100_000, 7);
    // extremes just outside the range, in the same summary blocks as its ends
    points[1000] = { step: 1000, key: LOSS, value: -1e6 };
    points[80_001] = { step: 80_001, key: LOSS, value: 1e6 };
    db.metrics.append(runId, points);
    const from = 1001;
    const to = 80_000;
    expect(Math.floor(from / METRIC_BLOCK_STEPS)).toBe(Math.floor(1000 / METRIC_BLOCK_STEPS));
    const s = db.metrics.series(runId, LOSS, { maxPoints: 400, fromStep: from, toStep: to });
    expect(s.steps[0]).toBeGreaterThanOrEqual(from);
    expect(s.steps[s.steps.length - 1]).toBeLessThanOrEqual(to);
    expectEnvelope(s, points.filter((p) => p.step >= from && p.step <= to), 400);
    db.close();
  });

  it('downsampling leaves NaN out and survives replaced extremes', () => {
    const { db, runId } = memoryDb();
    const points = walk(50_000, 8);
    points[123] = { step: 123, key: LOSS, value: Number.NaN };
    points[20_000] = { step: 20_000, key: LOSS, value: 1e9 };
    db.metrics.append(runId, points);
    expect(db.metrics.series(runId, LOSS, { maxPoints: 100 }).values).toContain(1e9);
    // replacing the max must not leave the old value in the block summary
    db.metrics.append(runId, [{ step: 20_000, key: LOSS, value: 0 }]);
    points[20_000] = { step: 20_000, key: LOSS, value: 0 };
    const finite = points.filter((p) => !Number.isNaN(p.value));
    const s = db.metrics.series(runId, LOSS, { maxPoints: 100 });
    expect(Array.from(s.values).some(Number.isNaN)).toBe(false);
    expectEnvelope(s, finite, 100);
    db.close();
  });

  it('deleteAfter drops later points of every key, for a resume without duplicates', () => {
    const { db, runId } = memoryDb();
    const points = [...walk(10_000, 9), ...walk(1000, 10, 10, EPS)];
    points.push({ step: 5001, key: LOSS, value: 1e9 }); // replaces the walk's point, same block as the cut
    db.metrics.append(runId, points);
    expect(db.metrics.lastStep(runId)).toBe(9999);
    const deleted = db.metrics.deleteAfter(runId, 5000);
    expect(deleted).toBe(4999 + 499);
    expect(db.metrics.lastStep(runId)).toBe(5000);
    expect(db.metrics.count(runId, LOSS)).toBe(5001);
    expect(db.metrics.count(runId, EPS)).toBe(501);
    const kept = walk(10_000, 9).slice(0, 5001);
    expectEnvelope(db.metrics.series(runId, LOSS, { maxPoints: 200 }), kept, 200);
    // resume: re-append the steps after the checkpoint
    db.metrics.append(runId, walk(10_000, 9).slice(5001));
    expect(db.metrics.count(runId, LOSS)).toBe(10_000);
    expect(db.metrics.deleteAfter(runId, -1)).toBe(10_000 + 501);
    expect(db.metrics.keys(runId)).toEqual([]);
    expect(db.metrics.lastStep(runId)).toBeNull();
    expect(() => db.metrics.deleteAfter(runId, 1.5)).toThrow(/step must be an integer ≥ -1/);
    db.close();
  });

  it('keeps metric_blocks equal to a recomputation from the points after random appends, replacements and deletes', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'studio.db');
      const db = openDatabase(file);
      const runId = db.runs.create({ role: 'teacher', config: {}, seed: 1 }).id;
      const rand = prng(11);
      for (let round = 0; round < 40; round++) {
        const batch: MetricPointInput[] = [];
        for (let i = 0; i < 300; i++) {
          const key = rand() < 0.5 ? LOSS : EPS;
          batch.push({ step: Math.floor(rand() * 3000), key, value: rand() < 0.05 ? Number.NaN : Math.round(rand() * 1000) });
        }
        db.metrics.append(runId, batch);
        if (round % 7 === 6 || round === 39) db.metrics.deleteAfter(runId, Math.floor(rand() * 3000));
      }
      db.close();
      const raw = new Database(file, { readonly: true });
      const points = raw.prepare('SELECT series_id, step, value FROM metrics ORDER BY series_id, step').all() as { series_id: number; step: number; value: number | null }[];
      const expected = new Map<string, { n: number; min: number | null; max: number | null }>();
      for (const p of points) {
        const k = `${p.series_id}/${Math.floor(p.step / METRIC_BLOCK_STEPS)}`;
        const e = expected.get(k) ?? { n: 0, min: null, max: null };
        e.n++;
        if (p.value !== null) {
          e.min = e.min === null ? p.value : Math.min(e.min, p.value);
          e.max = e.max === null ? p.value : Math.max(e.max, p.value);
        }
        expected.set(k, e);
      }
      const blocks = raw.prepare('SELECT series_id, block, point_count, min_step, min_value, max_step, max_value FROM metric_blocks').all() as {
        series_id: number;
        block: number;
        point_count: number;
        min_step: number | null;
        min_value: number | null;
        max_step: number | null;
        max_value: number | null;
      }[];
      const valueAt = new Map(points.map((p) => [`${p.series_id}/${p.step}`, p.value]));
      expect(blocks.length).toBe(expected.size);
      for (const b of blocks) {
        const e = expected.get(`${b.series_id}/${b.block}`)!;
        expect({ n: b.point_count, min: b.min_value, max: b.max_value }).toEqual(e);
        if (b.min_step !== null) expect(valueAt.get(`${b.series_id}/${b.min_step}`)).toBe(b.min_value);
        if (b.max_step !== null) expect(valueAt.get(`${b.series_id}/${b.max_step}`)).toBe(b.max_value);
      }
      raw.close();
    } finally {
      cleanup();
    }
  });
});
