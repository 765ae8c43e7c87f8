/**
 * Schema version 2: metric series know the unit of their x-axis. A version-1 database is upgraded in place
 * (offline students' series become gradient updates), exports and imports keep the units, and an old export
 * file can still be imported.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { METRIC_KEYS } from '../../core/metrics.ts';
import { SCHEMA_VERSION, openDatabase } from '../../db/index.ts';
import { MIGRATIONS, migrate } from '../../db/migrations.ts';
import { memoryDb, tempDir } from './fixtures.ts';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

/** A version-1 database file with a teacher, an offline student (experiment job), an online student and an offline CLI student, each with one series. */
function v1File(name: string): string {
  const file = path.join(dir, name);
  const raw = new Database(file);
  migrate(raw, MIGRATIONS.slice(0, 1));
  raw.exec(`
    INSERT INTO experiments (id, name, spec, spec_version) VALUES (1, 'old', '{"version":1}', 1);
    INSERT INTO runs (id, experiment_id, role, config, seed) VALUES
      (1, 1, 'teacher', '{"env":"CartPole-v1","job":{"kind":"teacher"}}', 1),
      (2, 1, 'student', '{"env":"CartPole-v1","job":{"kind":"student","config":{"mode":"offline"}}}', 1),
      (3, 1, 'student', '{"env":"CartPole-v1","job":{"kind":"student","config":{"mode":"online"}}}', 1),
      (4, NULL, 'student', '{"env":"CartPole-v1","cli":{"mode":"offline"}}', 1),
      (5, 1, 'baseline', '{"env":"CartPole-v1","job":{"kind":"baseline"}}', 1);
  `);
  for (const run of [1, 2, 3, 4, 5]) {
    const id = raw.prepare('INSERT INTO metric_series (run_id, key) VALUES (?, ?) RETURNING id').pluck().get(run, METRIC_KEYS.evalMeanReturn) as number;
    raw.prepare('INSERT INTO metrics (series_id, step, value) VALUES (?, 100, 1.5)').run(id);
    raw.prepare('INSERT INTO metric_blocks (series_id, block, point_count, min_step, min_value, max_step, max_value) VALUES (?, 1, 1, 100, 1.5, 100, 1.5)').run(id);
  }
  raw.close();
  return file;
}

describe('metric x-axis units (schema v2)', () => {
  it('a series takes the unit of its first point; another unit for it is refused; reads return it', () => {
    const { db, runId } = memoryDb();
    db.metrics.append(runId, [
      { step: 10, key: METRIC_KEYS.distillLoss, value: 1, unit: 'gradient_updates' },
      { step: 10, key: METRIC_KEYS.epsilon, value: 0.5 },
    ]);
    expect(db.metrics.series(runId, METRIC_KEYS.distillLoss).unit).toBe('gradient_updates');
    expect(db.metrics.series(runId, METRIC_KEYS.epsilon, { maxPoints: 10 }).unit).toBe('env_steps');
    expect(db.metrics.series(runId, METRIC_KEYS.tdLoss).unit).toBeNull();
    expect(db.metrics.units(runId)).toEqual({ 'charts/epsilon': 'env_steps', 'losses/distill_loss': 'gradient_updates' });
    expect(() => db.metrics.append(runId, [{ step: 20, key: METRIC_KEYS.distillLoss, value: 2, unit: 'env_steps' }])).toThrow(/is in env_steps, but the series is recorded in gradient_updates/);
    expect(() => db.metrics.append(runId, [{ step: 20, key: METRIC_KEYS.alpha, value: 2, unit: 'episodes' as never }])).toThrow(/unit "episodes"/);
    expect(db.metrics.count(runId, METRIC_KEYS.distillLoss)).toBe(1); // nothing of the refused batch was written
    db.close();
  });

  it('upgrades a version-1 database: offline students count gradient updates, every other series env steps; data kept', () => {
    const file = v1File('v1.db');
    const db = openDatabase(file);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(2);
    const unit = (run: number) => db.metrics.series(run, METRIC_KEYS.evalMeanReturn).unit;
    expect([1, 2, 3, 4, 5].map(unit)).toEqual(['env_steps', 'gradient_updates', 'env_steps', 'gradient_updates', 'env_steps']);
    expect(Array.from(db.metrics.series(2, METRIC_KEYS.evalMeanReturn).values)).toEqual([1.5]);
    db.close();
  });

  it('exports keep units, and an export file from version 1 still imports (the file itself untouched)', () => {
    const old = v1File('old-export.db');
    const before = fs.readFileSync(old);
    const db = openDatabase(path.join(dir, 'studio.db'));
    const [imported] = db.transfer.importFile(old);
    expect(fs.readFileSync(old).equals(before)).toBe(true);
    const runs = db.runs.list({ experimentId: imported });
    const student = runs.find((r) => (r.config as { job?: { config?: { mode?: string } } }).job?.config?.mode === 'offline')!;
    expect(db.metrics.series(student.id, METRIC_KEYS.evalMeanReturn).unit).toBe('gradient_updates');
    const out = path.join(dir, 'round-trip.db');
    db.transfer.exportExperiment(imported, out);
    const again = openDatabase(path.join(dir, 'other.db'));
    const [back] = again.transfer.importFile(out);
    const units = again.runs.list({ experimentId: back }).map((r) => again.metrics.series(r.id, METRIC_KEYS.evalMeanReturn).unit);
    expect(units.filter((u) => u === 'gradient_updates')).toHaveLength(1);
    again.close();
    db.close();
  });
});
