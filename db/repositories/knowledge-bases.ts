/**
 * Knowledge bases (core/kb/knowledge-base.ts): the header (meta, statistics, sizes) in `knowledge_bases`, each
 * column array in `knowledge_base_chunks` as BLOBs of KB_CHUNK_ROWS rows. Loading checks every chunk's
 * presence and length and then validateKnowledgeBase.
 *
 * A large KB is saved in several short transactions (db/chunked-write.ts), so that other processes writing to
 * the database (training runs) are not locked out for seconds. Until its last transaction the header says
 * size 0 and its stats carry `savingByPid`: such a KB is left out of list(), refused by load() with a clear
 * message, deleted again when its save fails, and removed by deleteIncomplete() when the saving process died.
 */
import type Database from 'better-sqlite3';
import { knowledgeBaseStats, validateKnowledgeBase, type KnowledgeBase, type KnowledgeBaseMeta, type KnowledgeBaseStats } from '../../core/kb/knowledge-base.ts';
import { processIsAlive } from '../../core/util/safe-output.ts';
import { runChunked, type ChunkStep } from '../chunked-write.ts';
import { blobFromArray, jsonDecode, jsonEncode, nowIso, rowId } from '../codec.ts';
import { NotFoundError } from '../errors.ts';

/** Rows per chunk: 65,536 rows of a 4-dim float32 state column are 1 MiB. */
export const KB_CHUNK_ROWS = 65_536;

type Column = 'states' | 'actions' | 'rewards' | 'nextStates' | 'terminated' | 'episodeEnd' | 'episode' | 'teacherQ';
type ColumnArray = Float32Array | Int32Array | Uint8Array;

/** Each column, its element type and its values per row. */
const COLUMNS: readonly { name: Column; ctor: { new (length: number): ColumnArray; BYTES_PER_ELEMENT: number }; width: (m: KnowledgeBaseMeta) => number }[] = [
  { name: 'states', ctor: Float32Array, width: (m) => m.observationSize },
  { name: 'actions', ctor: Int32Array, width: () => 1 },
  { name: 'rewards', ctor: Float32Array, width: () => 1 },
  { name: 'nextStates', ctor: Float32Array, width: (m) => m.observationSize },
  { name: 'terminated', ctor: Uint8Array, width: () => 1 },
  { name: 'episodeEnd', ctor: Uint8Array, width: () => 1 },
  { name: 'episode', ctor: Int32Array, width: () => 1 },
  { name: 'teacherQ', ctor: Float32Array, width: (m) => m.actionCount },
];

export interface KnowledgeBaseLinks {
  /** The teacher's run, when it was trained in this studio. */
  readonly teacherRunId?: number | null;
  /** The teacher's model row. */
  readonly teacherModelId?: number | null;
}

/** A knowledge base without its columns, for lists and the KB browser's header. */
export interface KnowledgeBaseRecord {
  readonly id: number;
  readonly teacherRunId: number | null;
  readonly teacherModelId: number | null;
  readonly env: string;
  readonly size: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly meta: KnowledgeBaseMeta;
  readonly stats: KnowledgeBaseStats;
  readonly createdAt: string;
}

export interface KnowledgeBasesRepository {
  /** Validates and stores a KB (statistics computed when not given); returns its record. */
  save(kb: KnowledgeBase, stats?: KnowledgeBaseStats, links?: KnowledgeBaseLinks): KnowledgeBaseRecord;
  /** Throws NotFoundError for an unknown id. */
  get(id: number): KnowledgeBaseRecord;
  /** The KB with all its columns (new, aligned typed arrays), validated. */
  load(id: number): KnowledgeBase;
  /** In creation order, optionally only those of a teacher run or model. */
  list(filter?: { teacherRunId?: number; teacherModelId?: number }): KnowledgeBaseRecord[];
  delete(id: number): void;
  /** Deletes KBs whose save never finished because the saving process is gone; returns their ids. */
  deleteIncomplete(isAlive?: (pid: number) => boolean): number[];
}

/** Stats of a KB whose chunks are still being written. */
interface SavingMarker {
  readonly savingByPid: number;
}
const savingPid = (stats: unknown): number | null => {
  const pid = (stats as Partial<SavingMarker> | null)?.savingByPid;
  return typeof pid === 'number' ? pid : null;
};

