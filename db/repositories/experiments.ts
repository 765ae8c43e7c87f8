/** Experiments: a named, validated spec (environment, teacher, students, seeds, budgets) that runs belong to. */
import type Database from 'better-sqlite3';
import { jsonDecode, jsonEncode, nowIso, rowId } from '../codec.ts';
import { NotFoundError } from '../errors.ts';

export interface NewExperiment {
  readonly name: string;
  /** The experiment spec, already validated by its schema; stored as JSON. */
  readonly spec: unknown;
  /** Version of the spec schema it was validated against (≥ 1), so later versions can upgrade it. */
  readonly specVersion: number;
}

export interface ExperimentRecord {
  readonly id: number;
  readonly name: string;
  readonly spec: unknown;
  readonly specVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Number of runs that belong to it. */
  readonly runCount: number;
}

export interface ExperimentsRepository {
  create(experiment: NewExperiment): ExperimentRecord;
  /** Throws NotFoundError for an unknown id. */
  get(id: number): ExperimentRecord;
  list(): ExperimentRecord[];
  update(id: number, patch: Partial<NewExperiment>): ExperimentRecord;
  /**
   * Deletes an experiment. One that still has runs is refused unless `withRuns` is set, which deletes its runs
   * (and what they own: metrics, models, evaluations, replays) in the same transaction.
   */
  delete(id: number, options?: { withRuns?: boolean }): void;
}

interface Row {
  id: number;
  name: string;
  spec: string;
  spec_version: number;
  created_at: string;
  updated_at: string;
  run_count: number;
}

const COLUMNS = `id, name, spec, spec_version, created_at, updated_at, (SELECT COUNT(*) FROM runs WHERE experiment_id = experiments.id) AS run_count`;

function checkFields(e: Partial<NewExperiment>): void {
  if (e.name !== undefined && (typeof e.name !== 'string' || e.name.trim() === '')) throw new Error(`experiment: name must be a non-empty string, got ${JSON.stringify(e.name)}`);
  if (e.specVersion !== undefined && (!Number.isInteger(e.specVersion) || e.specVersion < 1)) {
    throw new Error(`experiment: specVersion must be an integer ≥ 1, got ${e.specVersion}`);
  }
}

export function createExperimentsRepository(db: Database.Database): ExperimentsRepository {
  const insert = db.prepare('INSERT INTO experiments (name, spec, spec_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
  const selectOne = db.prepare<Row>(`SELECT ${COLUMNS} FROM experiments WHERE id = ?`);
  const selectAll = db.prepare<Row>(`SELECT ${COLUMNS} FROM experiments ORDER BY id`);
  const updateRow = db.prepare('UPDATE experiments SET name = ?, spec = ?, spec_version = ?, updated_at = ? WHERE id = ?');
  const countRuns = db.prepare('SELECT COUNT(*) FROM runs WHERE experiment_id = ?').pluck();
  const runsOf = db.prepare('SELECT id FROM runs WHERE experiment_id = ?').pluck();
  const runStatus = db.prepare('SELECT status FROM runs WHERE experiment_id = ? AND status = ? LIMIT 1').pluck();
  const deleteRun = db.prepare('DELETE FROM runs WHERE id = ?');
  const deleteRow = db.prepare('DELETE FROM experiments WHERE id = ?');

  const toRecord = (r: Row): ExperimentRecord => ({
    id: r.id,
    name: r.name,
    spec: jsonDecode(r.spec, `experiments id ${r.id}: spec`),
    specVersion: r.spec_version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    runCount: r.run_count,
  });
  const get = (id: number): ExperimentRecord => {
    const row = selectOne.get(id);
    if (!row) throw new NotFoundError('experiments', id);
    return toRecord(row);
  };

  return {
    create(e) {
      checkFields(e);
      if (e.name === undefined || e.specVersion === undefined) throw new Error('experiment: name and specVersion are required');
      const now = nowIso();
      const id = rowId(insert.run(e.name.trim(), jsonEncode(e.spec, 'experiment spec'), e.specVersion, now, now).lastInsertRowid);
      return get(id);
    },
    get,
    list: () => selectAll.all().map(toRecord),
    update(id, patch) {
      checkFields(patch);
      return db.transaction(() => {
        const cur = get(id);
        updateRow.run(
          (patch.name ?? cur.name).trim(),
          jsonEncode(patch.spec !== undefined ? patch.spec : cur.spec, 'experiment spec'),
          patch.specVersion ?? cur.specVersion,
          nowIso(),
          id,
        );
        return get(id);
      })();
    },
    delete(id, options = {}) {
      db.transaction(() => {
        get(id);
        const runs = countRuns.get(id) as number;
        if (runs > 0 && !options.withRuns) {
          throw new Error(`experiment ${id} has ${runs} run(s): delete them first, or delete the experiment with its runs`);
        }
        if (runs > 0) {
          if (runStatus.get(id, 'running') !== undefined) throw new Error(`experiment ${id} has a running run: cancel it before deleting the experiment`);
          for (const runId of runsOf.all(id)) deleteRun.run(runId);
        }
        deleteRow.run(id);
      })();
    },
  };
}
