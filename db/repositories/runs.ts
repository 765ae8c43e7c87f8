/**
 * Runs: one training job (a teacher, a student, or a from-scratch baseline) and its life cycle:
 *
 *   queued ──claim──► running ──► completed | failed | cancelled | interrupted
 *     │  ▲                                               │         │         │
 *     │  └──────────── requeue (resume) ◄────────────────┴─────────┴─────────┘
 *     └► cancelled | failed | interrupted (the studio stopped before it started)
 *
 * `interrupted` means the process died or quit while the run was running or waiting (see
 * markInterruptedOnStartup); such a run can be resumed (metrics.deleteAfter drops the points past the
 * checkpoint) or abandoned. A cancelled or failed run can be reopened (`requeue`) to continue from its
 * checkpoint; only `completed` is final. Claiming a run for execution (`claim`) is one atomic statement, so two
 * processes can never both run it.
 */
import type Database from 'better-sqlite3';
import { jsonDecode, jsonEncode, nowIso, rowId } from '../codec.ts';
import { NotFoundError, RunClaimError } from '../errors.ts';
import { processIsAlive } from '../../core/util/safe-output.ts';

export { processIsAlive };

export const RUN_ROLES = ['teacher', 'student', 'baseline'] as const;
export type RunRole = (typeof RUN_ROLES)[number];

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * The status changes setStatus allows. Only completed is final: a failed, cancelled or interrupted run can go
 * back to queued (a resume from its checkpoint), and a queued run becomes interrupted when the studio that
 * was going to run it stops.
 */
export const RUN_TRANSITIONS: { readonly [S in RunStatus]: readonly RunStatus[] } = {
  queued: ['running', 'cancelled', 'failed', 'interrupted'],
  running: ['completed', 'failed', 'cancelled', 'interrupted'],
  interrupted: ['running', 'queued', 'cancelled', 'failed'],
  completed: [],
  failed: ['queued'],
  cancelled: ['queued'],
};

/** Error recorded on runs found `running` at startup. */
export const INTERRUPTED_MESSAGE = 'Distill Studio stopped while the run was running';

/** Per-experiment figures for lists (one query for all experiments). */
export interface ExperimentRunStats {
  readonly counts: Readonly<Record<RunStatus, number>>;
  readonly total: number;
  /** Best normalised score of a completed student, and that run. */
  readonly bestStudentScore: number | null;
  readonly bestStudentRunId: number | null;
  /** The completed teacher's greedy test return. */
  readonly teacherReturn: number | null;
}

export interface NewRun {
  readonly experimentId?: number | null;
  readonly role: RunRole;
  /** The run's validated config (DqnConfig, DistillConfig, …); stored as JSON. */
  readonly config: unknown;
  readonly seed: number;
  readonly backend?: string | null;
  readonly teacherRunId?: number | null;
  readonly teacherModelId?: number | null;
  readonly kbId?: number | null;
}

export interface RunRecord {
  readonly id: number;
  readonly experimentId: number | null;
  readonly role: RunRole;
  readonly status: RunStatus;
  readonly config: unknown;
  readonly seed: number;
  readonly backend: string | null;
  /** Process id of the process running it, while it is `running` and the runner said so. */
  readonly ownerPid: number | null;
  readonly teacherRunId: number | null;
  readonly teacherModelId: number | null;
  readonly kbId: number | null;
  readonly summary: unknown;
  readonly error: string | null;
  readonly createdAt: string;
  /** First time the run went to `running` (kept across resumes). */
  readonly startedAt: string | null;
  /** When it reached completed, failed or cancelled. */
  readonly finishedAt: string | null;
}

export interface RunFilter {
  /** A number, or null for runs outside any experiment. */
  readonly experimentId?: number | null;
  readonly role?: RunRole | readonly RunRole[];
  readonly status?: RunStatus | readonly RunStatus[];
}

export interface StatusDetails {
  /** Required for `failed`; allowed for `cancelled` and `interrupted`; cleared when the run (re)starts. */
  readonly error?: string;
  /** The backend the run trains on (usually given with `running`). */
  readonly backend?: string;
  /**
   * With `running`: the process id of the process that runs it (process.pid; worker threads share it), so
   * that markInterruptedOnStartup in another process leaves a live run alone. Cleared when it stops running.
   */
  readonly owner?: number;
  /** Replaces the summary (usually given with `completed`). */
  readonly summary?: unknown;
}

