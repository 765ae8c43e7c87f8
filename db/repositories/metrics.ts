/**
 * Metric time series of a run: (step, key, value) points, appended in batches and read back as typed arrays,
 * downsampled for charts.
 *
 * Storage (db/migrations.ts): `metric_series` maps (run, key) to a small id; `metrics` is clustered on
 * (series, step), one row per point, a step appearing at most once per series (a second append of the same
 * step replaces the value); `metric_blocks` keeps, per series and block of METRIC_BLOCK_STEPS steps, the min
 * and max points. A downsampled read splits the step range into ⌊maxPoints/2⌋ buckets and returns, per bucket,
 * its min and max points in step order (the envelope of the curve, so spikes, the global min and the global
 * max survive; cf. M4, Jugel et al. 2014). Whole blocks inside a bucket are read from `metric_blocks`, so
 * reading a 10⁶-point series touches ~16k summary rows instead of 10⁶ points.
 *
 * Every series records the unit of its steps (`env_steps` or `gradient_updates`, schema v2), set by its first
 * point; a later point in another unit is refused.
 */
import type Database from 'better-sqlite3';
import { STEP_UNITS, type MetricKey, type StepUnit } from '../../core/metrics.ts';
import { NotFoundError } from '../errors.ts';
import { METRIC_BLOCK_STEPS } from '../migrations.ts';

export interface MetricPointInput {
  /** Non-negative integer, in `unit`. */
  readonly step: number;
  readonly key: MetricKey;
  /** Any number; NaN is stored as NULL and read back as NaN. */
  readonly value: number;
  /** The unit of `step` (default env_steps); one unit per series. */
  readonly unit?: StepUnit;
}

export interface SeriesOptions {
  /** Downsample to at most this many points (≥ 2); all points when omitted. */
  readonly maxPoints?: number;
  /** Inclusive step range. */
  readonly fromStep?: number;
  readonly toStep?: number;
}

export interface MetricSeries {
  /** The unit of `steps` (null when the run has no such series). */
  readonly unit: StepUnit | null;
  readonly steps: Float64Array;
  readonly values: Float64Array;
  /** True when points were dropped to fit maxPoints (NaN points are then left out too). */
  readonly downsampled: boolean;
}

/**
 * Points per transaction of a large append (≈ 30 ms of writing here), so that a large batch never holds the
 * write lock for long. Appending is idempotent (a step written twice keeps one point), so a batch that failed
 * half-way (e.g. the database was locked) can simply be appended again.
 */
export const METRIC_APPEND_CHUNK = 20_000;

export interface MetricsRepository {
  /**
   * Writes the points, in one transaction per METRIC_APPEND_CHUNK points (one in all when called inside a
   * transaction); returns how many were written.
   */
  append(runId: number, points: readonly MetricPointInput[]): number;
  /**
   * The series in step order. Charts should pass maxPoints: a downsampled read costs about the same for 10³ or
   * 10⁶ points (tens of ms), while all 10⁶ points take ~0.5 s. Downsampled reads return between about
   * maxPoints/2 and maxPoints points (buckets are rounded to whole summary blocks).
   */
  series(runId: number, key: MetricKey, options?: SeriesOptions): MetricSeries;
  /** Keys with at least one point, sorted. */
  keys(runId: number): MetricKey[];
  /** The x-axis unit of every series of the run (keys with points). */
  units(runId: number): Partial<Record<MetricKey, StepUnit>>;
  /** Number of points of a series. */
  count(runId: number, key: MetricKey): number;
  /** Largest step of any key, or null when the run has no points. */
  lastStep(runId: number): number | null;
  /** Deletes every point with step > `step` (for a resume from a checkpoint at `step`); returns how many. */
  deleteAfter(runId: number, step: number): number;
}

const B = METRIC_BLOCK_STEPS;
const MAX_STEP = Number.MAX_SAFE_INTEGER;
const EMPTY: MetricSeries = Object.freeze({ unit: null, steps: new Float64Array(0), values: new Float64Array(0), downsampled: false });

/** Point count and the min and max points seen so far (of a block or a bucket); minStep < 0 until a non-NaN value came. */
class Extremes {
  count = 0;
  minStep = -1;
  minValue = Infinity;
  maxStep = -1;
  maxValue = -Infinity;

  add(step: number, value: number | null): void {
    this.count++;
    if (value === null || Number.isNaN(value)) return;
    if (this.minStep < 0 || value < this.minValue) {
      this.minStep = step;
      this.minValue = value;
    }
    if (this.maxStep < 0 || value > this.maxValue) {
      this.maxStep = step;
      this.maxValue = value;
    }
  }
}

