/**
 * Evaluations: greedy returns of a policy on a fixed list of episode seeds (core/eval/evaluate.ts), with their
 * statistics. Shaped so that core/experiment/jobs.ts's EvaluationRecord can be saved as `{ runId, ...record }`.
 */
import type Database from 'better-sqlite3';
import { jsonDecode, jsonEncode, nowIso, rowId } from '../codec.ts';
import { NotFoundError } from '../errors.ts';

/** final: the reported score; validation: periodic, during training; random: a uniform-random policy (normalised scores' 0). */
export const EVALUATION_KINDS = ['final', 'validation', 'random'] as const;
export type EvaluationKind = (typeof EVALUATION_KINDS)[number];

export interface NewEvaluation {
  readonly runId: number;
  /** The model row evaluated, when stored. */
  readonly modelId?: number | null;
  readonly kind: EvaluationKind;
  /** Env step of the run at which the policy was evaluated. */
  readonly step?: number | null;
  /** One return per seed, in seed order. */
  readonly returns: readonly number[];
  readonly seeds: readonly number[];
  readonly lengths?: readonly number[] | null;
  /** Statistics as core/eval/stats.ts computes them (NaN is stored as NULL and read back as NaN). */
  readonly mean: number;
  readonly std: number;
  readonly ci95: number;
  readonly min?: number;
  readonly max?: number;
  /** Anything else worth keeping: µs per action, % of teacher, agreement, Q-value error, … */
  readonly extra?: Record<string, unknown> | null;
}

export interface EvaluationRecord {
  readonly id: number;
  readonly runId: number;
  readonly modelId: number | null;
  readonly kind: EvaluationKind;
  readonly step: number | null;
  readonly episodes: number;
  readonly mean: number;
  readonly std: number;
  readonly ci95: number;
  readonly min: number;
  readonly max: number;
  readonly returns: number[];
  readonly seeds: number[];
  readonly lengths: number[] | null;
  readonly extra: Record<string, unknown> | null;
  readonly createdAt: string;
}

export interface EvaluationsRepository {
  save(evaluation: NewEvaluation): EvaluationRecord;
  /** Throws NotFoundError for an unknown id. */
  get(id: number): EvaluationRecord;
  /** In (run, kind, step) order. */
  list(filter?: { runId?: number; kind?: EvaluationKind }): EvaluationRecord[];
  /** The latest `final` evaluation of a run, or undefined. */
  latestFinal(runId: number): EvaluationRecord | undefined;
}

interface Row {
  id: number;
  run_id: number;
  model_id: number | null;
  kind: EvaluationKind;
  step: number | null;
  episodes: number;
  mean: number | null;
  std: number | null;
  ci95: number | null;
  min: number | null;
  max: number | null;
  returns: string;
  seeds: string;
  lengths: string | null;
  extra: string | null;
  created_at: string;
}

const nan = (v: number | null) => (v === null ? Number.NaN : v);

function checkNumbers(list: readonly number[], field: string, integers: boolean): void {
  if (!Array.isArray(list)) throw new Error(`evaluation: ${field} must be an array`);
  list.forEach((v, i) => {
    if (typeof v !== 'number' || (integers ? !Number.isSafeInteger(v) : !Number.isFinite(v))) {
      throw new Error(`evaluation: ${field}[${i}] must be ${integers ? 'an integer' : 'a finite number'}, got ${v}`);
    }
  });
}

export function createEvaluationsRepository(db: Database.Database): EvaluationsRepository {
  const insert = db.prepare(
    `INSERT INTO evaluations (run_id, model_id, kind, step, episodes, mean, std, ci95, min, max, returns, seeds, lengths, extra, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectOne = db.prepare<Row>('SELECT * FROM evaluations WHERE id = ?');
  const selectLatestFinal = db.prepare<Row>(`SELECT * FROM evaluations WHERE run_id = ? AND kind = 'final' ORDER BY id DESC LIMIT 1`);
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck();
  const modelExists = db.prepare('SELECT 1 FROM models WHERE id = ?').pluck();

  const toRecord = (r: Row): EvaluationRecord => ({
    id: r.id,
    runId: r.run_id,
    modelId: r.model_id,
    kind: r.kind,
    step: r.step,
    episodes: r.episodes,
    mean: nan(r.mean),
    std: nan(r.std),
    ci95: nan(r.ci95),
    min: nan(r.min),
    max: nan(r.max),
    returns: jsonDecode(r.returns, `evaluations id ${r.id}: returns`) as number[],
    seeds: jsonDecode(r.seeds, `evaluations id ${r.id}: seeds`) as number[],
    lengths: r.lengths === null ? null : (jsonDecode(r.lengths, `evaluations id ${r.id}: lengths`) as number[]),
    extra: r.extra === null ? null : (jsonDecode(r.extra, `evaluations id ${r.id}: extra`) as Record<string, unknown>),
    createdAt: r.created_at,
  });
  const get = (id: number): EvaluationRecord => {
    const row = selectOne.get(id);
    if (!row) throw new NotFoundError('evaluations', id);
    return toRecord(row);
  };

  return {
    save(e) {
      if (!EVALUATION_KINDS.includes(e.kind)) throw new Error(`evaluation: kind must be one of ${EVALUATION_KINDS.join(', ')}, got ${JSON.stringify(e.kind)}`);
      checkNumbers(e.returns, 'returns', false);
      checkNumbers(e.seeds, 'seeds', true);
      if (e.lengths) checkNumbers(e.lengths, 'lengths', true);
      const n = e.returns.length;
      if (e.seeds.length !== n || (e.lengths && e.lengths.length !== n)) {
        throw new Error(`evaluation: ${n} returns but ${e.seeds.length} seeds${e.lengths ? ` and ${e.lengths.length} lengths` : ''}; one of each per episode`);
      }
      const step = e.step ?? null;
      if (step !== null && (!Number.isSafeInteger(step) || step < 0)) throw new Error(`evaluation: step must be a non-negative integer, got ${step}`);
      const modelId = e.modelId ?? null;
      const min = e.min ?? (n ? e.returns.reduce((a, b) => Math.min(a, b)) : Number.NaN);
      const max = e.max ?? (n ? e.returns.reduce((a, b) => Math.max(a, b)) : Number.NaN);
      return db.transaction(() => {
        if (runExists.get(e.runId) === undefined) throw new NotFoundError('runs', e.runId);
        if (modelId !== null && modelExists.get(modelId) === undefined) throw new NotFoundError('models', modelId);
        const info = insert.run(
          e.runId,
          modelId,
          e.kind,
          step,
          n,
          e.mean,
          e.std,
          e.ci95,
          min,
          max,
          jsonEncode(e.returns, 'evaluation returns'),
          jsonEncode(e.seeds, 'evaluation seeds'),
          e.lengths ? jsonEncode(e.lengths, 'evaluation lengths') : null,
          e.extra ? jsonEncode(e.extra, 'evaluation extra') : null,
          nowIso(),
        );
        return get(rowId(info.lastInsertRowid));
      })();
    },

    get,

    list(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.runId !== undefined) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      if (filter.kind !== undefined) {
        where.push('kind = ?');
        params.push(filter.kind);
      }
      return db
        .prepare<Row>(`SELECT * FROM evaluations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY run_id, kind, step, id`)
        .all(...params)
        .map(toRecord);
    },

    latestFinal(runId) {
      const row = selectLatestFinal.get(runId);
      return row ? toRecord(row) : undefined;
    },
  };
}
