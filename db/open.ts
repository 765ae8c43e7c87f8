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
import { DatabaseOpenError } from './errors.ts';
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
  close(): void;
}

export interface OpenOptions {
  /** Open without writing anything: no migration, no journal-mode change. The file must exist. */
  readonly readonly?: boolean;
}

const IN_MEMORY = ':memory:';

/** Environment variable naming a better-sqlite3 addon to load instead of node_modules' (Electron's ABI differs from Node's). */
export const NATIVE_BINDING_ENV = 'DISTILL_SQLITE_BINDING';

/** SQLite result codes that mean "this is not (or no longer) a readable SQLite database". */
function isNotADatabase(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

export function openDatabase(file: string, options: OpenOptions = {}): StudioDb {
  const readonly = options.readonly === true;
  const memory = file === IN_MEMORY;
  if (memory && readonly) throw new Error('an in-memory database cannot be opened read-only');
  const where = memory ? IN_MEMORY : path.resolve(file);
  if (!memory) {
    if (readonly && !fs.existsSync(where)) throw new DatabaseOpenError('missing', where, `${where}: no such database file`);
    if (fs.existsSync(where) && fs.statSync(where).isDirectory()) throw new DatabaseOpenError('not-distill-studio', where, `${where} is a folder, not a Distill Studio database`);
    if (!readonly) fs.mkdirSync(path.dirname(where), { recursive: true });
  }

  // Inside Electron the addon must be built for Electron's ABI: the launcher builds one beside node_modules and names it here.
  const nativeBinding = process.env[NATIVE_BINDING_ENV] || undefined;
  const db = new Database(where, { readonly, fileMustExist: readonly, timeout: 5000, ...(nativeBinding ? { nativeBinding } : {}) });
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
      if (isNotADatabase(err)) {
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

    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
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
