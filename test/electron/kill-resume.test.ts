/**
 * Crash safety, end to end: `kill -9` an `experiment run` in the middle of training, then a new command on the
 * same database finds it intact (integrity_check ok, every metric row written before the kill still there,
 * the run `interrupted`), and `resume` finishes it from its checkpoint with continuous step numbers.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'distill-studio.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const dbFile = path.join(tmp, 'studio.db');
const TOTAL = 12_000;
const spec = {
  version: 1,
  name: 'kill -9 test',
  env: 'CartPole-v1',
  teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: TOTAL, evalEvery: 4000, evalEpisodes: 3 } } },
  knowledgeBase: { steps: 1000 },
  students: [{ hiddenSizes: [4], steps: 300, evalEvery: 100, evalEpisodes: 2 }],
  baselines: false,
  seeds: [1],
  evaluation: { episodes: 3, replays: 1 },
};

const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000, cwd: tmp });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function metricRows(db: Database.Database, runId: number): { key: string; step: number; value: number | null }[] {
  return db
    .prepare('SELECT s.key AS key, m.step AS step, m.value AS value FROM metrics m JOIN metric_series s ON s.id = m.series_id WHERE s.run_id = ? ORDER BY s.key, m.step')
    .all(runId) as { key: string; step: number; value: number | null }[];
}

describe('kill -9 in the middle of training', () => {
  it('leaves an intact database, an interrupted run, and resume finishes it with continuous steps', async () => {
    const specFile = path.join(tmp, 'spec.json');
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const child = spawn(process.execPath, [bin, 'experiment', 'run', specFile, '--db', dbFile, '--jobs', '1', '--json'], { cwd: tmp, stdio: 'ignore' });

    // Wait until the teacher has a checkpoint past a few thousand steps, then snapshot its metrics and kill.
    let before: ReturnType<typeof metricRows> = [];
    let checkpointStep = 0;
    const deadline = Date.now() + 120_000;
    for (;;) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
      if (!fs.existsSync(dbFile)) continue;
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        const cp = db.prepare('SELECT step FROM checkpoints WHERE run_id = 1').get() as { step: number } | undefined;
        if (cp && cp.step >= 3000) {
          before = metricRows(db, 1);
          checkpointStep = cp.step;
          child.kill('SIGKILL');
          break;
        }
      } catch {
        // the schema may not exist yet
      } finally {
        db.close();
      }
    }
    await new Promise((r) => child.once('exit', r));
    expect(checkpointStep).toBeLessThan(TOTAL);
    expect(before.length).toBeGreaterThan(0);

    // A new command on the same database.
    const listed = cli('runs', '--db', dbFile, '--json');
    expect(listed.status).toBe(0);
    const runs = JSON.parse(listed.stdout.trim().split('\n').at(-1)!).runs as { id: number; status: string; role: string }[];
    expect(runs.find((r) => r.id === 1)).toMatchObject({ role: 'teacher', status: 'interrupted' });
    expect(runs.find((r) => r.role === 'student')?.status).toBe('queued');

    const raw = new Database(dbFile);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    const after = new Map(metricRows(raw, 1).map((m) => [`${m.key}@${m.step}`, m.value]));
    for (const m of before) expect(after.get(`${m.key}@${m.step}`), `${m.key}@${m.step}`).toEqual(m.value);
    raw.close();

    const resumed = cli('resume', '1', '--db', dbFile, '--json');
    expect(resumed.stderr).not.toMatch(/Error/);
    expect(resumed.status).toBe(0);
    const summary = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!);
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(3000);
    expect(summary.runs.map((r: { status: string }) => r.status)).toEqual(['completed', 'completed']);

    const db = new Database(dbFile, { readonly: true });
    const epsilonSteps = metricRows(db, 1).filter((m) => m.key === 'charts/epsilon').map((m) => m.step);
    expect(epsilonSteps).toEqual(Array.from({ length: TOTAL / 1000 }, (_, i) => (i + 1) * 1000));
    const gradientSteps = metricRows(db, 1).filter((m) => m.key === 'train/gradient_steps').map((m) => m.value!);
    expect(gradientSteps).toEqual([...gradientSteps].sort((a, b) => a - b)); // counters continue, never restart
    expect(db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = 1').pluck().get()).toBe(0);
    db.close();
  }, 300_000);
});
