/**
 * Models: an EncodedBundle (core/nn/bundle.ts) as a row, the three files of a bundle folder as columns:
 * topology = model.json, weights = weights.bin (float32 little-endian), meta = meta.json. An imported ONNX
 * teacher is a row too (core/io/stored-model.ts: its .onnx bytes, padded to whole words, as the weights). The
 * repository stores and returns the bundle as given; decodeBundle / loadTeacher check it when a model is rebuilt.
 */
import type Database from 'better-sqlite3';
import type { StoredModel, StoredModelMeta } from '../../core/io/stored-model.ts';
import { blobFromArray, jsonDecode, jsonEncode, nowIso, rowId } from '../codec.ts';
import { NotFoundError } from '../errors.ts';

export const MODEL_KINDS = ['final', 'best', 'checkpoint', 'imported'] as const;
/** final: the weights at the end of a run; best: the best validated; checkpoint: for resuming; imported: from a bundle folder. */
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface NewModel {
  /** The run that trained it; null for an imported model. */
  readonly runId?: number | null;
  readonly kind: ModelKind;
  readonly bundle: StoredModel;
}

/** A model without its topology and weights, for lists. */
export interface ModelSummary {
  readonly id: number;
  readonly runId: number | null;
  readonly kind: ModelKind;
  readonly meta: StoredModelMeta;
  readonly weightBytes: number;
  readonly createdAt: string;
}

export interface ModelRecord extends ModelSummary {
  readonly bundle: StoredModel;
}

export interface ModelsRepository {
  save(model: NewModel): ModelSummary;
  /** The model with its bundle (weights copied into a new Uint8Array). Throws NotFoundError for an unknown id. */
  get(id: number): ModelRecord;
  list(filter?: { runId?: number | null; kind?: ModelKind }): ModelSummary[];
  delete(id: number): void;
}

interface SummaryRow {
  id: number;
  run_id: number | null;
  kind: ModelKind;
  meta: string;
  weight_bytes: number;
  created_at: string;
}

interface FullRow extends SummaryRow {
  topology: string;
  weights: Buffer;
}

const SUMMARY = 'id, run_id, kind, meta, length(weights) AS weight_bytes, created_at';

export function createModelsRepository(db: Database.Database): ModelsRepository {
  const insert = db.prepare('INSERT INTO models (run_id, kind, topology, weights, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const selectFull = db.prepare<FullRow>(`SELECT ${SUMMARY}, topology, weights FROM models WHERE id = ?`);
  const selectSummary = db.prepare<SummaryRow>(`SELECT ${SUMMARY} FROM models WHERE id = ?`);
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck();
  const deleteRow = db.prepare('DELETE FROM models WHERE id = ?');

  const toSummary = (r: SummaryRow): ModelSummary => ({
    id: r.id,
    runId: r.run_id,
    kind: r.kind,
    meta: jsonDecode(r.meta, `models id ${r.id}: meta`) as StoredModelMeta,
    weightBytes: r.weight_bytes,
    createdAt: r.created_at,
  });

  return {
    save({ runId = null, kind, bundle }) {
      if (!MODEL_KINDS.includes(kind)) throw new Error(`model: kind must be one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
      if (!(bundle.weights instanceof Uint8Array)) throw new Error('model: bundle.weights must be a Uint8Array');
      if (bundle.weights.byteLength % 4 !== 0) throw new Error(`model: bundle.weights has ${bundle.weights.byteLength} bytes, not a whole number of float32 weights`);
      if (typeof bundle.meta !== 'object' || bundle.meta === null) throw new Error('model: bundle.meta must be an object');
      if (typeof bundle.modelJson !== 'object' || bundle.modelJson === null) throw new Error('model: bundle.modelJson must be an object');
      return db.transaction(() => {
        if (runId !== null && runExists.get(runId) === undefined) throw new NotFoundError('runs', runId);
        const info = insert.run(runId, kind, jsonEncode(bundle.modelJson, 'model topology'), blobFromArray(bundle.weights), jsonEncode(bundle.meta, 'model meta'), nowIso());
        return toSummary(selectSummary.get(rowId(info.lastInsertRowid))!);
      })();
    },

    get(id) {
      const row = selectFull.get(id);
      if (!row) throw new NotFoundError('models', id);
      const summary = toSummary(row);
      const modelJson = jsonDecode(row.topology, `models id ${id}: topology`) as Record<string, unknown>;
      return { ...summary, bundle: { modelJson, weights: new Uint8Array(row.weights), meta: summary.meta } as StoredModel };
    },

    list(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.runId === null) where.push('run_id IS NULL');
      else if (filter.runId !== undefined) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      if (filter.kind !== undefined) {
        where.push('kind = ?');
        params.push(filter.kind);
      }
      return db
        .prepare<SummaryRow>(`SELECT ${SUMMARY} FROM models ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`)
        .all(...params)
        .map(toSummary);
    },

    delete(id) {
      if (deleteRow.run(id).changes === 0) throw new NotFoundError('models', id);
    },
  };
}
