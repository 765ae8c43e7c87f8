/**
 * Opening the studio database: one SQLite file (WAL, foreign keys on) per user, one connection per thread or
 * process (better-sqlite3 is synchronous; WAL lets readers and one writer work at once, busy_timeout makes a
 * second writer wait instead of failing).
 *
 * A file is only ever changed when it is a Distill Studio database this version can read (or a new, empty
 * file): a database written by a newer version, another application's SQLite file, or a file that is not
 * SQLite at all is refused with a DatabaseOpenError and left byte for byte as it was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseOpenError, isCorruptionError, type DatabaseCorruptError } from './errors.ts';
import { checkHeader, guardCorruption, knownCorruption, quickCheck } from './integrity.ts';
import { APPLICATION_ID, SCHEMA_VERSION, migrate } from './migrations.ts';
import { createCheckpointsRepository, type CheckpointsRepository } from './repositories/checkpoints.ts';
import { createExperimentsRepository, type ExperimentsRepository } from './repositories/experiments.ts';
import { createEvaluationsRepository, type EvaluationsRepository } from './repositories/evaluations.ts';
import { createKnowledgeBasesRepository, type KnowledgeBasesRepository } from './repositories/knowledge-bases.ts';
import { createMetricsRepository, type MetricsRepository } from './repositories/metrics.ts';
import { createModelsRepository, type ModelsRepository } from './repositories/models.ts';
import { createReplaysRepository, type ReplaysRepository } from './repositories/replays.ts';
import { createRunsRepository, type RunsRepository } from './repositories/runs.ts';
import { createTransferRepository, type TransferRepository } from './transfer.ts';

export interface StudioDb {
  /** The file as opened (":memory:" for an in-memory database). */
  readonly file: string;
  readonly readonly: boolean;
  /** `PRAGMA user_version`: equal to SCHEMA_VERSION once open. */
  readonly schemaVersion: number;
  readonly experiments: ExperimentsRepository;
  readonly runs: RunsRepository;
  readonly metrics: MetricsRepository;
  readonly models: ModelsRepository;
  readonly knowledgeBases: KnowledgeBasesRepository;
  readonly evaluations: EvaluationsRepository;
  readonly replays: ReplaysRepository;
  /** Experiment export/import as SQLite files. */
  readonly transfer: TransferRepository;
  readonly checkpoints: CheckpointsRepository;
  /**
   * Runs `fn` in one transaction (committed when it returns, rolled back when it throws). Nested calls, and
   * repository methods called inside, become savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T;
  /** The connection's settings, for diagnostics and tests. */
  settings(): { journalMode: string; foreignKeys: boolean; synchronous: 'off' | 'normal' | 'full' | 'extra'; busyTimeoutMs: number };
  /**
   * Runs `fn` with another busy timeout (ms) and restores the previous one: a first, short try of a write that
   * can wait (buffered metrics) instead of blocking a training loop for the full 5 s.
   */
  withBusyTimeout<T>(ms: number, fn: () => T): T;
  /** The corruption this connection met, if any; from then on it refuses every write (see db/integrity.ts). */
  corruption(): DatabaseCorruptError | null;
  close(): void;
}

export interface OpenOptions {
  /** Open without writing anything: no migration, no journal-mode change. The file must exist. */
  readonly readonly?: boolean;
  /**
   * Integrity check at open (db/integrity.ts): 'auto' (default) a quick_check of the whole file when it is
   * small, of the small tables otherwise; 'full' the whole file whatever its size; 'skip' only the header
   * (for a second connection of a process that has just checked the file, e.g. a job worker).
   */
  readonly check?: 'auto' | 'full' | 'skip';
  /** Create the file when it does not exist (default true for read-write opens). */
  readonly create?: boolean;
}

const IN_MEMORY = ':memory:';

/** The busy timeout of every connection (ms); long writers commit well within it (db/chunked-write.ts). */
export const BUSY_TIMEOUT_MS = 5000;

/** After a checkpoint, the write-ahead log is cut back to this size instead of staying as large as it grew. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Environment variable naming a better-sqlite3 addon to load instead of node_modules' (Electron's ABI differs from Node's). */
export const NATIVE_BINDING_ENV = 'DISTILL_SQLITE_BINDING';

