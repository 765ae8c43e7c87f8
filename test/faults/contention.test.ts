/**
 * Faults: contention. Issue 9 § Contention — a long write by another process (a large import in one
 * transaction) made a training run on the same database fail for good with "database is locked". Required: long
 * writers commit in short chunks; a writer that meets a lock retries with backoff and keeps its metrics
 * buffered; a transient lock never fails a run.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, newLockWaitStats, openDatabase, withBusyRetry, type StudioDb } from '../../db/index.ts';
import { parseDqnConfig } from '../../core/dqn/config.ts';
import { presetConfig } from '../../core/dqn/presets.ts';
import { createTeacherRun } from '../../electron/service/runs.ts';
import { openStudio } from '../../electron/service/studio.ts';
import { buildLargeExperiment } from './fixtures.ts';
import { childResult, expectHandled, record, startChild, tempDir } from './helpers.ts';

const SUITE = 'contention';
const { dir, cleanup } = tempDir();
afterAll(cleanup);

const dbFile = path.join(dir, 'studio.db');
let db: StudioDb;
let runId = 0;
beforeAll(() => {
  db = openDatabase(dbFile);
  runId = db.runs.create({ role: 'student', config: {}, seed: 1 }).id;
});
afterAll(() => db.close());

/** Runs child.ts and resolves with its result line once it exits. */
function child<T>(command: Record<string, unknown>): { started: Promise<void>; done: Promise<T> } {
  const p = startChild(command);
  let out = '';
  let err = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => (markStarted = r));
  p.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"locked":true')) markStarted();
  });
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<T>((resolve) => p.once('exit', (status, signal) => resolve(childResult<T>({ stdout: out, stderr: err, status, signal } as never))));
  return { started, done };
}

describe('a transient lock never fails a write', () => {
  it('a write that meets a lock longer than its busy timeout retries and succeeds (a plain write fails)', async () => {
    const holder = child<{ released: boolean }>({ op: 'hold-lock', db: dbFile, ms: 1500 });
    await holder.started;
    // The fault as it was: one try, a busy timeout shorter than the other writer's transaction.
    let plain: Error | null = null;
    try {
      db.withBusyTimeout(300, () => db.runs.setSummary(runId, { plain: true }));
    } catch (err) {
      plain = err as Error;
    }
    expect(plain?.message).toMatch(/database is locked/);
    record(SUITE, 'a plain write under a 1.5 s lock (busy timeout 0.3 s) fails', 'control', plain?.message);
    const stats = newLockWaitStats();
    await expectHandled(SUITE, 'a write under a 1.5 s lock with withBusyRetry', () => {
      db.withBusyTimeout(300, () => withBusyRetry('summary', () => db.runs.setSummary(runId, { retried: true }), { stats }));
      expect(db.runs.get(runId).summary).toEqual({ retried: true });
      expect(stats.waits).toBe(1);
      expect(stats.longestWaitMs).toBeGreaterThan(200);
    });
    expect((await holder.done).released).toBe(true);
  });

  it('metrics written while another process holds the lock are buffered, then all written', async () => {
    const writer = child<{ written: number; deferred: number; error?: string }>({ op: 'buffered-writer', db: dbFile, runId, batches: 120, batchPoints: 50, everyMs: 15, busyTimeoutMs: 20 });
    await new Promise((r) => setTimeout(r, 400));
    const holder = child<{ released: boolean }>({ op: 'hold-lock', db: dbFile, ms: 1200 });
    const [result] = await Promise.all([writer.done, holder.done]);
    await expectHandled(SUITE, 'buffered metrics under a 1.2 s lock', () => {
      expect(result.error).toBeUndefined();
      expect(result.written).toBe(6000);
      expect(result.deferred).toBeGreaterThan(0); // the lock was met, and the points waited in memory
      expect(db.metrics.count(runId, 'charts/epsilon')).toBe(6000);
    });
  });
});

