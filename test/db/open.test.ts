import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_ID, DatabaseOpenError, SCHEMA_VERSION, defaultDatabasePath, openDatabase } from '../../db/index.ts';
import { MIGRATIONS, migrate } from '../../db/migrations.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const TABLES = ['checkpoints', 'evaluations', 'experiments', 'knowledge_base_chunks', 'knowledge_bases', 'metric_blocks', 'metric_series', 'metrics', 'models', 'replays', 'runs'];

function tablesOf(file: string): string[] {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
  } finally {
    raw.close();
  }
}

/** The bytes of the file and of any -wal/-shm sibling that exists. */
function snapshot(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) if (fs.existsSync(f)) out[path.basename(f)] = fs.readFileSync(f).toString('base64');
  return out;
}

describe('openDatabase', () => {
  it('creates the schema in a new file (in a new folder), with WAL, foreign keys, NORMAL sync and a 5 s busy timeout', () => {
    const file = path.join(dir, 'nested', 'studio.db');
    const db = openDatabase(file);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    expect(db.file).toBe(file);
    expect(db.settings()).toEqual({ journalMode: 'wal', foreignKeys: true, synchronous: 'normal', busyTimeoutMs: 5000 });
    db.close();
    expect(tablesOf(file)).toEqual(TABLES);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('re-opening is a no-op for the schema and keeps the data', () => {
    const file = path.join(dir, 'studio.db');
    const first = openDatabase(file);
    first.experiments.create({ name: 'kept', spec: {}, specVersion: 1 });
    first.close();
    const schema = () => {
      const raw = new Database(file, { readonly: true });
      const rows = raw.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
      raw.close();
      return rows;
    };
    const before = schema();
    const second = openDatabase(file);
    expect(second.schemaVersion).toBe(SCHEMA_VERSION);
    expect(second.experiments.list().map((e) => e.name)).toEqual(['kept']);
    second.close();
    expect(schema()).toEqual(before);
  });

  it('runs only the missing migrations, in order, each once', () => {
    const raw = new Database(':memory:');
    const log: number[] = [];
    const steps = [
      { description: 'a', up: 'CREATE TABLE a (x INTEGER)' },
      { description: 'b', up: () => void log.push(2) },
      { description: 'c', up: 'CREATE TABLE c (y INTEGER)' },
    ];
    expect(migrate(raw, steps.slice(0, 2))).toEqual({ from: 0, to: 2 });
    expect(migrate(raw, steps)).toEqual({ from: 2, to: 3 });
    expect(migrate(raw, steps)).toEqual({ from: 3, to: 3 });
    expect(log).toEqual([2]);
    expect(raw.pragma('user_version', { simple: true })).toBe(3);
    raw.close();
  });

  it('a failing migration rolls back entirely and names itself', () => {
    const raw = new Database(':memory:');
    const steps = [
      { description: 'fine', up: 'CREATE TABLE a (x INTEGER)' },
      { description: 'broken', up: 'CREATE TABLE oops (' },
    ];
    expect(() => migrate(raw, steps)).toThrow(/migration 2 \(broken\) failed/);
    expect(raw.pragma('user_version', { simple: true })).toBe(0);
    expect(raw.prepare(`SELECT COUNT(*) FROM sqlite_schema`).pluck().get()).toBe(0);
    raw.close();
  });

  it('refuses a database from a newer version, naming the file and both versions, and leaves it byte-identical', () => {
    const file = path.join(dir, 'newer.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (42);');
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = snapshot(file);
    let error: unknown;
    try {
      openDatabase(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect((error as DatabaseOpenError).reason).toBe('newer-version');
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain('newer version of Distill Studio');
    expect(message).toContain(`database version ${SCHEMA_VERSION + 1}`);
    expect(message).toContain(`reads up to ${SCHEMA_VERSION}`);
    expect(snapshot(file)).toEqual(before);
    expect(() => openDatabase(file, { readonly: true })).toThrow(/newer version of Distill Studio/);
    expect(snapshot(file)).toEqual(before);
  });

  it('reports a garbage file as not a database or corrupt, and never rewrites it', () => {
    const file = path.join(dir, 'garbage.db');
    const bytes = Buffer.alloc(8192);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    fs.writeFileSync(file, bytes);
    for (const readonly of [false, true]) {
      let error: unknown;
      try {
        openDatabase(file, { readonly });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DatabaseOpenError);
      expect((error as Error).message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a Distill Studio database or is corrupt`));
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(['garbage.db']);
    }
  });

  it('reports a short text file as not a database', () => {
    const file = path.join(dir, 'notes.db');
    fs.writeFileSync(file, 'just some notes, not SQLite at all\n'.repeat(40));
    const before = fs.readFileSync(file);
    expect(() => openDatabase(file)).toThrow(/is not a Distill Studio database or is corrupt/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it("refuses another application's SQLite database and leaves it byte-identical", () => {
    const file = path.join(dir, 'other.db');
    const raw = new Database(file);
    raw.exec(`CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada');`);
    raw.close();
    const before = snapshot(file);
    expect(() => openDatabase(file)).toThrow(/is not a Distill Studio database or is corrupt \(it is an SQLite database of another application/);
    expect(snapshot(file)).toEqual(before);
  });

  it('accepts an empty file as a new database', () => {
    const file = path.join(dir, 'empty.db');
    fs.writeFileSync(file, '');
    const db = openDatabase(file);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('opens read-only without writing, and refuses writes', () => {
    const file = path.join(dir, 'studio.db');
    const rw = openDatabase(file);
    rw.experiments.create({ name: 'e', spec: {}, specVersion: 1 });
    rw.close();
    const before = fs.readFileSync(file);
    const ro = openDatabase(file, { readonly: true });
    expect(ro.readonly).toBe(true);
    expect(ro.experiments.list()).toHaveLength(1);
    expect(() => ro.experiments.create({ name: 'f', spec: {}, specVersion: 1 })).toThrow(/readonly/i);
    ro.close();
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(() => openDatabase(path.join(dir, 'absent.db'), { readonly: true })).toThrow(/no such database file/);
    expect(fs.existsSync(path.join(dir, 'absent.db'))).toBe(false);
  });

  it('refuses to open an older schema read-only', () => {
    const file = path.join(dir, 'old.db');
    const raw = new Database(file);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.close();
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    expect(() => openDatabase(file, { readonly: true })).toThrow(/open it once read-write to upgrade it/);
  });

  it('works in memory, and two connections to one file see each other', () => {
    const mem = openDatabase(':memory:');
    expect(mem.schemaVersion).toBe(SCHEMA_VERSION);
    expect(mem.settings().foreignKeys).toBe(true);
    mem.close();
    mem.close(); // closing twice is harmless

    const file = path.join(dir, 'shared.db');
    const a = openDatabase(file);
    const b = openDatabase(file);
    const run = a.runs.create({ role: 'teacher', config: {}, seed: 3 });
    expect(b.runs.get(run.id).seed).toBe(3);
    a.close();
    b.close();
  });

  it('transaction() commits on return and rolls back on throw', () => {
    const db = openDatabase(':memory:');
    db.transaction(() => {
      db.experiments.create({ name: 'kept', spec: {}, specVersion: 1 });
    });
    expect(() =>
      db.transaction(() => {
        db.experiments.create({ name: 'dropped', spec: {}, specVersion: 1 });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(db.experiments.list().map((e) => e.name)).toEqual(['kept']);
    db.close();
  });
});

describe('defaultDatabasePath', () => {
  it('uses DISTILL_DB when set, and creates its folder', () => {
    const file = path.join(dir, 'custom', 'my.db');
    expect(defaultDatabasePath({ DISTILL_DB: file }, 'linux', '/nonexistent-home')).toBe(file);
    expect(fs.existsSync(path.dirname(file))).toBe(true);
  });

  it('follows each platform’s app-data folder', () => {
    const home = path.join(dir, 'home');
    expect(defaultDatabasePath({}, 'linux', home)).toBe(path.join(home, '.config', 'distill-studio', 'studio.db'));
    const xdg = path.join(dir, 'xdg');
    expect(defaultDatabasePath({ XDG_CONFIG_HOME: xdg }, 'linux', home)).toBe(path.join(xdg, 'distill-studio', 'studio.db'));
    expect(defaultDatabasePath({ XDG_CONFIG_HOME: 'relative/ignored' }, 'linux', home)).toBe(path.join(home, '.config', 'distill-studio', 'studio.db'));
    expect(defaultDatabasePath({}, 'darwin', home)).toBe(path.join(home, 'Library', 'Application Support', 'distill-studio', 'studio.db'));
    const appData = path.join(dir, 'AppData', 'Roaming');
    expect(defaultDatabasePath({ APPDATA: appData }, 'win32', home)).toBe(path.join(appData, 'distill-studio', 'studio.db'));
    expect(fs.existsSync(path.join(home, '.config', 'distill-studio'))).toBe(true);
    expect(fs.existsSync(path.join(appData, 'distill-studio'))).toBe(true);
  });
});
