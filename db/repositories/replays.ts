/**
 * Replays: one episode step by step, for the replay viewer (teacher and student side by side on the same
 * episode seed). states holds s_0 … s_T, the final state included (length + 1 rows of observationSize);
 * actions, rewards and qValues hold one row per step (qValues: actionCount per row, the Q-values the policy
 * chose from).
 */
import type Database from 'better-sqlite3';
import { arrayFromBlob, blobFromArray, nowIso, rowId } from '../codec.ts';
import { NotFoundError } from '../errors.ts';

export interface NewReplay {
  readonly runId: number;
  /** The evaluation the episode belongs to, when stored. */
  readonly evaluationId?: number | null;
  readonly env: string;
  readonly episodeSeed: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly states: Float32Array;
  readonly actions: Int32Array | readonly number[];
  readonly rewards: Float32Array | readonly number[];
  readonly qValues?: Float32Array | null;
  /** True when the episode ended in a terminal state, false when it was truncated by the time limit. */
  readonly terminated: boolean;
}

/** A replay without its arrays, for lists. */
export interface ReplaySummary {
  readonly id: number;
  readonly runId: number;
  readonly evaluationId: number | null;
  readonly env: string;
  readonly episodeSeed: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly length: number;
  /** Sum of the rewards. */
  readonly episodeReturn: number;
  readonly terminated: boolean;
  readonly createdAt: string;
}

export interface Replay extends ReplaySummary {
  readonly states: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly qValues: Float32Array | null;
}

export interface ReplayFilter {
  readonly runId?: number;
  readonly evaluationId?: number;
  readonly episodeSeed?: number;
}

export interface ReplaysRepository {
  save(replay: NewReplay): ReplaySummary;
  /** Throws NotFoundError for an unknown id. */
  get(id: number): Replay;
  list(filter?: ReplayFilter): ReplaySummary[];
  delete(id: number): void;
}

interface SummaryRow {
  id: number;
  run_id: number;
  evaluation_id: number | null;
  env: string;
  episode_seed: number;
  observation_size: number;
  action_count: number;
  episode_length: number;
  episode_return: number;
  terminated: number;
  created_at: string;
}

interface FullRow extends SummaryRow {
  states: Buffer;
  actions: Buffer;
  rewards: Buffer;
  q_values: Buffer | null;
}

const SUMMARY = 'id, run_id, evaluation_id, env, episode_seed, observation_size, action_count, episode_length, episode_return, terminated, created_at';

const toSummary = (r: SummaryRow): ReplaySummary => ({
  id: r.id,
  runId: r.run_id,
  evaluationId: r.evaluation_id,
  env: r.env,
  episodeSeed: r.episode_seed,
  observationSize: r.observation_size,
  actionCount: r.action_count,
  length: r.episode_length,
  episodeReturn: r.episode_return,
  terminated: r.terminated === 1,
  createdAt: r.created_at,
});

export function createReplaysRepository(db: Database.Database): ReplaysRepository {
  const insert = db.prepare(
    `INSERT INTO replays (run_id, evaluation_id, env, episode_seed, observation_size, action_count, episode_length, episode_return, terminated, states, actions, rewards, q_values, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectFull = db.prepare<FullRow>(`SELECT ${SUMMARY}, states, actions, rewards, q_values FROM replays WHERE id = ?`);
  const selectSummary = db.prepare<SummaryRow>(`SELECT ${SUMMARY} FROM replays WHERE id = ?`);
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck();
  const evaluationRun = db.prepare('SELECT run_id FROM evaluations WHERE id = ?').pluck();
  const deleteRow = db.prepare('DELETE FROM replays WHERE id = ?');

  return {
    save(r) {
      const where = `replay (run ${r.runId}, seed ${r.episodeSeed})`;
      const posInt = (v: number, field: string) => {
        if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${field} must be a positive integer, got ${v}`);
      };
      posInt(r.observationSize, 'observationSize');
      posInt(r.actionCount, 'actionCount');
      if (!Number.isSafeInteger(r.episodeSeed)) throw new Error(`${where}: episodeSeed must be an integer, got ${r.episodeSeed}`);
      const actions = r.actions instanceof Int32Array ? r.actions : Int32Array.from(r.actions);
      const rewards = r.rewards instanceof Float32Array ? r.rewards : Float32Array.from(r.rewards);
      const length = actions.length;
      const expect = (field: string, got: number, want: number, why: string) => {
        if (got !== want) throw new Error(`${where}: ${field} has ${got} values, expected ${want} (${why})`);
      };
      expect('states', r.states.length, (length + 1) * r.observationSize, `${length} steps + the final state, × ${r.observationSize} dims`);
      expect('rewards', rewards.length, length, 'one per action');
      if (r.qValues) expect('qValues', r.qValues.length, length * r.actionCount, `${length} steps × ${r.actionCount} actions`);
      for (let i = 0; i < length; i++) {
        if (actions[i] < 0 || actions[i] >= r.actionCount) throw new Error(`${where}: step ${i} has action ${actions[i]}, outside [0, ${r.actionCount - 1}]`);
      }
      let episodeReturn = 0;
      for (let i = 0; i < length; i++) episodeReturn += rewards[i];
      const evaluationId = r.evaluationId ?? null;
      return db.transaction(() => {
        if (runExists.get(r.runId) === undefined) throw new NotFoundError('runs', r.runId);
        if (evaluationId !== null) {
          const owner = evaluationRun.get(evaluationId) as number | undefined;
          if (owner === undefined) throw new NotFoundError('evaluations', evaluationId);
          if (owner !== r.runId) throw new Error(`${where}: evaluation ${evaluationId} belongs to run ${owner}`);
        }
        const info = insert.run(
          r.runId,
          evaluationId,
          r.env,
          r.episodeSeed,
          r.observationSize,
          r.actionCount,
          length,
          episodeReturn,
          r.terminated ? 1 : 0,
          blobFromArray(r.states),
          blobFromArray(actions),
          blobFromArray(rewards),
          r.qValues ? blobFromArray(r.qValues) : null,
          nowIso(),
        );
        return toSummary(selectSummary.get(rowId(info.lastInsertRowid))!);
      })();
    },

    get(id) {
      const row = selectFull.get(id);
      if (!row) throw new NotFoundError('replays', id);
      const what = (column: string) => `replays id ${id}: ${column}`;
      return {
        ...toSummary(row),
        states: arrayFromBlob(Float32Array, row.states, what('states')),
        actions: arrayFromBlob(Int32Array, row.actions, what('actions')),
        rewards: arrayFromBlob(Float32Array, row.rewards, what('rewards')),
        qValues: row.q_values === null ? null : arrayFromBlob(Float32Array, row.q_values, what('q_values')),
      };
    },

    list(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const [column, value] of [
        ['run_id', filter.runId],
        ['evaluation_id', filter.evaluationId],
        ['episode_seed', filter.episodeSeed],
      ] as const) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        params.push(value);
      }
      return db
        .prepare<SummaryRow>(`SELECT ${SUMMARY} FROM replays ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`)
        .all(...params)
        .map(toSummary);
    },

    delete(id) {
      if (deleteRow.run(id).changes === 0) throw new NotFoundError('replays', id);
    },
  };
}