type BlockRow = [step: number, value: number | null];

export function createMetricsRepository(db: Database.Database): MetricsRepository {
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck();
  const ensureSeries = db.prepare('INSERT INTO metric_series (run_id, key, unit) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING');
  const seriesIdOf = db.prepare('SELECT id FROM metric_series WHERE run_id = ? AND key = ?').pluck();
  const seriesOf = db.prepare('SELECT id, unit FROM metric_series WHERE run_id = ? AND key = ?');
  const unitsOf = db.prepare('SELECT key, unit FROM metric_series s WHERE run_id = ? AND EXISTS (SELECT 1 FROM metrics m WHERE m.series_id = s.id) ORDER BY key');
  const seriesOfRun = db.prepare('SELECT id FROM metric_series WHERE run_id = ?').pluck();
  const insertPoint = db.prepare('INSERT INTO metrics (series_id, step, value) VALUES (?, ?, ?) ON CONFLICT (series_id, step) DO NOTHING');
  const updatePoint = db.prepare('UPDATE metrics SET value = ? WHERE series_id = ? AND step = ?');
  const mergeBlock = db.prepare(
    `INSERT INTO metric_blocks (series_id, block, point_count, min_step, min_value, max_step, max_value) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (series_id, block) DO UPDATE SET
       point_count = point_count + excluded.point_count,
       min_step  = CASE WHEN min_value IS NULL OR excluded.min_value < min_value THEN excluded.min_step  ELSE min_step  END,
       min_value = CASE WHEN min_value IS NULL OR excluded.min_value < min_value THEN excluded.min_value ELSE min_value END,
       max_step  = CASE WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_step  ELSE max_step  END,
       max_value = CASE WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_value ELSE max_value END`,
  );
  const replaceBlock = db.prepare('INSERT OR REPLACE INTO metric_blocks (series_id, block, point_count, min_step, min_value, max_step, max_value) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const deleteBlock = db.prepare('DELETE FROM metric_blocks WHERE series_id = ? AND block = ?');
  const deleteBlocksAfter = db.prepare('DELETE FROM metric_blocks WHERE series_id = ? AND block > ?');
  const deletePointsAfter = db.prepare('DELETE FROM metrics WHERE series_id = ? AND step > ?');
  const pointsIn = db.prepare('SELECT step, value FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step').raw();
  const pointsInLimit = db.prepare('SELECT step, value FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step LIMIT ?').raw();
  const stepsIn = db.prepare('SELECT step FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step').pluck();
  const valuesIn = db.prepare('SELECT value FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step').pluck();
  const lastStepIn = db.prepare('SELECT MAX(step) FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ?').pluck();
  const minIn = db.prepare('SELECT step, MIN(value) FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ?').raw();
  const maxIn = db.prepare('SELECT step, MAX(value) FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ?').raw();
  const blocksIn = db.prepare('SELECT min_step, min_value, max_step, max_value FROM metric_blocks WHERE series_id = ? AND block BETWEEN ? AND ? ORDER BY block').raw();
  const pointCount = db.prepare('SELECT COALESCE(SUM(point_count), 0) FROM metric_blocks WHERE series_id = ?').pluck();
  const keysOf = db.prepare('SELECT key FROM metric_series s WHERE run_id = ? AND EXISTS (SELECT 1 FROM metrics m WHERE m.series_id = s.id) ORDER BY key').pluck();
  const lastStepOf = db.prepare('SELECT MAX((SELECT MAX(step) FROM metrics m WHERE m.series_id = s.id)) FROM metric_series s WHERE run_id = ?').pluck();

  const requireRun = (runId: number) => {
    if (runExists.get(runId) === undefined) throw new NotFoundError('runs', runId);
  };
  const writeBlock = (stmt: Database.Statement, seriesId: number, block: number, e: Extremes) =>
    stmt.run(seriesId, block, e.count, e.minStep < 0 ? null : e.minStep, e.minStep < 0 ? null : e.minValue, e.maxStep < 0 ? null : e.maxStep, e.maxStep < 0 ? null : e.maxValue);

  /** Rebuilds a block's summary from its points (after a value was replaced or points deleted). */
  const recomputeBlock = (seriesId: number, block: number) => {
    const rows = pointsIn.all(seriesId, block * B, block * B + B - 1) as BlockRow[];
    if (rows.length === 0) {
      deleteBlock.run(seriesId, block);
      return;
    }
    const e = new Extremes();
    for (const [step, value] of rows) e.add(step, value);
    writeBlock(replaceBlock, seriesId, block, e);
  };

  const append = db.transaction((runId: number, points: readonly MetricPointInput[]): number => {
    requireRun(runId);
    const seriesIds = new Map<string, number>();
    const seriesUnits = new Map<string, StepUnit>();
    // Per series: block → extremes of the points new in this batch, and the blocks whose points were replaced.
    const fresh = new Map<number, Map<number, Extremes>>();
    const stale = new Map<number, Set<number>>();
    for (let i = 0; i < points.length; i++) {
      const { step, key, value } = points[i];
      const unit = points[i].unit ?? 'env_steps';
      let seriesId = seriesIds.get(key);
      if (seriesId === undefined) {
        if (typeof key !== 'string' || key.length === 0 || key.length > 200) throw new Error(`metrics.append(run ${runId}): point ${i} has key ${JSON.stringify(key)}; keys are 1-200 characters`);
        if (!STEP_UNITS.includes(unit)) throw new Error(`metrics.append(run ${runId}): point ${i} (${key}) has unit ${JSON.stringify(unit)}; units are ${STEP_UNITS.join(', ')}`);
        ensureSeries.run(runId, key, unit);
        const row = seriesOf.get(runId, key) as { id: number; unit: StepUnit };
        seriesId = row.id;
        seriesIds.set(key, seriesId);
        seriesUnits.set(key, row.unit);
        fresh.set(seriesId, new Map());
        stale.set(seriesId, new Set());
      }
      if (seriesUnits.get(key) !== unit) throw new Error(`metrics.append(run ${runId}): point ${i} (${key}) is in ${unit}, but the series is recorded in ${seriesUnits.get(key)}`);
      if (!Number.isSafeInteger(step) || step < 0) throw new Error(`metrics.append(run ${runId}): point ${i} (${key}) has step ${step}; steps are non-negative integers`);
      if (typeof value !== 'number') throw new Error(`metrics.append(run ${runId}): point ${i} (${key}) has value ${JSON.stringify(value)}; values are numbers`);
      const block = Math.floor(step / B);
      if (insertPoint.run(seriesId, step, value).changes === 0) {
        updatePoint.run(value, seriesId, step);
        stale.get(seriesId)!.add(block);
        continue;
      }
      const blocks = fresh.get(seriesId)!;
      let e = blocks.get(block);
      if (e === undefined) blocks.set(block, (e = new Extremes()));
      e.add(step, value);
    }
    for (const [seriesId, blocks] of fresh) {
      const staleBlocks = stale.get(seriesId)!;
      for (const [block, e] of blocks) if (!staleBlocks.has(block)) writeBlock(mergeBlock, seriesId, block, e);
      for (const block of staleBlocks) recomputeBlock(seriesId, block);
    }
    return points.length;
  });

  const checkStep = (value: number | undefined, field: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`metrics.series: ${field} must be a number, got ${value}`);
    return value;
  };

  const toSeries = (rows: BlockRow[], downsampled: boolean, unit: StepUnit): MetricSeries => {
    const steps = new Float64Array(rows.length);
    const values = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      steps[i] = rows[i][0];
      values[i] = rows[i][1] ?? Number.NaN;
    }
    return { unit, steps, values, downsampled };
  };

  /** Every point of [from, to]: two single-column reads, 3-4× faster than reading rows of two columns. */
  const readAll = (seriesId: number, from: number, to: number, unit: StepUnit): MetricSeries => {
    const steps = Float64Array.from(stepsIn.all(seriesId, from, to) as number[]);
    const raw = valuesIn.all(seriesId, from, to) as (number | null)[];
    const values = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) values[i] = raw[i] ?? Number.NaN;
    return { unit, steps, values, downsampled: false };
  };

  /** Min/max envelope of [lo, hi] (the first and last steps present) in at most ⌊maxPoints/2⌋ buckets. */
  const downsample = (seriesId: number, lo: number, hi: number, maxPoints: number, unit: StepUnit): MetricSeries => {
    const nb = Math.floor(maxPoints / 2);
    let width = Math.ceil((hi - lo + 1) / nb);
    let base = lo;
    const buckets: Extremes[] = [];
    const add = (step: number, value: number | null) => {
      const k = Math.floor((step - base) / width);
      (buckets[k] ??= new Extremes()).add(step, value);
    };
    if (width >= B) {
      // Buckets made of whole blocks: a block's summary then holds its bucket's candidates exactly. The
      // first and last blocks may reach outside [lo, hi] (from/to cut them), so their points are read.
      width = Math.ceil(width / B) * B;
      base = Math.floor(lo / B) * B;
      while (Math.floor((hi - base) / width) + 1 > nb) width += B;
      const first = Math.floor(lo / B);
      const last = Math.floor(hi / B);
      for (const [s, v] of pointsIn.all(seriesId, lo, Math.min(hi, first * B + B - 1)) as BlockRow[]) add(s, v);
      if (last > first) for (const [s, v] of pointsIn.all(seriesId, last * B, hi) as BlockRow[]) add(s, v);
      if (last > first + 1) {
        for (const [minStep, minValue, maxStep, maxValue] of blocksIn.all(seriesId, first + 1, last - 1) as [number | null, number | null, number | null, number | null][]) {
          if (minStep !== null) add(minStep, minValue);
          if (maxStep !== null) add(maxStep, maxValue);
        }
      }
    } else {
      // Fine buckets (a zoom into a dense range of < nb·B steps): min and max per bucket in SQL.
      for (let from = lo; from <= hi; from += width) {
        const to = Math.min(hi, from + width - 1);
        const [minStep, minValue] = minIn.get(seriesId, from, to) as [number | null, number | null];
        if (minStep !== null) add(minStep, minValue);
        const [maxStep, maxValue] = maxIn.get(seriesId, from, to) as [number | null, number | null];
        if (maxStep !== null) add(maxStep, maxValue);
      }
    }
    const rows: BlockRow[] = [];
    for (const e of buckets) {
      if (e === undefined || e.minStep < 0) continue;
      if (e.minStep === e.maxStep) rows.push([e.minStep, e.minValue]);
      else if (e.minStep < e.maxStep) rows.push([e.minStep, e.minValue], [e.maxStep, e.maxValue]);
      else rows.push([e.maxStep, e.maxValue], [e.minStep, e.minValue]);
    }
    return toSeries(rows, true, unit);
  };

  return {
    append(runId, points) {
      if (points.length === 0) return requireRun(runId), 0;
      if (points.length <= METRIC_APPEND_CHUNK || db.inTransaction) return append(runId, points);
      for (let i = 0; i < points.length; i += METRIC_APPEND_CHUNK) append(runId, points.slice(i, i + METRIC_APPEND_CHUNK));
      return points.length;
    },

    series(runId, key, options = {}) {
      requireRun(runId);
      const from = Math.max(0, Math.ceil(checkStep(options.fromStep, 'fromStep', 0)));
      const to = Math.min(MAX_STEP, Math.floor(checkStep(options.toStep, 'toStep', MAX_STEP)));
      const { maxPoints } = options;
      if (maxPoints !== undefined && (!Number.isInteger(maxPoints) || maxPoints < 2)) throw new Error(`metrics.series: maxPoints must be an integer ≥ 2, got ${maxPoints}`);
      // One read transaction: the queries below see one snapshot even while another connection appends.
      return db.transaction((): MetricSeries => {
        const series = seriesOf.get(runId, key) as { id: number; unit: StepUnit } | undefined;
        if (series === undefined) return EMPTY;
        const { id: seriesId, unit } = series;
        if (from > to) return { ...EMPTY, unit };
        if (maxPoints === undefined) return readAll(seriesId, from, to, unit);
        // Small enough? Reading maxPoints + 1 rows answers that without counting the range.
        const head = pointsInLimit.all(seriesId, from, to, maxPoints + 1) as BlockRow[];
        if (head.length <= maxPoints) return toSeries(head, false, unit);
        return downsample(seriesId, head[0][0], lastStepIn.get(seriesId, from, to) as number, maxPoints, unit);
      }).deferred();
    },

    keys(runId) {
      requireRun(runId);
      return keysOf.all(runId) as MetricKey[];
    },

    units(runId) {
      requireRun(runId);
      return Object.fromEntries((unitsOf.all(runId) as { key: MetricKey; unit: StepUnit }[]).map((r) => [r.key, r.unit]));
    },

    count(runId, key) {
      requireRun(runId);
      const seriesId = seriesIdOf.get(runId, key) as number | undefined;
      return seriesId === undefined ? 0 : (pointCount.get(seriesId) as number);
    },

    lastStep(runId) {
      requireRun(runId);
      return (lastStepOf.get(runId) as number | null | undefined) ?? null;
    },

    deleteAfter(runId, step) {
      if (!Number.isSafeInteger(step) || step < -1) throw new Error(`metrics.deleteAfter(run ${runId}): step must be an integer ≥ -1 (-1 deletes all), got ${step}`);
      return db.transaction(() => {
        requireRun(runId);
        let deleted = 0;
        const block = Math.floor(step / B);
        for (const seriesId of seriesOfRun.all(runId) as number[]) {
          deleted += deletePointsAfter.run(seriesId, step).changes;
          deleteBlocksAfter.run(seriesId, block);
          if (block >= 0) recomputeBlock(seriesId, block);
        }
        return deleted;
      })();
    },
  };
}
