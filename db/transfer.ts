/**
 * Export and import of experiments as SQLite files of their own (the studio's schema, holding one or more
 * experiments with everything they own: runs, metrics, models, knowledge bases, evaluations, replays,
 * checkpoints).
 *
 * Export copies the experiment's rows, ids unchanged, into a fresh database written as a temporary file with a
 * recognisable name beside the target (rollback journal, never a write-ahead log, so nothing large is left
 * beside it) and published in one step. It reads the studio database from a connection of its own in one read
 * transaction: a consistent snapshot that takes no lock from training runs. It never replaces an existing file
 * unless asked (`force`), never the open database whatever the spelling, and leaves no temporary behind on any
 * failure; a temporary left by a killed export is removed by the next export into that folder.
 *
 * Import checks the file first (a Distill Studio database, not from a newer version, not damaged, not this
 * database, not already imported), then copies its rows in short transactions (db/chunked-write.ts) so that
 * training runs writing to the same database keep going. Ids are shifted past this database's largest; the
 * first transaction takes the largest id of every table, so that rows other processes insert meanwhile land
 * above the imported range and the range belongs to the import alone. Until the last transaction the imported
 * experiments carry `importing` in their spec (process, ranges) and imported runs hold no links to models and
 * knowledge bases; a failure deletes every imported row again, and an import whose process was killed is
 * undone by recoverInterruptedImports (run at every import and when the studio starts). Imported runs never
 * arrive `running`: they become `interrupted` (resumable from their checkpoint) and have no owner process.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { canonicalPath, checkOutputFile, prepareOutput, processIsAlive, publishFile, removeQuietly, sameFile, tempPathFor, writeFailure } from '../core/util/safe-output.ts';
import { newLockWaitStats, type LockWaitStats } from './busy-retry.ts';
import { runChunked, runChunkedAsync, type ChunkStep, type ChunkedWriteOptions, type ChunkedWriteStats } from './chunked-write.ts';
import { DatabaseOpenError } from './errors.ts';
import { guardCorruption } from './integrity.ts';
import { migrate } from './migrations.ts';
import { BUSY_TIMEOUT_MS, openDatabase } from './open.ts';

/** Tables in copy order, with the table each foreign-key column points to (ids are shifted by that table's offset). */
const TABLES: readonly { name: string; refs: Record<string, string> }[] = [
  { name: 'experiments', refs: { id: 'experiments' } },
  { name: 'runs', refs: { id: 'runs', experiment_id: 'experiments', teacher_run_id: 'runs', teacher_model_id: 'models', kb_id: 'knowledge_bases' } },
  { name: 'metric_series', refs: { id: 'metric_series', run_id: 'runs' } },
  { name: 'metrics', refs: { series_id: 'metric_series' } },
  { name: 'metric_blocks', refs: { series_id: 'metric_series' } },
  { name: 'models', refs: { id: 'models', run_id: 'runs' } },
  { name: 'knowledge_bases', refs: { id: 'knowledge_bases', teacher_run_id: 'runs', teacher_model_id: 'models' } },
  { name: 'knowledge_base_chunks', refs: { kb_id: 'knowledge_bases' } },
  { name: 'evaluations', refs: { id: 'evaluations', run_id: 'runs', model_id: 'models' } },
  { name: 'replays', refs: { id: 'replays', run_id: 'runs', evaluation_id: 'evaluations' } },
  { name: 'checkpoints', refs: { run_id: 'runs' } },
];
const TABLE = Object.fromEntries(TABLES.map((t) => [t.name, t]));
/** Tables with their own integer id: the ranges an import reserves. */
const ID_TABLES = TABLES.filter((t) => 'id' in t.refs).map((t) => t.name);