export interface RunsRepository {
  create(run: NewRun): RunRecord;
  /** Throws NotFoundError for an unknown id. */
  get(id: number): RunRecord;
  /** Runs in creation order, filtered. */
  list(filter?: RunFilter): RunRecord[];
  /** Moves a run along RUN_TRANSITIONS; any other change throws and leaves the run as it was. */
  setStatus(id: number, status: RunStatus, details?: StatusDetails): RunRecord;
  setSummary(id: number, summary: unknown): void;
  /**
   * Atomically takes a queued or interrupted run for execution by `owner` (one UPDATE: of two processes that
   * try at once, exactly one wins). Throws RunClaimError, writing nothing, when the run is running (naming the
   * process), completed, or otherwise not waiting to run; NotFoundError for an unknown id.
   */
  claim(id: number, details: { owner: number; backend?: string }): RunRecord;
  /**
   * Reopens an interrupted, cancelled or failed run as queued (to be resumed from its checkpoint); a queued run
   * is returned as it is. Throws RunClaimError for a running or completed run, writing nothing.
   */
  requeue(id: number): RunRecord;
  /** Run counts by status, best student score and teacher return per experiment (all, or the given one). */
  statsByExperiment(experimentId?: number): Map<number, ExperimentRunStats>;
  /**
   * Marks `interrupted` every `running` run whose process is gone, and returns their ids: runs without an
   * owner pid, and runs whose owner is not alive (by `isAlive`, default: a signal-0 probe; this process
   * counts as alive). Call at startup, before this process starts runners.
   */
  markInterruptedOnStartup(isAlive?: (pid: number) => boolean): number[];
  /** Deletes a run and what it owns (metrics, models, evaluations, replays); a running run is refused. */
  delete(id: number): void;
}

interface Row {
  id: number;
  experiment_id: number | null;
  role: RunRole;
  status: RunStatus;
  config: string;
  seed: number;
  backend: string | null;
  owner_pid: number | null;
  teacher_run_id: number | null;
  teacher_model_id: number | null;
  kb_id: number | null;
  summary: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const FINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

function oneOrMany<T extends string>(value: T | readonly T[] | undefined, allowed: readonly T[], field: string): readonly T[] | undefined {
  if (value === undefined) return undefined;
  const list: readonly T[] = typeof value === 'string' ? [value] : value;
  for (const v of list) if (!allowed.includes(v)) throw new Error(`runs.list: unknown ${field} ${JSON.stringify(v)}; known: ${allowed.join(', ')}`);
  return list;
}

function optionalId(value: number | null | undefined, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`run: ${field} must be a positive integer id, got ${value}`);
  return value;
}

