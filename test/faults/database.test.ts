/**
 * Faults: the studio database. Issue 9 — a database with corrupt pages was written to (refuse it at open and at
 * the first SQLITE_CORRUPT, without writing); importing the same file twice or a database into itself silently
 * duplicated experiments; an imported run stayed `running`; `--db ""`. Plus our own: a truncated or grown file,
 * an import killed by kill -9 (undone by the next import), an import that fails half-way (undone at once), a
 * full disk under a write (ulimit -f), and a missing file opened read-only (never created).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseCorruptError, openDatabase, type StudioDb } from '../../db/index.ts';
import { buildLargeExperiment } from './fixtures.ts';
import { childResult, expectHandled, expectRefused, runChild, startChild, tempDir, waitFor } from './helpers.ts';

const SUITE = 'database';
const { dir, cleanup } = tempDir();
afterAll(cleanup);

/** Copy of a closed database file with one page overwritten by garbage: the root page of `table`, or one of its leaves. */
function corruptCopy(source: string, name: string, table: string, which: 'root' | 'leaf' = 'root'): string {
  const file = path.join(dir, name);
  fs.copyFileSync(source, file);
  const raw = new Database(file, { readonly: true });
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  const query = which === 'root' ? `SELECT rootpage FROM sqlite_schema WHERE name = ?` : `SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 5`;
  const page = raw.prepare(query).pluck().get(table) as number;
  raw.close();
  expect(page).toBeGreaterThan(1);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
  fs.closeSync(fd);
  return file;
}

/** Bytes of a database and its log (what a refusal must leave as it was). */
const dbFiles = (file: string) => [file, `${file}-wal`].filter((f) => fs.existsSync(f));

let base = '';
beforeAll(() => {
  base = path.join(dir, 'base.db');
  buildLargeExperiment(base, { points: 200_000, kbRows: 1000 });
});