/** Rows of each table that belong to experiment :e (in the schema `s`). */
function exportFilter(table: string, s: string): string {
  const runs = `SELECT id FROM ${s}.runs WHERE experiment_id = :e`;
  switch (table) {
    case 'experiments':
      return 'id = :e';
    case 'runs':
      return 'experiment_id = :e';
    case 'metric_series':
    case 'evaluations':
    case 'replays':
    case 'checkpoints':
      return `run_id IN (${runs})`;
    case 'metrics':
    case 'metric_blocks':
      return `series_id IN (SELECT id FROM ${s}.metric_series WHERE run_id IN (${runs}))`;
    case 'models':
      return `run_id IN (${runs}) OR id IN (SELECT teacher_model_id FROM ${s}.runs WHERE experiment_id = :e)`;
    case 'knowledge_bases':
      return `teacher_run_id IN (${runs}) OR id IN (SELECT kb_id FROM ${s}.runs WHERE experiment_id = :e)`;
    case 'knowledge_base_chunks':
      return `kb_id IN (SELECT id FROM ${s}.knowledge_bases WHERE teacher_run_id IN (${runs}) OR id IN (SELECT kb_id FROM ${s}.runs WHERE experiment_id = :e))`;
    default:
      throw new Error(`no export filter for ${table}`);
  }
}

function columns(db: Database.Database, schema: string, table: string): string[] {
  return (db.pragma(`${schema}.table_info(${table})`) as { name: string }[]).map((c) => c.name);
}

/**
 * Links an exported row may hold to rows outside the experiment (a teacher model reused from another
 * experiment keeps its run_id there): written as NULL unless the target is exported too.
 */
function exportGuards(table: string, s: string): Record<string, string> {
  const runs = `SELECT id FROM ${s}.runs WHERE experiment_id = :e`;
  const models = `SELECT id FROM ${s}.models WHERE ${exportFilter('models', s)}`;
  const kbs = `SELECT id FROM ${s}.knowledge_bases WHERE ${exportFilter('knowledge_bases', s)}`;
  switch (table) {
    case 'runs':
      return { teacher_run_id: runs, teacher_model_id: models, kb_id: kbs };
    case 'models':
      return { run_id: runs };
    case 'knowledge_bases':
      return { teacher_run_id: runs, teacher_model_id: models };
    case 'evaluations':
      return { model_id: models };
    default:
      return {};
  }
}

interface CopyOptions {
  /** Per-table id offsets (ids and references are shifted by them). */
  readonly offsets?: Record<string, number>;
  /** Columns written as NULL unless the (unshifted) value is in this subquery. */
  readonly guards?: Record<string, string>;
  /** Columns written as this SQL expression (over the source row) instead. */
  readonly overrides?: Record<string, string>;
}

/** INSERT … SELECT with ids shifted by per-table offsets; `where` filters the source rows. */
function copySql(db: Database.Database, from: string, to: string, table: string, where: string, options: CopyOptions = {}): string {
  const t = TABLE[table];
  const offsets = options.offsets ?? {};
  const cols = columns(db, to, table);
  const exprs = cols.map((c) => {
    if (options.overrides?.[c] !== undefined) return options.overrides[c];
    const ref = t.refs[c];
    const value = !ref || !offsets[ref] ? `"${c}"` : `CASE WHEN "${c}" IS NULL THEN NULL ELSE "${c}" + ${offsets[ref]} END`;
    const guard = options.guards?.[c];
    return guard ? `CASE WHEN "${c}" IN (${guard}) THEN ${value} ELSE NULL END` : value;
  });
  const list = cols.map((c) => `"${c}"`).join(', ');
  return `INSERT INTO ${to}.${table} (${list}) SELECT ${exprs.join(', ')} FROM ${from}.${table} WHERE ${where}`;
}

export interface ExportOptions {
  /** Replace an existing file at the target (the user asked: --force or a confirmation). */
  readonly force?: boolean;
}

export interface ImportOptions {
  /** Import even when the file's experiments are already in this database (a second copy). */
  readonly allowDuplicate?: boolean;
  /** Filled with the import's transaction statistics (the longest lock it held, …). */
  readonly stats?: ImportStats;
  /** Chunking of the write (defaults of db/chunked-write.ts). */
  readonly chunking?: Omit<ChunkedWriteOptions, 'onBegin' | 'lockStats'>;
}

