import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runChunked } from '../../db/chunked-write.ts';
import { busyTolerant, createMetricBuffer, isBusyError, lockTolerantStore, newLockWaitStats, withBusyRetry } from '../../db/busy-retry.ts';
import path from 'node:path';
import { openDatabase } from '../../db/index.ts';
import { makeKb, tempDir } from './fixtures.ts';

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('withBusyRetry', () => {
  it('retries SQLITE_BUSY with backoff until it succeeds, and counts the wait', () => {
    let calls = 0;
    const sleeps: number[] = [];
    const stats = newLockWaitStats();
    const out = withBusyRetry('w', () => (++calls < 4 ? (() => { throw busy(); })() : 'done'), { sleep: (ms) => sleeps.push(ms), stats, firstDelayMs: 10 });
    expect(out).toBe('done');
    expect(calls).toBe(4);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]).toBeGreaterThan(sleeps[0]); // exponential (jitter is ±50%)
    expect(stats).toMatchObject({ waits: 1, retries: 3 });
  });

  it('passes other errors through at once and gives up after the deadline, naming the write', () => {
    expect(() => withBusyRetry('w', () => { throw new Error('constraint'); })).toThrow('constraint');
    expect(() => withBusyRetry('metrics of run 3', () => { throw busy(); }, { maxWaitMs: 0, sleep: () => undefined })).toThrow(/metrics of run 3: the database stayed locked by another process for 0 s/);
    expect(isBusyError({ code: 'SQLITE_LOCKED_SHAREDCACHE' })).toBe(true);
    expect(isBusyError({ code: 'SQLITE_CORRUPT' })).toBe(false);
  });

  it('busyTolerant wraps every method except those named', () => {
    let n = 0;
    const store = busyTolerant({ save: () => (++n < 2 ? (() => { throw busy(); })() : n), raw: () => { throw busy(); } }, { except: ['raw'], sleep: () => undefined });
    expect(store.save()).toBe(2);
    expect(() => store.raw()).toThrow('database is locked');
  });
});

describe('MetricBuffer', () => {
  it('keeps points while the database is locked and writes them in order later; nothing is lost', () => {
    const written: number[] = [];
    let locked = true;
    const buffer = createMetricBuffer<number>({ write: (_run, points) => (locked ? (() => { throw busy(); })() : void written.push(...points)) });
    buffer.append(1, [1, 2]);
    buffer.append(1, [3]);
    expect(buffer.pending()).toBe(3);
    expect(buffer.deferred).toBe(2);
    locked = false;
    buffer.append(1, [4]);
    expect(written).toEqual([1, 2, 3, 4]);
    expect(buffer.pending()).toBe(0);
  });

  it('a full buffer waits for the lock instead of growing; other errors are not swallowed', () => {
    let tries = 0;
    const buffer = createMetricBuffer<number>({ maxPending: 2, write: () => void (++tries < 3 && (() => { throw busy(); })()), retry: { sleep: () => undefined } });
    buffer.append(1, [1]);
    buffer.append(1, [2, 3]); // over maxPending: retries until written
    expect(buffer.pending()).toBe(0);
    const failing = createMetricBuffer<number>({ write: () => { throw new Error('no such run'); } });
    expect(() => failing.append(1, [1])).toThrow('no such run');
  });
});

describe('chunked writes', () => {
  const table = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x INTEGER)');
    return db;
  };
  const insert = (db: Database.Database, x: number) => () => void db.prepare('INSERT INTO t VALUES (?)').run(x);

  it('commit whenever a transaction reached targetMs, and at each commit marker', () => {
    const db = table();
    const stats = runChunked(db, [insert(db, 1), insert(db, 2), 'commit', insert(db, 3)], { targetMs: 1e9, quietPauseMs: 0 });
    expect(stats.transactions).toBe(2);
    const each = runChunked(db, [insert(db, 4), insert(db, 5), insert(db, 6)], { targetMs: 0, quietPauseMs: 0 });
    expect(each.transactions).toBe(3);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(6);
  });

  it('a failing step rolls back its own transaction only; inside a caller’s transaction it is all one', () => {
    const db = table();
    expect(() => runChunked(db, [insert(db, 1), 'commit', insert(db, 2), () => { throw new Error('step 3'); }], { quietPauseMs: 0 })).toThrow('step 3');
    expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
    expect(db.inTransaction).toBe(false);
    expect(() => db.transaction(() => runChunked(db, [insert(db, 7), 'commit', () => { throw new Error('inner'); }]))()).toThrow('inner');
    expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
  });
});

describe('knowledge bases saved in chunks', () => {
  it('a KB whose save never finished is hidden, refused by name, and removed once its process is gone', () => {
    const { dir, cleanup } = tempDir();
    const file = path.join(dir, 'kb.db');
    try {
      const db = openDatabase(file);
      const run = db.runs.create({ role: 'teacher', config: {}, seed: 1 }).id;
      const big = db.knowledgeBases.save(makeKb(200_000), undefined, { teacherRunId: run });
      expect(db.knowledgeBases.load(big.id).size).toBe(200_000);
      const cut = db.knowledgeBases.save(makeKb(70_000), undefined, { teacherRunId: run });
      // What a save killed before its last transaction leaves: chunks, and a header still marked as being saved.
      const raw = new Database(file);
      raw.prepare(`UPDATE knowledge_bases SET size = 0, stats = json('{"savingByPid": 999999999}') WHERE id = ?`).run(cut.id);
      raw.close();
      expect(db.knowledgeBases.list().map((k) => k.id)).toEqual([big.id]);
      expect(() => db.knowledgeBases.load(cut.id)).toThrow(`knowledge_bases id ${cut.id} is incomplete: process 999999999 stopped while saving it`);
      expect(db.knowledgeBases.deleteIncomplete(() => false)).toEqual([cut.id]);
      const check = new Database(file, { readonly: true });
      expect(check.prepare('SELECT count(*) FROM knowledge_base_chunks WHERE kb_id = ?').pluck().get(cut.id)).toBe(0);
      check.close();
      db.close();
    } finally {
      cleanup();
    }
  });
});

describe('lockTolerantStore', () => {
  it('buffers metrics, retries other writes, and flushes before a checkpoint', () => {
    const log: string[] = [];
    let locked = true;
    const store = {
      appendMetrics: (_run: number, points: readonly number[]) => {
        if (locked) throw busy();
        log.push(`metrics ${points.join(',')}`);
      },
      saveCheckpoint: (_run: number, step: number) => void log.push(`checkpoint ${step}`),
    };
    const tolerant = lockTolerantStore(store, { flushBefore: ['saveCheckpoint'], retry: { sleep: () => void (locked = false) } });
    tolerant.appendMetrics(1, [1, 2]);
    expect(log).toEqual([]);
    tolerant.saveCheckpoint(1, 2);
    expect(log).toEqual(['metrics 1,2', 'checkpoint 2']);
  });
});