interface Row {
  id: number;
  teacher_run_id: number | null;
  teacher_model_id: number | null;
  env: string;
  size: number;
  observation_size: number;
  action_count: number;
  chunk_rows: number;
  meta: string;
  stats: string;
  created_at: string;
}

export function createKnowledgeBasesRepository(db: Database.Database): KnowledgeBasesRepository {
  const insert = db.prepare(
    `INSERT INTO knowledge_bases (teacher_run_id, teacher_model_id, env, size, observation_size, action_count, chunk_rows, meta, stats, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertChunk = db.prepare('INSERT INTO knowledge_base_chunks (kb_id, column_name, chunk_index, data) VALUES (?, ?, ?, ?)');
  const selectOne = db.prepare<Row>('SELECT * FROM knowledge_bases WHERE id = ?');
  const selectChunks = db.prepare<{ column_name: Column; chunk_index: number; data: Buffer }>('SELECT column_name, chunk_index, data FROM knowledge_base_chunks WHERE kb_id = ?');
  const exists = (table: string) => db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).pluck();
  const runExists = exists('runs');
  const modelExists = exists('models');
  const deleteRow = db.prepare('DELETE FROM knowledge_bases WHERE id = ?');
  const finishRow = db.prepare('UPDATE knowledge_bases SET size = ?, stats = ? WHERE id = ?');
  const selectSaving = db.prepare<{ id: number; stats: string }>(`SELECT id, stats FROM knowledge_bases WHERE json_extract(stats, '$.savingByPid') IS NOT NULL`);

  const toRecord = (r: Row): KnowledgeBaseRecord => ({
    id: r.id,
    teacherRunId: r.teacher_run_id,
    teacherModelId: r.teacher_model_id,
    env: r.env,
    size: r.size,
    observationSize: r.observation_size,
    actionCount: r.action_count,
    meta: jsonDecode(r.meta, `knowledge_bases id ${r.id}: meta`) as KnowledgeBaseMeta,
    stats: jsonDecode(r.stats, `knowledge_bases id ${r.id}: stats`) as KnowledgeBaseStats,
    createdAt: r.created_at,
  });
  const getRow = (id: number): Row => {
    const row = selectOne.get(id);
    if (!row) throw new NotFoundError('knowledge_bases', id);
    return row;
  };

  return {
    save(kb, stats, links = {}) {
      validateKnowledgeBase(kb, 'knowledge base to save');
      const { meta } = kb;
      if (!Number.isInteger(meta.observationSize) || meta.observationSize < 1) throw new Error(`knowledge base to save: meta.observationSize must be a positive integer, got ${meta.observationSize}`);
      if (!Number.isInteger(meta.actionCount) || meta.actionCount < 1) throw new Error(`knowledge base to save: meta.actionCount must be a positive integer, got ${meta.actionCount}`);
      const teacherRunId = links.teacherRunId ?? null;
      const teacherModelId = links.teacherModelId ?? null;
      const statsJson = jsonEncode(stats ?? knowledgeBaseStats(kb), 'knowledge base stats');
      let id = 0;
      const steps = function* (): Generator<ChunkStep> {
        // The header first, on its own, so that its id is taken and every chunk can refer to it.
        yield () => {
          if (teacherRunId !== null && runExists.get(teacherRunId) === undefined) throw new NotFoundError('runs', teacherRunId);
          if (teacherModelId !== null && modelExists.get(teacherModelId) === undefined) throw new NotFoundError('models', teacherModelId);
          const saving: SavingMarker = { savingByPid: process.pid };
          const info = insert.run(teacherRunId, teacherModelId, meta.env, 0, meta.observationSize, meta.actionCount, KB_CHUNK_ROWS, jsonEncode(meta, 'knowledge base meta'), JSON.stringify(saving), nowIso());
          id = rowId(info.lastInsertRowid);
        };
        for (const c of COLUMNS) {
          const view = kb[c.name];
          const rowBytes = c.width(meta) * c.ctor.BYTES_PER_ELEMENT;
          for (let chunk = 0, row = 0; row < kb.size; chunk++, row += KB_CHUNK_ROWS) {
            const rows = Math.min(KB_CHUNK_ROWS, kb.size - row);
            const index = chunk;
            const offset = view.byteOffset + row * rowBytes;
            yield () => void insertChunk.run(id, c.name, index, blobFromArray(new Uint8Array(view.buffer, offset, rows * rowBytes)));
          }
        }
        yield () => void finishRow.run(kb.size, statsJson, id);
      };
      try {
        runChunked(db, steps());
      } catch (err) {
        // Undo the committed part (the chunks go with the header: ON DELETE CASCADE).
        if (id !== 0 && !db.inTransaction) {
          try {
            deleteRow.run(id);
          } catch {
            /* left for deleteIncomplete; the original error matters more */
          }
        }
        throw err;
      }
      return toRecord(getRow(id));
    },

    get: (id) => toRecord(getRow(id)),

    load(id) {
      const row = getRow(id);
      const record = toRecord(row);
      const source = `knowledge_bases id ${id}`;
      const pid = savingPid(record.stats);
      if (pid !== null) throw new Error(`${source} is incomplete: process ${pid} ${processIsAlive(pid) ? 'is still saving it' : 'stopped while saving it'}`);
      const meta = record.meta;
      if (meta.observationSize !== row.observation_size || meta.actionCount !== row.action_count) {
        throw new Error(`${source}: meta (${meta.observationSize} dims, ${meta.actionCount} actions) disagrees with its row (${row.observation_size}, ${row.action_count})`);
      }
      const chunkCount = Math.ceil(row.size / row.chunk_rows);
      const arrays = new Map<Column, ColumnArray>();
      const seen = new Map<Column, Set<number>>();
      const byName = new Map(COLUMNS.map((c) => [c.name, c]));
      for (const c of COLUMNS) {
        arrays.set(c.name, new c.ctor(row.size * c.width(meta)));
        seen.set(c.name, new Set());
      }
      for (const chunk of selectChunks.iterate(id)) {
        const c = byName.get(chunk.column_name);
        if (!c) throw new Error(`${source}: unknown column ${JSON.stringify(chunk.column_name)}`);
        const rowBytes = c.width(meta) * c.ctor.BYTES_PER_ELEMENT;
        const firstRow = chunk.chunk_index * row.chunk_rows;
        const expected = Math.min(row.chunk_rows, row.size - firstRow) * rowBytes;
        if (chunk.chunk_index >= chunkCount || chunk.data.byteLength !== expected) {
          throw new Error(`${source}: chunk ${chunk.chunk_index} of column "${c.name}" has ${chunk.data.byteLength} bytes, expected ${Math.max(expected, 0)} (${row.size} rows, ${row.chunk_rows} per chunk)`);
        }
        const target = arrays.get(c.name)!;
        new Uint8Array(target.buffer, firstRow * rowBytes, expected).set(chunk.data);
        seen.get(c.name)!.add(chunk.chunk_index);
      }
      for (const c of COLUMNS) {
        const have = seen.get(c.name)!;
        if (have.size !== chunkCount) {
          const missing = Array.from({ length: chunkCount }, (_, i) => i).filter((i) => !have.has(i));
          throw new Error(`${source}: column "${c.name}" is missing chunk(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} of ${chunkCount}`);
        }
      }
      const kb: KnowledgeBase = {
        meta,
        size: row.size,
        states: arrays.get('states') as Float32Array,
        actions: arrays.get('actions') as Int32Array,
        rewards: arrays.get('rewards') as Float32Array,
        nextStates: arrays.get('nextStates') as Float32Array,
        terminated: arrays.get('terminated') as Uint8Array,
        episodeEnd: arrays.get('episodeEnd') as Uint8Array,
        episode: arrays.get('episode') as Int32Array,
        teacherQ: arrays.get('teacherQ') as Float32Array,
      };
      validateKnowledgeBase(kb, source);
      return kb;
    },

    list(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const [column, value] of [
        ['teacher_run_id', filter.teacherRunId],
        ['teacher_model_id', filter.teacherModelId],
      ] as const) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        params.push(value);
      }
      where.push(`json_extract(stats, '$.savingByPid') IS NULL`);
      return db
        .prepare<Row>(`SELECT * FROM knowledge_bases WHERE ${where.join(' AND ')} ORDER BY id`)
        .all(...params)
        .map(toRecord);
    },

    delete(id) {
      if (deleteRow.run(id).changes === 0) throw new NotFoundError('knowledge_bases', id);
    },

    deleteIncomplete(isAlive = processIsAlive) {
      const gone = selectSaving.all().filter((r) => {
        const pid = savingPid(jsonDecode(r.stats, `knowledge_bases id ${r.id}: stats`));
        return pid !== null && pid !== process.pid && !isAlive(pid);
      });
      for (const r of gone) deleteRow.run(r.id);
      return gone.map((r) => r.id);
    },
  };
}