export interface ImportStats extends ChunkedWriteStats {
  /** Waits of the importer itself for other writers. */
  lock: LockWaitStats;
}

export interface TransferRepository {
  /**
   * Writes experiment `id` and everything it owns to a new file at `file`; returns row counts per table. An
   * existing file is replaced only with `force`; the open database never.
   */
  exportExperiment(id: number, file: string, options?: ExportOptions): Record<string, number>;
  /** Imports every experiment of `file`; returns the new experiment ids. Nothing stays if anything fails. */
  importFile(file: string, options?: ImportOptions): number[];
  /** importFile for an event loop: the pauses between transactions are timers. */
  importFileAsync(file: string, options?: ImportOptions): Promise<number[]>;
  /** Undoes imports whose process is gone (killed mid-import); returns the experiment ids removed. */
  recoverInterruptedImports(isAlive?: (pid: number) => boolean): number[];
}

interface ImportState {
  /** New ids of the imported experiments, known at the end. */
  ids: number[];
  /** The reserved ranges, once committed (what a failure must delete). */
  ranges: Record<string, [number, number]> | null;
}

/** The marker an experiment's spec carries while it is being imported. */
interface ImportMarker {
  readonly pid: number;
  readonly startedAt: string;
  readonly source: string;
  /** Reserved id range per table, inclusive. */
  readonly ranges: Record<string, [number, number]>;
}

/** Rows per step of a chunked copy or delete of the metric tables (a few ms each). */
const ROWS_PER_STEP = 5000;

/** SQLite error of a failed foreign-key check at commit: the source's rows do not fit together. */
function explainImportError(source: string, err: unknown): Error {
  const e = err as Error & { code?: string };
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new Error(`${source}: the file's rows do not fit together (broken references); nothing was imported`);
  if (e.code === 'SQLITE_FULL') return new Error(`${source}: the studio database's disk is full; nothing was imported`);
  return new Error(`${source}: ${e.message}; nothing was imported`, { cause: err });
}