export function createRunsRepository(db: Database.Database): RunsRepository {
  const insert = db.prepare(
    `INSERT INTO runs (experiment_id, role, status, config, seed, backend, teacher_run_id, teacher_model_id, kb_id, created_at)
     VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectOne = db.prepare<Row>('SELECT * FROM runs WHERE id = ?');
  const exists = (table: string) => db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).pluck();
  const existsIn = { experiments: exists('experiments'), runs: exists('runs'), models: exists('models'), knowledge_bases: exists('knowledge_bases') };
  const updateStatus = db.prepare(
    `UPDATE runs SET status = @status, error = @error, backend = COALESCE(@backend, backend), owner_pid = @owner,
       summary = CASE WHEN @setSummary THEN @summary ELSE summary END,
       started_at = CASE WHEN @status = 'running' THEN COALESCE(started_at, @now) ELSE started_at END,
       finished_at = CASE WHEN @final THEN @now ELSE NULL END
     WHERE id = @id`,
  );
  const updateSummary = db.prepare('UPDATE runs SET summary = ? WHERE id = ?');
  const selectRunning = db.prepare<{ id: number; owner_pid: number | null }>(`SELECT id, owner_pid FROM runs WHERE status = 'running' ORDER BY id`);
  const interrupt = db.prepare(`UPDATE runs SET status = 'interrupted', owner_pid = NULL, error = COALESCE(error, ?) WHERE id = ? AND status = 'running'`);
  const deleteRow = db.prepare('DELETE FROM runs WHERE id = ?');
  const claimRow = db.prepare(
    `UPDATE runs SET status = 'running', error = NULL, backend = COALESCE(@backend, backend), owner_pid = @owner,
       started_at = COALESCE(started_at, @now), finished_at = NULL
     WHERE id = @id AND status IN ('queued', 'interrupted')`,
  );
  const statsFilter = (alias = '') => `${alias}experiment_id IS NOT NULL AND (@e IS NULL OR ${alias}experiment_id = @e)`;
  const countsByExperiment = db.prepare<{ e: number; status: RunStatus; n: number }>(
    `SELECT experiment_id AS e, status, COUNT(*) AS n FROM runs WHERE ${statsFilter()} GROUP BY experiment_id, status`,
  );
  const bestStudents = db.prepare<{ e: number; id: number; score: number }>(
    `SELECT experiment_id AS e, id, score FROM (
       SELECT experiment_id, id, json_extract(summary, '$.normalizedScore') AS score,
              ROW_NUMBER() OVER (PARTITION BY experiment_id ORDER BY json_extract(summary, '$.normalizedScore') DESC, id) AS rank
       FROM runs WHERE ${statsFilter()} AND role = 'student' AND status = 'completed' AND json_type(summary, '$.normalizedScore') IN ('real', 'integer'))
     WHERE rank = 1`,
  );
  const teacherReturns = db.prepare<{ e: number; ret: number }>(
    `SELECT experiment_id AS e, json_extract(summary, '$.evalMean') AS ret FROM runs
     WHERE ${statsFilter()} AND role = 'teacher' AND status = 'completed' AND json_type(summary, '$.evalMean') IN ('real', 'integer') ORDER BY id`,
  );

  const toRecord = (r: Row): RunRecord => ({
    id: r.id,
    experimentId: r.experiment_id,
    role: r.role,
    status: r.status,
    config: jsonDecode(r.config, `runs id ${r.id}: config`),
    seed: r.seed,
    backend: r.backend,
    ownerPid: r.owner_pid,
    teacherRunId: r.teacher_run_id,
    teacherModelId: r.teacher_model_id,
    kbId: r.kb_id,
    summary: r.summary === null ? null : jsonDecode(r.summary, `runs id ${r.id}: summary`),
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  });
  const get = (id: number): RunRecord => {
    const row = selectOne.get(id);
    if (!row) throw new NotFoundError('runs', id);
    return toRecord(row);
  };
  /** Why a run cannot be claimed or reopened now. */
  const notRunnable = (run: RunRecord): RunClaimError => {
    if (run.status === 'running') {
      return new RunClaimError(run.id, 'running', `run ${run.id} is running${run.ownerPid !== null ? ` in process ${run.ownerPid}` : ''}`, run.ownerPid);
    }
    if (run.status === 'completed') return new RunClaimError(run.id, 'completed', `run ${run.id} has already completed`);
    return new RunClaimError(run.id, 'not-claimable', `run ${run.id} is ${run.status}: resume it to run it again`);
  };
  const requireRow = (table: keyof typeof existsIn, id: number | null) => {
    if (id !== null && existsIn[table].get(id) === undefined) throw new NotFoundError(table, id);
  };

  return {
    create(run) {
      if (!RUN_ROLES.includes(run.role)) throw new Error(`run: role must be one of ${RUN_ROLES.join(', ')}, got ${JSON.stringify(run.role)}`);
      if (!Number.isSafeInteger(run.seed)) throw new Error(`run: seed must be an integer, got ${run.seed}`);
      const experimentId = optionalId(run.experimentId, 'experimentId');
      const teacherRunId = optionalId(run.teacherRunId, 'teacherRunId');
      const teacherModelId = optionalId(run.teacherModelId, 'teacherModelId');
      const kbId = optionalId(run.kbId, 'kbId');
      return db.transaction(() => {
        requireRow('experiments', experimentId);
        requireRow('runs', teacherRunId);
        requireRow('models', teacherModelId);
        requireRow('knowledge_bases', kbId);
        const info = insert.run(experimentId, run.role, jsonEncode(run.config, 'run config'), run.seed, run.backend ?? null, teacherRunId, teacherModelId, kbId, nowIso());
        return get(rowId(info.lastInsertRowid));
      })();
    },

    get,

    list(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.experimentId === null) where.push('experiment_id IS NULL');
      else if (filter.experimentId !== undefined) {
        where.push('experiment_id = ?');
        params.push(filter.experimentId);
      }
      for (const [column, list] of [
        ['role', oneOrMany(filter.role, RUN_ROLES, 'role')],
        ['status', oneOrMany(filter.status, RUN_STATUSES, 'status')],
      ] as const) {
        if (list === undefined) continue;
        where.push(list.length ? `${column} IN (${list.map(() => '?').join(', ')})` : '0');
        params.push(...list);
      }
      const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
      return db.prepare<Row>(sql).all(...params).map(toRecord);
    },

    setStatus(id, status, details = {}) {
      if (!RUN_STATUSES.includes(status)) throw new Error(`run ${id}: unknown status ${JSON.stringify(status)}; known: ${RUN_STATUSES.join(', ')}`);
      return db.transaction(() => {
        const current = get(id);
        if (!RUN_TRANSITIONS[current.status].includes(status)) {
          const allowed = RUN_TRANSITIONS[current.status];
          throw new Error(`run ${id}: cannot go from ${current.status} to ${status} (from ${current.status}: ${allowed.length ? allowed.join(', ') : 'none, it is final'})`);
        }
        if (status === 'failed' && !details.error) throw new Error(`run ${id}: a failed run needs an error message`);
        if (details.error !== undefined && (status === 'running' || status === 'completed')) throw new Error(`run ${id}: an error message does not go with status ${status}`);
        if (details.owner !== undefined && (status !== 'running' || !Number.isSafeInteger(details.owner) || details.owner < 1)) {
          throw new Error(`run ${id}: owner must be a process id given with status running, got ${details.owner} with ${status}`);
        }
        updateStatus.run({
          id,
          status,
          error: details.error ?? (status === 'interrupted' ? INTERRUPTED_MESSAGE : null),
          backend: details.backend ?? null,
          owner: details.owner ?? null,
          setSummary: details.summary !== undefined ? 1 : 0,
          summary: details.summary !== undefined ? jsonEncode(details.summary, `run ${id} summary`) : null,
          final: FINAL.has(status) ? 1 : 0,
          now: nowIso(),
        });
        return get(id);
      }).immediate();
    },

    setSummary(id, summary) {
      if (updateSummary.run(jsonEncode(summary, `run ${id} summary`), id).changes === 0) throw new NotFoundError('runs', id);
    },

    claim(id, details) {
      if (!Number.isSafeInteger(details.owner) || details.owner < 1) throw new Error(`run ${id}: owner must be a process id, got ${details.owner}`);
      return db.transaction(() => {
        if (claimRow.run({ id, owner: details.owner, backend: details.backend ?? null, now: nowIso() }).changes === 1) return get(id);
        throw notRunnable(get(id));
      }).immediate();
    },

    requeue(id) {
      return db.transaction(() => {
        const run = get(id);
        if (run.status === 'queued') return run;
        if (run.status === 'running' || run.status === 'completed') throw notRunnable(run);
        updateStatus.run({ id, status: 'queued', error: null, backend: null, owner: null, setSummary: 0, summary: null, final: 0, now: nowIso() });
        return get(id);
      }).immediate();
    },

    statsByExperiment(experimentId) {
      const e = experimentId ?? null;
      const stats = new Map<number, { counts: Record<RunStatus, number>; total: number; bestStudentScore: number | null; bestStudentRunId: number | null; teacherReturn: number | null }>();
      const of = (id: number) => {
        let s = stats.get(id);
        if (!s) {
          s = { counts: Object.fromEntries(RUN_STATUSES.map((k) => [k, 0])) as Record<RunStatus, number>, total: 0, bestStudentScore: null, bestStudentRunId: null, teacherReturn: null };
          stats.set(id, s);
        }
        return s;
      };
      for (const r of countsByExperiment.all({ e })) {
        const s = of(r.e);
        s.counts[r.status] = r.n;
        s.total += r.n;
      }
      for (const r of bestStudents.all({ e })) Object.assign(of(r.e), { bestStudentScore: r.score, bestStudentRunId: r.id });
      for (const r of teacherReturns.all({ e })) of(r.e).teacherReturn = r.ret;
      return stats;
    },

    markInterruptedOnStartup(isAlive = processIsAlive) {
      // A read first: in the usual case (nothing to mark) no write lock is taken, so listing runs never waits
      // for another process's long write.
      if (!selectRunning.all().some((r) => r.owner_pid === null || !isAlive(r.owner_pid))) return [];
      return db.transaction(() => {
        const gone = selectRunning.all().filter((r) => r.owner_pid === null || !isAlive(r.owner_pid));
        for (const r of gone) interrupt.run(INTERRUPTED_MESSAGE, r.id);
        return gone.map((r) => r.id);
      }).immediate();
    },

    delete(id) {
      db.transaction(() => {
        const run = get(id);
        if (run.status === 'running') throw new Error(`run ${id} is running: cancel it before deleting it`);
        deleteRow.run(id);
      })();
    },
  };
}
