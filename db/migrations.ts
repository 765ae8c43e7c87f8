/**
 * The schema, as an ordered list of forward-only migrations. Migration i (0-based) takes a database from
 * `PRAGMA user_version` i to i + 1; `openDatabase` runs the missing ones in one transaction. Never edit a
 * migration that has shipped: append a new one (SQLite's ALTER TABLE is limited; for a table rebuild follow
 * https://sqlite.org/lang_altertable.html#otheralter with `PRAGMA defer_foreign_keys = ON`, since foreign_keys
 * cannot be switched off inside the transaction; the runner checks `PRAGMA foreign_key_check` afterwards).
 *
 * Conventions: STRICT tables; ids are INTEGER PRIMARY KEY; times are ISO-8601 UTC text with milliseconds;
 * JSON columns are TEXT checked with json_valid(); arrays of numbers are little-endian typed-array BLOBs.
 * Deleting a run deletes what it owns (metrics, models, evaluations, replays); links between results (a
 * student's teacher, a knowledge base's teacher) are set to NULL; an experiment that still has runs cannot be
 * deleted (RESTRICT), so a trained model is never lost by a click on its experiment.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** What the migration does, for the log and for readers. */
  readonly description: string;
  /** SQL script, or a function for migrations that must transform data. Runs inside the open transaction. */
  readonly up: string | ((db: Database.Database) => void);
}

/** `PRAGMA application_id` of a Distill Studio database ("DSTD"), to tell it from other SQLite files. */
export const APPLICATION_ID = 0x44535444;

/** Steps per metric summary block (`metric_blocks.block = step / 64`); changing it needs a migration. */
export const METRIC_BLOCK_STEPS = 64;

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

