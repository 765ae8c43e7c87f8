/**
 * Export and import of experiments as SQLite files of their own (the studio's schema, holding one or more
 * experiments with everything they own: runs, metrics, models, knowledge bases, evaluations, replays,
 * checkpoints).
 *
 * Export copies the experiment's rows, ids unchanged, into a fresh database file written beside the target and
 * renamed into place. Import checks the file (a Distill Studio database, not from a newer version), then copies
 * all its rows into this database in one transaction, shifting every id past this database's largest so that
 * nothing collides; any failure rolls the whole import back. A file from an older schema version is copied
 * (VACUUM INTO, the file itself untouched), the copy upgraded, and imported from.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { DatabaseOpenError } from './errors.ts';
import { openDatabase } from './open.ts';

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

/** INSERT … SELECT with ids shifted by per-table offsets; `where` filters the source rows, `guards` null dangling links. */
function copyTable(db: Database.Database, from: string, to: string, table: { name: string; refs: Record<string, string> }, offsets: Record<string, number>, where: string, params: Record<string, number>, guards: Record<string, string> = {}): number {
  const cols = columns(db, to, table.name);
  const exprs = cols.map((c) => {
    const ref = table.refs[c];
    const value = !ref || !offsets[ref] ? `"${c}"` : `CASE WHEN "${c}" IS NULL THEN NULL ELSE "${c}" + ${offsets[ref]} END`;
    return guards[c] ? `CASE WHEN "${c}" IN (${guards[c]}) THEN ${value} ELSE NULL END` : value;
  });
  const list = cols.map((c) => `"${c}"`).join(', ');
  return db.prepare(`INSERT INTO ${to}.${table.name} (${list}) SELECT ${exprs.join(', ')} FROM ${from}.${table.name} WHERE ${where}`).run(params).changes;
}

export interface TransferRepository {
  /** Writes experiment `id` and everything it owns to `file` (replaced whole); returns row counts per table. */
  exportExperiment(id: number, file: string): Record<string, number>;
  /**
   * Imports every experiment of `file`; returns the new experiment ids. Nothing changes if anything fails, the
   * file is this database, or one of its experiments is already here (same name, creation time and spec).
   * Imported runs are never left `running` (they become `interrupted`) and have no owner process.
   */
  importFile(file: string): number[];
}

export function createTransferRepository(db: Database.Database, ownFile: string): TransferRepository {
  return {
    exportExperiment(id, file) {
      const exists = db.prepare('SELECT 1 FROM experiments WHERE id = ?').pluck().get(id);
      if (exists === undefined) throw new Error(`experiments: no experiment with id ${id}`);
      const target = path.resolve(file);
      if (target === path.resolve(ownFile)) throw new Error(`${target}: cannot export into the database itself`);
      const tmp = `${target}.tmp-${process.pid}`;
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      openDatabase(tmp).close(); // a fresh, migrated database
      const counts: Record<string, number> = {};
      db.prepare('ATTACH DATABASE ? AS dest').run(tmp);
      try {
        db.transaction(() => {
          db.pragma('defer_foreign_keys = ON');
          for (const t of TABLES) counts[t.name] = copyTable(db, 'main', 'dest', t, {}, exportFilter(t.name, 'main'), { e: id }, exportGuards(t.name, 'main'));
        })();
      } finally {
        db.prepare('DETACH DATABASE dest').run();
      }
      // Fold the WAL into the file so that the export is one self-contained file.
      const out = new (db.constructor as typeof Database)(tmp);
      out.pragma('wal_checkpoint(TRUNCATE)');
      out.pragma('journal_mode = DELETE');
      out.close();
      fs.renameSync(tmp, target);
      for (const f of [`${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
      return counts;
    },

    importFile(file) {
      const named = path.resolve(file);
      if (!fs.existsSync(named)) throw new Error(`${named}: no such file`);
      if (ownFile !== ':memory:' && fs.realpathSync(named) === fs.realpathSync(path.resolve(ownFile))) throw new Error(`${named}: cannot import the database into itself`);
      let source = named;
      let upgraded: string | null = null;
      try {
        // Refuses foreign, corrupt and newer files with their own messages, and changes nothing in them.
        openDatabase(named, { readonly: true }).close();
      } catch (err) {
        if (!(err instanceof DatabaseOpenError && err.reason === 'needs-upgrade')) throw err;
        upgraded = source = path.join(os.tmpdir(), `distill-studio-import-${process.pid}-${Date.now()}.db`);
        const old = new (db.constructor as typeof Database)(named, { readonly: true, fileMustExist: true });
        try {
          old.prepare('VACUUM INTO ?').run(upgraded);
        } finally {
          old.close();
        }
        openDatabase(upgraded).close(); // migrates the copy
      }
      db.prepare('ATTACH DATABASE ? AS src').run(source);
      try {
        return db.transaction(() => {
          // The same experiment (name, creation time and spec) imported a second time would be a silent duplicate.
          const dup = db
            .prepare<{ name: string; created_at: string; id: number }>('SELECT s.name, s.created_at, m.id FROM src.experiments s JOIN main.experiments m ON m.name = s.name AND m.created_at = s.created_at AND m.spec = s.spec ORDER BY s.id LIMIT 1')
            .get();
          if (dup) throw new Error(`${source}: experiment "${dup.name}" (created ${dup.created_at}) is already in this database as experiment ${dup.id}; nothing was imported`);
          db.pragma('defer_foreign_keys = ON');
          const offsets: Record<string, number> = {};
          for (const t of TABLES) {
            if ('id' in t.refs) offsets[t.name] = (db.prepare(`SELECT coalesce(max(id), 0) FROM main.${t.name}`).pluck().get() as number);
          }
          for (const t of TABLES) copyTable(db, 'src', 'main', t, offsets, '1', {});
          // No process of this machine runs an imported run: one exported while running is interrupted here.
          db.prepare(`UPDATE main.runs SET status = 'interrupted', owner_pid = NULL, error = ? WHERE id > ? AND status = 'running'`).run(`it was running when exported (imported from ${path.basename(named)}); resume it to continue`, offsets.runs);
          const ids = db.prepare('SELECT id FROM src.experiments ORDER BY id').pluck().all() as number[];
          const bad = db.pragma('foreign_key_check') as unknown[];
          if (bad.length > 0) throw new Error(`${named}: the file's rows do not fit together (${bad.length} broken references); nothing was imported`);
          return ids.map((i) => i + offsets.experiments);
        })();
      } finally {
        db.prepare('DETACH DATABASE src').run();
        if (upgraded) for (const f of [upgraded, `${upgraded}-wal`, `${upgraded}-shm`]) fs.rmSync(f, { force: true });
      }
    },
  };
}