export function createTransferRepository(db: Database.Database, ownFile: string): TransferRepository {
  const memory = ownFile === ':memory:';

  /** A connection of its own for a long write (so a chunked import never interleaves with the caller's use). */
  const writerConnection = (): { conn: Database.Database; close: () => void } => {
    if (memory) return { conn: db, close: () => undefined };
    const conn = new Database(ownFile, { timeout: BUSY_TIMEOUT_MS });
    try {
      conn.pragma('foreign_keys = ON');
      conn.pragma('journal_size_limit = 67108864');
      guardCorruption(conn, ownFile);
    } catch (err) {
      conn.close();
      throw err;
    }
    return { conn, close: () => conn.close() };
  };

  /** Keyset steps over a WITHOUT ROWID table of one parent (metrics, metric_blocks): `fn(lo, hi)` per ≤ ROWS_PER_STEP rows. */
  function* keysetSteps(read: Database.Database, schema: string, table: string, parentColumn: string, key: string, parent: number, fn: (lo: number, hi: number) => void): Generator<ChunkStep> {
    const nth = read.prepare(`SELECT "${key}" FROM ${schema}.${table} WHERE ${parentColumn} = ? AND "${key}" >= ? ORDER BY "${key}" LIMIT 1 OFFSET ${ROWS_PER_STEP - 1}`).pluck();
    let lo = -1;
    for (;;) {
      const hi = nth.get(parent, lo) as number | undefined;
      const upper = hi ?? Number.MAX_SAFE_INTEGER;
      const from = lo;
      yield () => fn(from, upper);
      if (hi === undefined) return;
      lo = hi + 1;
    }
  }

  /** Steps that delete everything in the reserved ranges, children first, in short transactions. */
  function* deleteSteps(conn: Database.Database, ranges: Record<string, [number, number]>): Generator<ChunkStep> {
    const r = (t: string) => ranges[t] ?? [1, 0];
    const [slo, shi] = r('metric_series');
    const seriesIds = conn.prepare('SELECT id FROM metric_series WHERE id BETWEEN ? AND ? ORDER BY id').pluck().all(slo, shi) as number[];
    for (const [table, key] of [['metrics', 'step'], ['metric_blocks', 'block']] as const) {
      const del = conn.prepare(`DELETE FROM ${table} WHERE series_id = ? AND "${key}" BETWEEN ? AND ?`);
      for (const s of seriesIds) yield* keysetSteps(conn, 'main', table, 'series_id', key, s, (lo, hi) => void del.run(s, lo, hi));
    }
    const [klo, khi] = r('knowledge_bases');
    const chunkKeys = conn.prepare('SELECT kb_id, column_name, chunk_index FROM knowledge_base_chunks WHERE kb_id BETWEEN ? AND ?').raw().all(klo, khi) as [number, string, number][];
    const delChunk = conn.prepare('DELETE FROM knowledge_base_chunks WHERE kb_id = ? AND column_name = ? AND chunk_index = ?');
    for (const [k, c, i] of chunkKeys) yield () => void delChunk.run(k, c, i);
    const [rlo, rhi] = r('runs');
    const delCheckpoint = conn.prepare('DELETE FROM checkpoints WHERE run_id = ?');
    for (let id = rlo; id <= rhi; id++) yield () => void delCheckpoint.run(id);
    for (const table of ['replays', 'evaluations', 'models', 'metric_series', 'knowledge_bases', 'runs', 'experiments']) {
      const [lo, hi] = r(table);
      const del = conn.prepare(`DELETE FROM ${table} WHERE id BETWEEN ? AND ?`);
      // Blob tables row by row; the small ones a thousand ids at a time.
      const step = table === 'models' || table === 'replays' ? 1 : 1000;
      for (let a = lo; a <= hi; a += step) {
        const b = Math.min(hi, a + step - 1);
        yield () => void del.run(a, b);
      }
    }
  }

  const markers = (conn: Database.Database): { id: number; marker: ImportMarker }[] =>
    (conn.prepare(`SELECT id, json_extract(spec, '$.importing') AS m FROM experiments WHERE json_extract(spec, '$.importing.pid') IS NOT NULL`).all() as { id: number; m: string }[]).map((r) => ({
      id: r.id,
      marker: JSON.parse(r.m) as ImportMarker,
    }));

  const recoverInterruptedImports = (isAlive: (pid: number) => boolean = processIsAlive): number[] => {
    const { conn, close } = writerConnection();
    try {
      const removed: number[] = [];
      for (const { id, marker } of markers(conn)) {
        if (marker.pid === process.pid || isAlive(marker.pid)) continue;
        // The ranges were reserved in the same transaction that wrote this marker: they hold the import's rows only.
        if (conn.prepare('SELECT 1 FROM experiments WHERE id = ?').pluck().get(id) === undefined) continue;
        runChunked(conn, deleteSteps(conn, marker.ranges), { onBegin: () => conn.pragma('defer_foreign_keys = ON') });
        removed.push(id);
      }
      return removed;
    } finally {
      close();
    }
  };

  /** Checks the source and returns the file to copy from (a migrated temporary copy for a file of an older schema). */
  const prepareSource = (file: string, allowDuplicate: boolean): { source: string; copyFrom: string; cleanup: () => void } => {
    const source = path.resolve(file);
    const st = fs.statSync(source, { throwIfNoEntry: false });
    if (st === undefined) throw new Error(`${source}: no such file`);
    if (st.isDirectory()) throw new Error(`${source} is a folder; give the exported .db file`);
    if (!memory && (sameFile(source, ownFile) || ['-wal', '-shm', '-journal'].some((s) => sameFile(source, ownFile + s)))) {
      throw new Error(`${source}: cannot import the database into itself (it is the open studio database; it would duplicate every experiment); nothing was imported`);
    }
    let copyFrom = source;
    let cleanup = () => undefined as void;
    try {
      // Refuses foreign, damaged and newer files with their own messages, and changes nothing in them.
      openDatabase(source, { readonly: true }).close();
    } catch (err) {
      if (!(err instanceof DatabaseOpenError) || err.reason !== 'needs-upgrade') throw err;
      // A file of an older schema: upgrade a private copy (VACUUM INTO reads it without writing it).
      const tmp = tempPathFor(memory ? source : path.join(path.dirname(ownFile), path.basename(source)), 'import-upgrade');
      const reader = new Database(source, { readonly: true, fileMustExist: true });
      try {
        reader.prepare('VACUUM INTO ?').run(tmp);
      } catch (e) {
        removeQuietly(tmp);
        throw e;
      } finally {
        reader.close();
      }
      cleanup = () => {
        for (const s of ['', '-wal', '-shm', '-journal']) removeQuietly(tmp + s);
      };
      try {
        openDatabase(tmp).close();
      } catch (e) {
        cleanup();
        throw e;
      }
      copyFrom = tmp;
    }
    if (!allowDuplicate) {
      const reader = new Database(copyFrom, { readonly: true, fileMustExist: true });
      try {
        const theirs = reader.prepare('SELECT id, name, spec, created_at FROM experiments ORDER BY id').all() as { id: number; name: string; spec: string; created_at: string }[];
        const same = db.prepare(`SELECT id FROM experiments WHERE created_at = ? AND (spec = ? OR (json_extract(spec, '$.importing') IS NOT NULL AND json_remove(spec, '$.importing') = json(?))) LIMIT 1`).pluck();
        for (const e of theirs) {
          const existing = same.get(e.created_at, e.spec, e.spec) as number | undefined;
          if (existing !== undefined) {
            cleanup();
            throw new Error(`${source}: experiment "${e.name}" (created ${e.created_at}) is already in this database as experiment ${existing}; nothing was imported (to import a second copy anyway: distill-studio import FILE --force)`);
          }
        }
      } finally {
        reader.close();
      }
    }
    return { source, copyFrom, cleanup };
  };

  /** The whole import as steps: reservation, copies, links, then the marker removed. */
  function* importSteps(conn: Database.Database, source: string, state: ImportState): Generator<ChunkStep> {
    const offsets: Record<string, number> = {};
    const srcMax: Record<string, number> = {};
    for (const t of ID_TABLES) srcMax[t] = conn.prepare(`SELECT coalesce(max(id), 0) FROM src.${t}`).pluck().get() as number;
    const run = (sql: string) => void conn.prepare(sql).run();
    const copy = (table: string, where: string, options: Omit<CopyOptions, 'offsets'> = {}) => run(copySql(conn, 'src', 'main', table, where, { offsets, ...options }));

    // 1. One transaction: take the id ranges and write the small tables (experiments with their marker, runs
    //    normalised and unlinked, series, KB headers, evaluations) and the top row of each blob table.
    let reserved: Record<string, [number, number]> = {};
    yield () => {
      for (const t of ID_TABLES) offsets[t] = conn.prepare(`SELECT coalesce(max(id), 0) FROM main.${t}`).pluck().get() as number;
      reserved = {};
      for (const t of ID_TABLES) if (srcMax[t] > 0) reserved[t] = [offsets[t] + 1, offsets[t] + srcMax[t]];
      const marker: ImportMarker = { pid: process.pid, startedAt: new Date().toISOString(), source: path.basename(source), ranges: reserved };
      copy('experiments', '1', { overrides: { spec: `json_set(spec, '$.importing', json(${sqlString(JSON.stringify(marker))}))` } });
      copy('runs', '1', {
        overrides: {
          status: `CASE WHEN status = 'running' THEN 'interrupted' ELSE status END`,
          owner_pid: 'NULL',
          error: `CASE WHEN status = 'running' THEN ${sqlString(`it was running when exported (imported from ${path.basename(source)}); resume it to continue`)} ELSE error END`,
          teacher_model_id: 'NULL',
          kb_id: 'NULL',
        },
      });
      copy('metric_series', '1');
      copy('knowledge_bases', '1', { overrides: { teacher_model_id: 'NULL' } });
      copy('evaluations', '1', { overrides: { model_id: 'NULL' } });
      for (const t of ['models', 'replays']) if (srcMax[t] > 0) copy(t, `id = ${srcMax[t]}`);
    };
    yield 'commit';
    // Only now, committed, do the ranges hold imported rows (a failure before this leaves nothing to undo).
    state.ranges = reserved;

    // 2. The large tables, a bounded piece per step; blob tables from the top id down (the top is taken).
    for (const t of ['models', 'replays']) {
      const ids = conn.prepare(`SELECT id FROM src.${t} WHERE id < ? ORDER BY id DESC`).pluck().all(srcMax[t]) as number[];
      for (const id of ids) yield () => copy(t, `id = ${id}`);
    }
    const series = conn.prepare('SELECT id FROM src.metric_series ORDER BY id').pluck().all() as number[];
    for (const [table, key] of [['metrics', 'step'], ['metric_blocks', 'block']] as const) {
      for (const s of series) yield* keysetSteps(conn, 'src', table, 'series_id', key, s, (lo, hi) => copy(table, `series_id = ${s} AND "${key}" BETWEEN ${lo} AND ${hi}`));
    }
    const chunkKeys = conn.prepare('SELECT kb_id, column_name, chunk_index FROM src.knowledge_base_chunks ORDER BY kb_id, column_name, chunk_index').raw().all() as [number, string, number][];
    for (const [k, c, i] of chunkKeys) yield () => copy('knowledge_base_chunks', `kb_id = ${k} AND column_name = ${sqlString(c)} AND chunk_index = ${i}`);
    const checkpointRuns = conn.prepare('SELECT run_id FROM src.checkpoints ORDER BY run_id').pluck().all() as number[];
    for (const r of checkpointRuns) yield () => copy('checkpoints', `run_id = ${r}`);

    // 3. One transaction: the links to models and knowledge bases, then the experiments lose their marker.
    yield 'commit';
    yield () => {
      /** Sets main.TABLE.COLUMN of the imported rows from the source row, shifted into REF's range. */
      const link = (table: string, column: string, ref: string) =>
        run(`UPDATE main.${table} SET ${column} = (SELECT CASE WHEN s.${column} IS NULL THEN NULL ELSE s.${column} + ${offsets[ref]} END FROM src.${table} s WHERE s.id = ${table}.id - ${offsets[table]})
             WHERE id BETWEEN ${offsets[table] + 1} AND ${offsets[table] + srcMax[table]}`);
      link('runs', 'teacher_model_id', 'models');
      link('runs', 'kb_id', 'knowledge_bases');
      link('knowledge_bases', 'teacher_model_id', 'models');
      link('evaluations', 'model_id', 'models');
      run(`UPDATE main.experiments SET spec = (SELECT s.spec FROM src.experiments s WHERE s.id = experiments.id - ${offsets.experiments})
           WHERE id BETWEEN ${offsets.experiments + 1} AND ${offsets.experiments + srcMax.experiments}`);
      state.ids = (conn.prepare('SELECT id FROM src.experiments ORDER BY id').pluck().all() as number[]).map((i) => i + offsets.experiments);
    };
  }

  /** Checks the source, attaches it to a connection of its own and returns the import's steps and endings. */
  const beginImport = (file: string, options: ImportOptions) => {
    recoverInterruptedImports();
    const { source, copyFrom, cleanup } = prepareSource(file, options.allowDuplicate === true);
    const { conn, close } = writerConnection();
    const state: ImportState = { ids: [], ranges: null };
    const lock = newLockWaitStats();
    let attached = false;
    const release = () => {
      if (attached) {
        try {
          conn.prepare('DETACH DATABASE src').run();
        } catch {
          /* closing the connection detaches it too */
        }
      }
      if (!memory) {
        try {
          // Fold the imported pages back into the database file, so no large write-ahead log stays behind.
          conn.pragma('busy_timeout = 200');
          conn.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          /* readers or writers are busy: SQLite checkpoints later, and journal_size_limit trims the log */
        }
      }
      close();
      cleanup();
    };
    const fail = (err: unknown): never => {
      if (state.ranges !== null) {
        try {
          runChunked(conn, deleteSteps(conn, state.ranges), { onBegin: () => conn.pragma('defer_foreign_keys = ON') });
        } catch {
          /* the marker stays; recoverInterruptedImports finishes the job once this process is gone */
        }
      }
      release();
      throw explainImportError(source, err);
    };
    try {
      conn.prepare('ATTACH DATABASE ? AS src').run(copyFrom);
      attached = true;
    } catch (err) {
      fail(err);
    }
    return {
      conn,
      steps: importSteps(conn, source, state),
      chunking: { checkpointInGaps: !memory, ...options.chunking, lockStats: lock, onBegin: () => conn.pragma('defer_foreign_keys = ON') } satisfies ChunkedWriteOptions,
      fail,
      finish: (stats: ChunkedWriteStats): number[] => {
        if (options.stats) Object.assign(options.stats, stats, { lock });
        release();
        return state.ids;
      },
    };
  };

  return {
    exportExperiment(id, file, options = {}) {
      const exists = db.prepare('SELECT 1 FROM experiments WHERE id = ?').pluck().get(id);
      if (exists === undefined) throw new Error(`experiments: no experiment with id ${id}`);
      const target = checkOutputFile(file, { force: options.force === true, protect: memory ? [] : [ownFile] });
      const { tmp, existed: replace } = prepareOutput(target, 'export');
      const counts: Record<string, number> = {};
      let out: Database.Database | null = null;
      try {
        // A private file: rollback journal (nothing left beside it), no write-ahead log.
        out = new Database(tmp);
        out.pragma('journal_mode = DELETE');
        migrate(out);
        // The copy runs on the new file's connection: the studio database is only read (one snapshot, no lock).
        const reader = memory ? db : out;
        const from = memory ? 'main' : 'src';
        const to = memory ? 'dest' : 'main';
        if (memory) {
          out.close();
          out = null;
          db.prepare('ATTACH DATABASE ? AS dest').run(tmp);
        } else reader.prepare('ATTACH DATABASE ? AS src').run(ownFile);
        try {
          const copy = reader.transaction(() => {
            reader.pragma('defer_foreign_keys = ON');
            for (const t of TABLES) counts[t.name] = reader.prepare(copySql(reader, from, to, t.name, exportFilter(t.name, from), { guards: exportGuards(t.name, from) })).run({ e: id }).changes;
          });
          // Deferred: a write transaction on `to` only, and a read snapshot of the studio database.
          (copy as unknown as { deferred: () => void }).deferred();
        } finally {
          reader.prepare(`DETACH DATABASE ${memory ? 'dest' : 'src'}`).run();
        }
        out?.close();
        out = null;
        publishFile(tmp, target, replace);
      } catch (err) {
        try {
          out?.close();
        } catch {
          /* already closed */
        }
        for (const s of ['', '-journal', '-wal', '-shm']) removeQuietly(tmp + s);
        throw writeFailure(target, err);
      }
      return counts;
    },

    importFile(file, options = {}) {
      const imp = beginImport(file, options);
      let stats: ChunkedWriteStats;
      try {
        stats = runChunked(imp.conn, imp.steps, imp.chunking);
      } catch (err) {
        return imp.fail(err);
      }
      return imp.finish(stats);
    },

    async importFileAsync(file, options = {}) {
      const imp = beginImport(file, options);
      let stats: ChunkedWriteStats;
      try {
        stats = await runChunkedAsync(imp.conn, imp.steps, imp.chunking);
      } catch (err) {
        return imp.fail(err);
      }
      return imp.finish(stats);
    },

    recoverInterruptedImports,
  };
}

/** An SQL string literal. */
function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** For tests and diagnostics: the canonical path an import or export compares with the open database. */
export const transferPathOf = canonicalPath;