export function openDatabase(file: string, options: OpenOptions = {}): StudioDb {
  const readonly = options.readonly === true;
  if (typeof file !== 'string' || file.trim() === '') throw new DatabaseOpenError('invalid-path', String(file), 'the database path is empty; give a file name (or leave the option out for the default database)');
  const memory = file === IN_MEMORY;
  if (memory && readonly) throw new Error('an in-memory database cannot be opened read-only');
  const where = memory ? IN_MEMORY : path.resolve(file);
  let size = 0;
  if (!memory) {
    const st = fs.statSync(where, { throwIfNoEntry: false });
    if (st === undefined && (readonly || options.create === false)) throw new DatabaseOpenError('missing', where, `${where}: no such database file`);
    if (st?.isDirectory()) throw new DatabaseOpenError('not-distill-studio', where, `${where} is a folder, not a Distill Studio database`);
    if (st !== undefined && !st.isFile()) throw new DatabaseOpenError('not-distill-studio', where, `${where} is not a regular file, not a Distill Studio database`);
    size = st?.size ?? 0;
    const known = knownCorruption(where);
    if (known) throw new DatabaseOpenError('corrupt', where, known.message);
    checkHeader(where);
    if (!readonly) fs.mkdirSync(path.dirname(where), { recursive: true });
  }

  // Inside Electron the addon must be built for Electron's ABI: the launcher builds one beside node_modules and names it here.
  const nativeBinding = process.env[NATIVE_BINDING_ENV] || undefined;
  const db = new Database(where, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS, ...(nativeBinding ? { nativeBinding } : {}) });
  try {
    // Read the header before writing anything (journal_mode = WAL would already rewrite it).
    let version: number;
    let applicationId: number;
    let objects: number;
    try {
      version = db.pragma('user_version', { simple: true }) as number;
      applicationId = db.pragma('application_id', { simple: true }) as number;
      objects = db.prepare('SELECT COUNT(*) FROM sqlite_schema').pluck().get() as number;
    } catch (err) {
      if (isCorruptionError(err)) {
        throw new DatabaseOpenError('not-distill-studio', where, `${where} is not a Distill Studio database or is corrupt (SQLite: ${(err as Error).message}); it was left unchanged`);
      }
      throw err;
    }
    if (version > SCHEMA_VERSION) {
      throw new DatabaseOpenError(
        'newer-version',
        where,
        `${where} was written by a newer version of Distill Studio (database version ${version}; this version reads up to ${SCHEMA_VERSION}). ` +
          'Update Distill Studio to open it; the file was left unchanged.',
      );
    }
    if (applicationId !== APPLICATION_ID && (applicationId !== 0 || version !== 0 || objects > 0)) {
      throw new DatabaseOpenError(
        'not-distill-studio',
        where,
        `${where} is not a Distill Studio database or is corrupt (it is an SQLite database of another application: application_id ${applicationId}, ${objects} schema objects); it was left unchanged`,
      );
    }

    // Before anything is written (WAL switch, migration): a damaged file is refused and left as it was.
    if (!memory && objects > 0 && options.check !== 'skip') quickCheck(db, where, size, options.check ?? 'auto');

    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Up to 32 MiB of page cache per connection (allocated as used): downsampled metric reads and KB loads revisit pages.
    db.pragma('cache_size = -32768');
    if (readonly) {
      if (version < SCHEMA_VERSION) {
        throw new DatabaseOpenError('needs-upgrade', where, `${where} has database version ${version}, older than this version's ${SCHEMA_VERSION}: open it once read-write to upgrade it`);
      }
    } else {
      if (!memory) {
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new Error(`${where}: could not switch to WAL journal mode (got ${String(mode)})`);
      }
      db.pragma('synchronous = NORMAL');
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      // migrate() re-reads the version inside its IMMEDIATE transaction, so a concurrent opener is harmless.
      if (version < SCHEMA_VERSION) migrate(db);
    }
    return studioDb(db, where, readonly);
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Write transactions start IMMEDIATE: a deferred one that reads first and then writes fails at once with
 * SQLITE_BUSY ("database is locked", the busy timeout does not apply) when another connection — another
 * worker — committed in between. Reads that need one snapshot use `.deferred()` explicitly.
 */
function immediateByDefault(db: Database.Database): void {
  const make = db.transaction.bind(db);
  (db as { transaction: unknown }).transaction = (fn: (...args: never[]) => unknown) => {
    const t = make(fn);
    return Object.assign((...args: never[]) => t.immediate(...args), { deferred: t.deferred, immediate: t.immediate, exclusive: t.exclusive });
  };
}

function studioDb(db: Database.Database, file: string, readonly: boolean): StudioDb {
  const corruption = guardCorruption(db, file);
  if (!readonly) immediateByDefault(db);
  const transaction = <T>(fn: () => T): T => db.transaction(fn)();
  return {
    file,
    readonly,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    experiments: createExperimentsRepository(db),
    runs: createRunsRepository(db),
    metrics: createMetricsRepository(db),
    models: createModelsRepository(db),
    knowledgeBases: createKnowledgeBasesRepository(db),
    evaluations: createEvaluationsRepository(db),
    replays: createReplaysRepository(db),
    checkpoints: createCheckpointsRepository(db),
    transfer: createTransferRepository(db, file),
    transaction,
    settings: () => ({
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      foreignKeys: db.pragma('foreign_keys', { simple: true }) === 1,
      synchronous: (['off', 'normal', 'full', 'extra'] as const)[db.pragma('synchronous', { simple: true }) as number],
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    }),
    withBusyTimeout: (ms, fn) => {
      const previous = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
      try {
        return fn();
      } finally {
        db.pragma(`busy_timeout = ${previous}`);
      }
    },
    corruption,
    close: () => {
      if (db.open) db.close();
    },
  };
}

/**
 * Where the studio keeps its database: $DISTILL_DB when set, else `distill-studio/studio.db` in the platform's
 * per-user app-data folder (Linux $XDG_CONFIG_HOME or ~/.config, macOS ~/Library/Application Support,
 * Windows %APPDATA%), the folder Electron's app.getPath('userData') uses. Creates the folder.
 */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  let file: string;
  if (env.DISTILL_DB) file = path.resolve(env.DISTILL_DB);
  else {
    let base: string;
    if (platform === 'win32') base = env.APPDATA || path.join(home, 'AppData', 'Roaming');
    else if (platform === 'darwin') base = path.join(home, 'Library', 'Application Support');
    else base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
    file = path.join(base, 'distill-studio', 'studio.db');
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}
