/**
 * Refusing a corrupt database before writing to it.
 *
 * At open (cheap checks only): the file header (https://sqlite.org/fileformat2.html#the_database_header:
 * magic string, page size, a file length that is a whole number of pages and, when the header's page count is
 * valid and no write-ahead log is pending, equal to it), then `PRAGMA quick_check` — over the whole file up to
 * FULL_CHECK_MAX_BYTES (≈ 50 ms at the ~600 MB/s measured here), and over the small tables that every command
 * reads and writes (experiments, runs, …) above that, so that opening a large database stays fast.
 *
 * While in use: every statement of the connection is guarded; the first SQLITE_CORRUPT or SQLITE_NOTADB turns
 * the connection read-only for good (DatabaseCorruptError), so corruption found in a large table that the
 * open check skipped never leads to more writes into the damaged file.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { CORRUPT_ADVICE, DatabaseCorruptError, DatabaseOpenError, isCorruptionError } from './errors.ts';

/** Files up to this size get a full quick_check at open. */
export const FULL_CHECK_MAX_BYTES = 32 * 1024 * 1024;

/** Tables checked at open in a database larger than FULL_CHECK_MAX_BYTES (small, and touched by every command). */
const SMALL_TABLES = ['experiments', 'runs', 'metric_series', 'knowledge_bases', 'evaluations'];

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function corrupt(file: string, problem: string): DatabaseOpenError {
  return new DatabaseOpenError('corrupt', file, `${file} is a damaged database (${problem}); it was left unchanged: ${CORRUPT_ADVICE.replace('FILE', file)}`);
}

/**
 * Checks the 100-byte header and the file length of an existing database file without SQLite. Files that are
 * not SQLite at all are left to the caller (SQLite says SQLITE_NOTADB). Throws DatabaseOpenError('corrupt').
 */
export function checkHeader(file: string): void {
  let size: number;
  const header = Buffer.alloc(100);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return; // missing or unreadable: SQLite reports it in its own words
  }
  try {
    size = fs.fstatSync(fd).size;
    if (size === 0) return; // a new, empty file
    if (fs.readSync(fd, header, 0, 100, 0) < 100) {
      if (header.subarray(0, Math.min(size, 16)).equals(MAGIC.subarray(0, Math.min(size, 16)))) throw corrupt(file, `only ${size} bytes, shorter than an SQLite header`);
      return;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (!header.subarray(0, 16).equals(MAGIC)) return; // not SQLite: refused later as "not a Distill Studio database"
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(file, `its header gives a page size of ${raw}`);
  if (size % pageSize !== 0) throw corrupt(file, `its length, ${size} bytes, is not a whole number of ${pageSize}-byte pages: the file was truncated or appended to`);
  const changeCounter = header.readUInt32BE(24);
  const pageCount = header.readUInt32BE(28);
  const validFor = header.readUInt32BE(92);
  let walPending = false;
  try {
    walPending = fs.statSync(`${file}-wal`).size > 0;
  } catch {
    /* no write-ahead log */
  }
  // The in-header size is only meaningful when "version-valid-for" matches the change counter (fileformat2 §1.3.7).
  if (!walPending && pageCount > 0 && changeCounter === validFor && pageCount * pageSize !== size) {
    throw corrupt(file, `its header says ${pageCount} pages of ${pageSize} bytes (${pageCount * pageSize} bytes) but the file has ${size} bytes`);
  }
}

/** `PRAGMA quick_check` of the whole file, or of the small tables when the file is large. Throws DatabaseOpenError('corrupt'). */
export function quickCheck(db: Database.Database, file: string, sizeBytes: number, mode: 'auto' | 'full'): void {
  const targets = mode === 'full' || sizeBytes <= FULL_CHECK_MAX_BYTES ? [null] : SMALL_TABLES;
  const present = new Set(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[]);
  for (const table of targets) {
    if (table !== null && !present.has(table)) continue;
    let result: string[];
    try {
      result = (db.prepare(table === null ? 'PRAGMA quick_check(20)' : `PRAGMA quick_check("${table}")`).pluck().all() as string[]).map(String);
    } catch (err) {
      if (isCorruptionError(err)) throw corrupt(file, `SQLite: ${(err as Error).message}`);
      throw err;
    }
    if (result.length !== 1 || result[0] !== 'ok') {
      const first = result[0].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('***')).slice(0, 3).join('; ');
      throw corrupt(file, `quick_check${table ? ` of table ${table}` : ''} found problems, first: ${first.length > 300 ? `${first.slice(0, 300)}…` : first}`);
    }
  }
}

type Stmt = Database.Statement<unknown>;

/**
 * A statement that turns the connection read-only at the first corruption error. Chaining methods (pluck,
 * raw, …) return the guard, so prepared statements are used exactly as before.
 */