const SCHEMA_V1 = /* sql */ `
PRAGMA application_id = ${APPLICATION_ID};

CREATE TABLE experiments (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL CHECK (length(trim(name)) > 0),
  -- validated by the experiment schema (zod) before it gets here; spec_version is that schema's version
  spec         TEXT    NOT NULL CHECK (json_valid(spec)),
  spec_version INTEGER NOT NULL CHECK (spec_version >= 1),
  created_at   TEXT    NOT NULL DEFAULT ${NOW},
  updated_at   TEXT    NOT NULL DEFAULT ${NOW}
) STRICT;

CREATE TABLE runs (
  id               INTEGER PRIMARY KEY,
  experiment_id    INTEGER REFERENCES experiments (id) ON DELETE RESTRICT,
  role             TEXT    NOT NULL CHECK (role IN ('teacher', 'student', 'baseline')),
  status           TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  config           TEXT    NOT NULL CHECK (json_valid(config)),
  seed             INTEGER NOT NULL,
  -- tfjs backend the run trained on, known once it starts
  backend          TEXT,
  -- process id of the process running it, while it is running (see markInterruptedOnStartup)
  owner_pid        INTEGER CHECK (owner_pid IS NULL OR status = 'running'),
  -- lineage: the teacher a student learned from (a run of this studio, or an imported model) and its KB
  teacher_run_id   INTEGER REFERENCES runs (id) ON DELETE SET NULL CHECK (teacher_run_id <> id),
  teacher_model_id INTEGER REFERENCES models (id) ON DELETE SET NULL,
  kb_id            INTEGER REFERENCES knowledge_bases (id) ON DELETE SET NULL,
  summary          TEXT    CHECK (summary IS NULL OR json_valid(summary)),
  error            TEXT,
  created_at       TEXT    NOT NULL DEFAULT ${NOW},
  started_at       TEXT,
  finished_at      TEXT,
  CHECK (status <> 'failed' OR error IS NOT NULL)
) STRICT;
CREATE INDEX runs_by_experiment ON runs (experiment_id, id);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_teacher_run ON runs (teacher_run_id);
CREATE INDEX runs_by_teacher_model ON runs (teacher_model_id);
CREATE INDEX runs_by_kb ON runs (kb_id);

-- One row per (run, metric key); metrics rows refer to it by a small integer instead of repeating the key.
CREATE TABLE metric_series (
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  UNIQUE (run_id, key)
) STRICT;

-- Clustered on (series, step): a series is one contiguous range of the B-tree, so appends in step order and
-- range reads are both sequential. value NULL stands for NaN (SQLite stores NaN as NULL).
CREATE TABLE metrics (
  series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
  step      INTEGER NOT NULL CHECK (step >= 0),
  value     REAL,
  PRIMARY KEY (series_id, step)
) STRICT, WITHOUT ROWID;

-- Min and max (with their steps) of each series over blocks of ${METRIC_BLOCK_STEPS} steps, kept up to date by
-- the metrics repository, so that a downsampled read of a 10⁶-point series touches ~16k rows, not 10⁶.
-- min/max are NULL when every value in the block is NaN.
CREATE TABLE metric_blocks (
  series_id   INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
  block       INTEGER NOT NULL CHECK (block >= 0),
  point_count INTEGER NOT NULL CHECK (point_count > 0),
  min_step    INTEGER,
  min_value   REAL,
  max_step    INTEGER,
  max_value   REAL,
  PRIMARY KEY (series_id, block)
) STRICT, WITHOUT ROWID;

-- A model bundle (core/nn/bundle.ts) in three columns: model.json, weights.bin, meta.json.
CREATE TABLE models (
  id         INTEGER PRIMARY KEY,
  -- NULL for an imported model (trained elsewhere)
  run_id     INTEGER REFERENCES runs (id) ON DELETE CASCADE,
  kind       TEXT    NOT NULL CHECK (kind IN ('final', 'best', 'checkpoint', 'imported')),
  topology   TEXT    NOT NULL CHECK (json_valid(topology) AND json_type(topology) = 'object'),
  weights    BLOB    NOT NULL CHECK (length(weights) % 4 = 0),
  meta       TEXT    NOT NULL CHECK (json_valid(meta) AND json_type(meta) = 'object'),
  created_at TEXT    NOT NULL DEFAULT ${NOW}
) STRICT;
CREATE INDEX models_by_run ON models (run_id, kind);

CREATE TABLE knowledge_bases (
  id               INTEGER PRIMARY KEY,
  -- where the knowledge came from, when it is in this database
  teacher_run_id   INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  teacher_model_id INTEGER REFERENCES models (id) ON DELETE SET NULL,
  env              TEXT    NOT NULL,
  size             INTEGER NOT NULL CHECK (size >= 0),
  observation_size INTEGER NOT NULL CHECK (observation_size > 0),
  action_count     INTEGER NOT NULL CHECK (action_count > 0),
  -- rows per chunk of every column (the last chunk may be shorter)
  chunk_rows       INTEGER NOT NULL CHECK (chunk_rows > 0),
  meta             TEXT    NOT NULL CHECK (json_valid(meta) AND json_type(meta) = 'object'),
  stats            TEXT    NOT NULL CHECK (json_valid(stats) AND json_type(stats) = 'object'),
  created_at       TEXT    NOT NULL DEFAULT ${NOW}
) STRICT;
CREATE INDEX knowledge_bases_by_teacher_run ON knowledge_bases (teacher_run_id);
CREATE INDEX knowledge_bases_by_teacher_model ON knowledge_bases (teacher_model_id);

-- Each column of a KnowledgeBase (core/kb/knowledge-base.ts) as BLOBs of chunk_rows rows, so that no single
-- value is huge and a 10⁶-row KB is ~16 rows per column.
CREATE TABLE knowledge_base_chunks (
  kb_id       INTEGER NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
  column_name TEXT    NOT NULL
              CHECK (column_name IN ('states', 'actions', 'rewards', 'nextStates', 'terminated', 'episodeEnd', 'episode', 'teacherQ')),
  chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0),
  data        BLOB    NOT NULL,
  PRIMARY KEY (kb_id, column_name, chunk_index)
) STRICT;

CREATE TABLE evaluations (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  model_id   INTEGER REFERENCES models (id) ON DELETE SET NULL,
  -- final: the reported score; validation: periodic, during training; random: a uniform-random policy on the
  -- same seeds (the 0 of normalised scores)
  kind       TEXT    NOT NULL CHECK (kind IN ('final', 'validation', 'random')),
  -- env step of the run at which it was evaluated
  step       INTEGER CHECK (step >= 0),
  episodes   INTEGER NOT NULL CHECK (episodes >= 0),
  -- NULL stands for NaN (e.g. ci95 of one episode)
  mean       REAL,
  std        REAL,
  ci95       REAL,
  min        REAL,
  max        REAL,
  returns    TEXT    NOT NULL CHECK (json_valid(returns) AND json_type(returns) = 'array' AND json_array_length(returns) = episodes),
  seeds      TEXT    NOT NULL CHECK (json_valid(seeds) AND json_type(seeds) = 'array' AND json_array_length(seeds) = episodes),
  lengths    TEXT    CHECK (lengths IS NULL OR (json_valid(lengths) AND json_type(lengths) = 'array' AND json_array_length(lengths) = episodes)),
  extra      TEXT    CHECK (extra IS NULL OR (json_valid(extra) AND json_type(extra) = 'object')),
  created_at TEXT    NOT NULL DEFAULT ${NOW}
) STRICT;
CREATE INDEX evaluations_by_run ON evaluations (run_id, kind, step);
CREATE INDEX evaluations_by_model ON evaluations (model_id);

-- The latest checkpoint of a run (network, optimizer, replay buffer, RNG and loop state), to resume it after
-- an interruption; replaced at every save. data is the checkpoint object in Node's structured-clone format
-- (format 'v8': node:v8 serialize), which keeps its typed arrays as they are.
CREATE TABLE checkpoints (
  run_id     INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  step       INTEGER NOT NULL CHECK (step >= 0),
  format     TEXT    NOT NULL CHECK (format IN ('v8')),
  data       BLOB    NOT NULL,
  created_at TEXT    NOT NULL DEFAULT ${NOW}
) STRICT;

-- One greedy episode, step by step, for the replay viewer. states holds s_0 … s_T (episode_length + 1 rows,
-- the final state included); actions, rewards and q_values hold one row per step.
CREATE TABLE replays (
  id               INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  evaluation_id    INTEGER REFERENCES evaluations (id) ON DELETE CASCADE,
  env              TEXT    NOT NULL,
  episode_seed     INTEGER NOT NULL,
  observation_size INTEGER NOT NULL CHECK (observation_size > 0),
  action_count     INTEGER NOT NULL CHECK (action_count > 0),
  episode_length   INTEGER NOT NULL CHECK (episode_length >= 0),
  episode_return   REAL    NOT NULL,
  terminated       INTEGER NOT NULL CHECK (terminated IN (0, 1)),
  states           BLOB    NOT NULL CHECK (length(states) = 4 * observation_size * (episode_length + 1)),
  actions          BLOB    NOT NULL CHECK (length(actions) = 4 * episode_length),
  rewards          BLOB    NOT NULL CHECK (length(rewards) = 4 * episode_length),
  q_values         BLOB    CHECK (q_values IS NULL OR length(q_values) = 4 * action_count * episode_length),
  created_at       TEXT    NOT NULL DEFAULT ${NOW}
) STRICT;
CREATE INDEX replays_by_run ON replays (run_id, episode_seed);
CREATE INDEX replays_by_evaluation ON replays (evaluation_id);
`;