describe('a damaged database is refused before anything is written', () => {
  it('corrupt pages are found at open (quick_check) and the file is left byte for byte', () => {
    for (const table of ['runs', 'metrics', 'knowledge_base_chunks']) {
      const file = corruptCopy(base, `corrupt-${table}.db`, table);
      expectRefused(SUITE, `open with a corrupt ${table} page`, () => openDatabase(file), new RegExp(`corrupt-${table}\\.db is a damaged database \\(.*\\); it was left unchanged`), [file]);
      expect(fs.existsSync(`${file}-wal`)).toBe(false);
    }
  });

  it('a truncated or grown file is refused by its header before SQLite reads it', () => {
    const cut = path.join(dir, 'cut.db');
    fs.writeFileSync(cut, fs.readFileSync(base).subarray(0, 4096 * 3 + 100));
    expectRefused(SUITE, 'open a database cut mid-page', () => openDatabase(cut), /cut\.db is a damaged database \(its length, \d+ bytes, is not a whole number of 4096-byte pages/, [cut]);
    const grown = path.join(dir, 'grown.db');
    fs.writeFileSync(grown, Buffer.concat([fs.readFileSync(base), Buffer.alloc(4096 * 2)]));
    expectRefused(SUITE, 'open a database with pages appended', () => openDatabase(grown), /grown\.db is a damaged database \(its header says \d+ pages/, [grown]);
  });

  it('the first SQLITE_CORRUPT while in use turns the connection read-only for good', () => {
    // Opened without the full check (as a large file or a worker is): the damage is met by a read later.
    const file = corruptCopy(base, 'corrupt-later.db', 'metrics', 'leaf');
    const db = openDatabase(file, { check: 'skip' });
    try {
      const runs = db.runs.list();
      const student = runs.find((r) => r.role === 'student')!;
      const err = expectRefused(SUITE, 'read of a corrupt metrics page', () => db.metrics.series(student.id, 'charts/episodic_return'), /corrupt-later\.db is corrupt \(SQLite: .*\); nothing more will be written to it/, dbFiles(file));
      expect(err).toBeInstanceOf(DatabaseCorruptError);
      expectRefused(SUITE, 'a new run after corruption was seen', () => db.runs.create({ role: 'teacher', config: {}, seed: 1 }), /nothing more will be written to it/, dbFiles(file));
      expectRefused(SUITE, 'a metric write after corruption was seen', () => db.metrics.append(student.id, [{ step: 1, key: 'charts/epsilon', value: 1 }]), /nothing more will be written to it/, dbFiles(file));
      expect(db.corruption()).toBeInstanceOf(DatabaseCorruptError);
      // Every other connection of this process to that file is refused too.
      expectRefused(SUITE, 'a second connection after corruption was seen', () => openDatabase(file, { check: 'skip' }), /corrupt-later\.db is corrupt/, dbFiles(file));
      // Reads of intact pages still work (the user can get at what is left).
      expect(db.runs.list().length).toBe(runs.length);
    } finally {
      db.close();
    }
  });

  it('an empty path, and a missing file opened read-only, are errors that create nothing', () => {
    expectRefused(SUITE, 'database path ""', () => openDatabase(''), /the database path is empty/, [dir]);
    const missing = path.join(dir, 'typo', 'studoi.db');
    expectRefused(SUITE, 'read-only open of a mistyped path', () => openDatabase(missing, { readonly: true }), /studoi\.db: no such database file/, [dir]);
    expectRefused(SUITE, 'open of a mistyped path without create', () => openDatabase(missing, { create: false }), /studoi\.db: no such database file/, [dir]);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
  });
});

describe('import refuses duplicates and undoes every partial import', () => {
  let exportFile = '';
  let studio: StudioDb;
  let studioFile = '';
  beforeAll(() => {
    const src = openDatabase(base);
    exportFile = path.join(dir, 'large.dsx');
    src.transfer.exportExperiment(1, exportFile);
    src.close();
    studioFile = path.join(dir, 'studio.db');
    studio = openDatabase(studioFile);
    studio.experiments.create({ name: 'mine', spec: { env: 'CartPole-v1' }, specVersion: 1 });
  });
  afterAll(() => studio.close());

  const counts = (db: StudioDb | Database.Database) => {
    const raw = db as Database.Database;
    const q = (t: string) => ('prepare' in raw ? raw : (null as never)).prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    return Object.fromEntries(['experiments', 'runs', 'metric_series', 'metrics', 'metric_blocks', 'models', 'knowledge_bases', 'knowledge_base_chunks', 'evaluations', 'replays', 'checkpoints'].map((t) => [t, q(t)]));
  };
  const rawCounts = (file: string) => {
    const raw = new Database(file, { readonly: true });
    try {
      return counts(raw);
    } finally {
      raw.close();
    }
  };

  it('a run that was running when exported arrives interrupted, with no owner', async () => {
    const running = path.join(dir, 'running.db');
    buildLargeExperiment(running, { points: 100, kbRows: 10, running: true });
    const file = path.join(dir, 'running.dsx');
    const src = openDatabase(running);
    src.transfer.exportExperiment(1, file);
    src.close();
    await expectHandled(SUITE, 'import of a run exported while running', () => {
      const [id] = studio.transfer.importFile(file);
      const student = studio.runs.list({ experimentId: id }).find((r) => r.role === 'student')!;
      expect(student.status).toBe('interrupted');
      expect(student.ownerPid).toBeNull();
      expect(student.error).toMatch(/it was running when exported \(imported from .*\); resume it to continue/);
      expect(studio.checkpoints.load(student.id)).not.toBeNull();
    });
  });

  it('the same file twice is refused the second time, and nothing changes', () => {
    const [id] = studio.transfer.importFile(exportFile);
    expect(studio.experiments.get(id).name).toBe('large');
    // The imported pages were folded into the database file: no large write-ahead log stays beside it.
    expect(fs.statSync(`${studioFile}-wal`).size).toBeLessThan(1 << 20);
    expectRefused(SUITE, 'import of the same file twice', () => studio.transfer.importFile(exportFile), new RegExp(`large\\.dsx: experiment "large" \\(created .*\\) is already in this database as experiment ${id}; nothing was imported`), [studioFile]);
  });

  it('the open database itself is refused under every spelling', () => {
    const link = path.join(dir, 'studio-link.db');
    fs.symlinkSync(studioFile, link);
    const hard = path.join(dir, 'studio-hard.db');
    fs.linkSync(studioFile, hard);
    for (const [name, file] of [
      ['same path', studioFile],
      ['relative path', path.relative(process.cwd(), studioFile)],
      ['symbolic link', link],
      ['hard link', hard],
    ]) {
      expectRefused(SUITE, `import of the database into itself (${name})`, () => studio.transfer.importFile(file), /cannot import the database into itself/, [studioFile]);
    }
  });

  it('an import that fails half-way is undone at once', () => {
    // A source whose last table breaks a reference: found when that chunk commits, after the others committed.
    const broken = path.join(dir, 'broken.dsx');
    fs.copyFileSync(exportFile, broken);
    const raw = new Database(broken);
    raw.pragma('foreign_keys = OFF');
    raw.prepare('INSERT INTO checkpoints (run_id, step, format, data) VALUES (999, 1, ?, ?)').run('v8', Buffer.alloc(8));
    raw.close();
    const before = rawCounts(studioFile);
    expectRefused(SUITE, 'import of a file whose rows do not fit together', () => studio.transfer.importFile(broken, { allowDuplicate: true }), /broken\.dsx: the file's rows do not fit together \(broken references\); nothing was imported/, []);
    expect(rawCounts(studioFile)).toEqual(before);
    expect(studio.experiments.list().some((e) => JSON.stringify(e.spec).includes('importing'))).toBe(false);
  });

  it('an import killed with kill -9 is undone by the next import; the database stays intact', async () => {
    const target = path.join(dir, 'killed-import.db');
    const t = openDatabase(target);
    t.experiments.create({ name: 'before', spec: {}, specVersion: 1 });
    t.close();
    const before = rawCounts(target);
    // One step per transaction and long gaps: the kill lands mid-import even on a loaded machine.
    const child = startChild({ op: 'import', db: target, file: exportFile, chunking: { targetMs: 1, quietPauseMs: 100 } });
    const reader = new Database(target, { readonly: true });
    const marker = reader.prepare(`SELECT count(*) FROM experiments WHERE json_extract(spec, '$.importing') IS NOT NULL`).pluck();
    const series = reader.prepare('SELECT count(*) FROM metrics').pluck();
    try {
      // Killed after the reservation and some metric chunks committed.
      await waitFor(() => (marker.get() as number) > 0 && (series.get() as number) > 20_000, 60_000, 2);
    } finally {
      reader.close();
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await expectHandled(SUITE, 'import killed with kill -9', () => {
      const db = openDatabase(target);
      try {
        expect(db.experiments.list().map((e) => e.name)).toEqual(['before', 'large']); // the partial import is visible, marked
        expect(db.transfer.recoverInterruptedImports()).toEqual([2]);
        expect(rawCounts(target)).toEqual(before);
        const [id] = db.transfer.importFile(exportFile);
        expect(db.runs.list({ experimentId: id }).length).toBe(2);
      } finally {
        db.close();
      }
      const raw = new Database(target, { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      raw.close();
      expect(fs.statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
    });
  });

  it('a full disk under a write fails that write cleanly; the database stays intact', async () => {
    const target = path.join(dir, 'full.db');
    fs.copyFileSync(base, target);
    const before = rawCounts(target);
    const r = runChild({ op: 'append-metrics', db: target, runId: 2, points: 300_000 }, { fileSizeLimitKb: 1024 });
    await expectHandled(SUITE, 'metric write on a full disk (ulimit -f)', () => {
      expect(childResult<{ error?: string }>(r).error).toMatch(/disk is full|disk I\/O error|too large/i);
      const raw = new Database(target);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      const after = rawCounts(target);
      // Whole chunks may have been committed before the disk filled; nothing else changed.
      expect({ ...after, metrics: 0, metric_blocks: 0, metric_series: 0 }).toEqual({ ...before, metrics: 0, metric_blocks: 0, metric_series: 0 });
      expect(after.metrics).toBeGreaterThanOrEqual(before.metrics);
    });
  });
});