class GuardedStatement {
  /** Whether the statement may write (fixed at prepare; read once instead of per call). */
  private readonly writes: boolean;
  constructor(
    private readonly inner: Stmt,
    private readonly guard: CorruptionGuard,
  ) {
    this.writes = !inner.readonly;
  }
  /** Refuses a write after corruption was seen, and records corruption met by this call. */
  private call<T>(fn: () => T): T {
    if (this.writes) this.guard.refuseWrites();
    try {
      return fn();
    } catch (err) {
      throw this.guard.seen(err);
    }
  }
  get source(): string {
    return this.inner.source;
  }
  get reader(): boolean {
    return this.inner.reader;
  }
  get readonly(): boolean {
    return this.inner.readonly;
  }
  run(...params: unknown[]) {
    return this.call(() => this.inner.run(...params));
  }
  get(...params: unknown[]) {
    return this.call(() => this.inner.get(...params));
  }
  all(...params: unknown[]) {
    return this.call(() => this.inner.all(...params));
  }
  *iterate(...params: unknown[]) {
    if (this.writes) this.guard.refuseWrites();
    try {
      yield* this.inner.iterate(...params);
    } catch (err) {
      throw this.guard.seen(err);
    }
  }
  pluck(toggle = true) {
    this.inner.pluck(toggle);
    return this;
  }
  raw(toggle = true) {
    this.inner.raw(toggle);
    return this;
  }
  expand(toggle = true) {
    this.inner.expand(toggle);
    return this;
  }
  safeIntegers(toggle = true) {
    this.inner.safeIntegers(toggle);
    return this;
  }
  bind(...params: unknown[]) {
    this.inner.bind(...params);
    return this;
  }
  columns() {
    return this.inner.columns();
  }
}

/**
 * Files found corrupt by any connection of this thread: every other connection to the same file refuses its
 * writes too (a worker thread has its own registry; its runs fail with the message, which reaches the host).
 */
const corruptFiles = new Map<string, DatabaseCorruptError>();

/** The corruption a connection of this thread met in `file`, if any. */
export function knownCorruption(file: string): DatabaseCorruptError | null {
  return corruptFiles.get(file) ?? null;
}

class CorruptionGuard {
  constructor(readonly file: string) {}
  get error(): DatabaseCorruptError | null {
    return corruptFiles.get(this.file) ?? null;
  }
  /** Records a corruption error (and returns the error to throw). */
  seen(err: unknown): unknown {
    if (!isCorruptionError(err) || this.file === ':memory:') return err;
    if (!corruptFiles.has(this.file)) corruptFiles.set(this.file, err instanceof DatabaseCorruptError ? err : new DatabaseCorruptError(this.file, (err as Error).message));
    return corruptFiles.get(this.file)!;
  }
  refuseWrites(): void {
    const error = corruptFiles.get(this.file);
    if (error) throw error;
  }
}

/** Whether SQL text may write (anything but SELECT/EXPLAIN/read-only PRAGMA). */
function mayWrite(sql: string): boolean {
  const s = sql.trim().toUpperCase();
  if (s.startsWith('SELECT') || s.startsWith('EXPLAIN')) return false;
  if (s.startsWith('PRAGMA')) {
    // Settings of the connection itself change nothing in the file.
    if (/^PRAGMA\s+(BUSY_TIMEOUT|FOREIGN_KEYS|DEFER_FOREIGN_KEYS|CACHE_SIZE|QUERY_ONLY|TEMP_STORE)\b/.test(s)) return false;
    return s.includes('=') || /CHECKPOINT|OPTIMIZE|INCREMENTAL_VACUUM/.test(s);
  }
  return true;
}

/**
 * Installs the guard on a connection: prepare, exec, pragma and transaction go through it. Returns a probe
 * that says whether corruption was seen (and the error).
 */
export function guardCorruption(db: Database.Database, file: string): () => DatabaseCorruptError | null {
  const guard = new CorruptionGuard(file);
  const prepare = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  const pragma = db.pragma.bind(db);
  const transaction = db.transaction.bind(db);
  const patched = db as unknown as Record<string, unknown>;
  patched.prepare = (source: string) => {
    try {
      return new GuardedStatement(prepare(source), guard);
    } catch (err) {
      throw guard.seen(err);
    }
  };
  patched.exec = (source: string) => {
    if (mayWrite(source)) guard.refuseWrites();
    try {
      exec(source);
      return db;
    } catch (err) {
      throw guard.seen(err);
    }
  };
  patched.pragma = (source: string, options?: Database.Options & { simple?: boolean }) => {
    if (mayWrite(`PRAGMA ${source}`)) guard.refuseWrites();
    try {
      return pragma(source, options);
    } catch (err) {
      throw guard.seen(err);
    }
  };
  patched.transaction = (fn: (...args: never[]) => unknown) => {
    const t = transaction(fn);
    const wrap =
      (variant: (...args: never[]) => unknown) =>
      (...args: never[]) => {
        // Writes inside are refused statement by statement; a read-only transaction still works.
        try {
          return variant(...args);
        } catch (err) {
          throw guard.seen(err);
        }
      };
    return Object.assign(wrap(t), { deferred: wrap(t.deferred), immediate: wrap(t.immediate), exclusive: wrap(t.exclusive) });
  };
  return () => guard.error;
}