/**
 * Version 2: every metric series records the unit of its steps (its x-axis). Version-1 series are env steps,
 * except those of offline students, which counted gradient updates (they take no env steps): a student run's
 * mode is read from its stored config (an experiment job's `job.config.mode` or a CLI run's `cli.mode`; v1's
 * default mode was offline).
 */
const METRIC_UNITS_V2 = /* sql */ `
ALTER TABLE metric_series ADD COLUMN unit TEXT NOT NULL DEFAULT 'env_steps' CHECK (unit IN ('env_steps', 'gradient_updates'));
UPDATE metric_series SET unit = 'gradient_updates'
 WHERE run_id IN (SELECT id FROM runs WHERE role = 'student'
                    AND coalesce(json_extract(config, '$.job.config.mode'), json_extract(config, '$.cli.mode'), 'offline') = 'offline');
`;

export const MIGRATIONS: readonly Migration[] = [
  { description: 'initial schema', up: SCHEMA_V1 },
  { description: 'metric series x-axis units', up: METRIC_UNITS_V2 },
];

/** The schema version this build writes: `PRAGMA user_version` after all migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database from its `user_version` to SCHEMA_VERSION in one IMMEDIATE transaction (so two
 * connections opening a new file at once do not both migrate). Returns the versions before and after.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const run = db.transaction(() => {
    const from = version();
    for (let v = from; v < migrations.length; v++) {
      const m = migrations[v];
      try {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
      } catch (err) {
        throw new Error(`migration ${v + 1} (${m.description}) failed: ${(err as Error).message}`);
      }
      db.pragma(`user_version = ${v + 1}`);
    }
    if (from < migrations.length) {
      const violations = db.pragma('foreign_key_check') as unknown[];
      if (violations.length) throw new Error(`migrations left ${violations.length} foreign-key violation(s): ${JSON.stringify(violations.slice(0, 3))}`);
    }
    return { from, to: Math.max(from, migrations.length) };
  });
  return run.immediate();
}