describe('a studio training run under another process\'s lock', () => {
  it('a lock held longer than the busy timeout delays the run, never fails it; no metric point is lost', async () => {
    const file = path.join(dir, 'studio-run.db');
    const config = parseDqnConfig({ ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed: 1, totalSteps: 1_000_000, hiddenSizes: [16], evalEvery: 0 });
    const studio = openStudio({ dbFile: file, poolSize: 1, checkpointEvery: 1000 });
    try {
      const id = studio.createRuns((d) => createTeacherRun(d, { config, evalEpisodes: 1, name: 'under a lock' })).runs[0].runId;
      const outcome = studio.execute([id]);
      const epsilonPoints = () => studio.db.metrics.count(id, 'charts/epsilon');
      const until = async (cond: () => boolean) => {
        const end = Date.now() + 120_000;
        while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => epsilonPoints() >= 2);
      // The fault as it was: one long transaction of another process, longer than the 5 s busy timeout.
      const holder = child<{ released: boolean }>({ op: 'hold-lock', db: file, ms: BUSY_TIMEOUT_MS + 700 });
      await holder.started;
      await holder.done;
      const afterLock = epsilonPoints();
      await until(() => epsilonPoints() >= afterLock + 3); // it goes on training and writing
      studio.cancelRuns([id]);
      const [end] = await outcome;
      await expectHandled(SUITE, 'a studio run under a lock held 5.7 s (busy timeout 5 s)', () => {
        expect(end.status).toBe('cancelled');
        const run = studio.db.runs.get(id);
        expect(run.status).toBe('cancelled');
        expect(run.error).toBeNull();
        const steps = studio.db.metrics.series(id, 'charts/epsilon').steps;
        expect([...steps]).toEqual(Array.from({ length: steps.length }, (_, i) => (i + 1) * 1000)); // no gap, no repeat
        expect(studio.lockWaits().longestWaitMs).toBeGreaterThan(BUSY_TIMEOUT_MS); // it waited past the busy timeout, and kept going
      });
      record(SUITE, 'studio run under a lock', 'figure', `the run's longest write ${studio.lockWaits().longestCallMs} ms (lock wait included); ${studio.lockWaits().waits} writes retried after SQLITE_BUSY`);
    } finally {
      await studio.close();
    }
  }, 120_000);
});

describe('a large import beside a training writer', () => {
  it('commits in short transactions; the writer, on the default 5 s busy timeout, never fails', async () => {
    const source = path.join(dir, 'large.db');
    buildLargeExperiment(source, { points: 400_000, kbRows: 100_000 });
    const exportFile = path.join(dir, 'large.dsx');
    const src = openDatabase(source);
    src.transfer.exportExperiment(1, exportFile);
    src.close();
    const writer = child<{ written: number; longestWriteMs: number; error?: string }>({ op: 'buffered-writer', db: dbFile, runId, batches: 400, batchPoints: 20, everyMs: 5, busyTimeoutMs: BUSY_TIMEOUT_MS });
    await new Promise((r) => setTimeout(r, 300));
    const importer = child<{ ids: number[]; stats: { transactions: number; longestTransactionMs: number; totalMs: number }; error?: string }>({ op: 'import', db: dbFile, file: exportFile });
    const [w, imp] = await Promise.all([writer.done, importer.done]);
    await expectHandled(SUITE, 'training writer beside a large import', () => {
      expect(imp.error).toBeUndefined();
      expect(w.error).toBeUndefined();
      expect(w.written).toBe(8000);
      // Chunked: more than one transaction (how many depends on the machine's speed, commits come every ~150 ms).
      expect(imp.stats.transactions).toBeGreaterThan(1);
      // No transaction of the import held the lock for more than a quarter of the busy timeout.
      expect(imp.stats.longestTransactionMs).toBeLessThan(BUSY_TIMEOUT_MS / 4);
    });
    record(SUITE, 'import beside a writer', 'figure', `import ${imp.stats.totalMs} ms in ${imp.stats.transactions} transactions, longest ${imp.stats.longestTransactionMs} ms; writer's longest write ${w.longestWriteMs} ms`);
  });
});
