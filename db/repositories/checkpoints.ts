/**
 * Checkpoints: the latest resumable state of a run (TeacherCheckpoint, StudentCheckpoint: networks, optimizer
 * moments, replay buffer, RNG and loop counters). One per run, replaced at each save, stored in Node's
 * structured-clone format (node:v8), which round-trips plain objects, arrays, numbers, strings, null and typed
 * arrays exactly; class instances come back as plain objects and functions cannot be stored.
 */
import v8 from 'node:v8';
import type Database from 'better-sqlite3';
import { nowIso } from '../codec.ts';
import { NotFoundError } from '../errors.ts';

export interface StoredCheckpoint<T> {
  readonly runId: number;
  /** The run's budget step the checkpoint was taken at (env steps for a teacher). */
  readonly step: number;
  readonly value: T;
  /** Size of the serialised checkpoint. */
  readonly bytes: number;
  readonly createdAt: string;
}

export interface CheckpointsRepository {
  /** Stores the run's checkpoint at `step`, replacing any earlier one. */
  save(runId: number, step: number, value: unknown): void;
  /** The run's checkpoint, or null when it has none. The caller knows (and should check) its shape. */
  load<T = unknown>(runId: number): StoredCheckpoint<T> | null;
  /** Step, size and time of the run's checkpoint without reading it (null when there is none). */
  info(runId: number): { step: number; bytes: number; createdAt: string } | null;
  /** Drops the run's checkpoint (once it completed, or to restart it from scratch); no-op when there is none. */
  delete(runId: number): void;
}

interface Row {
  step: number;
  format: string;
  data: Buffer;
  created_at: string;
}

export function createCheckpointsRepository(db: Database.Database): CheckpointsRepository {
  const upsert = db.prepare(
    `INSERT INTO checkpoints (run_id, step, format, data, created_at) VALUES (?, ?, 'v8', ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET step = excluded.step, format = excluded.format, data = excluded.data, created_at = excluded.created_at`,
  );
  const selectOne = db.prepare<Row>('SELECT step, format, data, created_at FROM checkpoints WHERE run_id = ?');
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck();
  const deleteRow = db.prepare('DELETE FROM checkpoints WHERE run_id = ?');
  const selectInfo = db.prepare<{ step: number; bytes: number; created_at: string }>('SELECT step, length(data) AS bytes, created_at FROM checkpoints WHERE run_id = ?');
  const requireRun = (runId: number) => {
    if (runExists.get(runId) === undefined) throw new NotFoundError('runs', runId);
  };

  return {
    save(runId, step, value) {
      if (!Number.isSafeInteger(step) || step < 0) throw new Error(`checkpoint of run ${runId}: step must be a non-negative integer, got ${step}`);
      let data: Buffer;
      try {
        data = v8.serialize(value);
      } catch (err) {
        throw new Error(`checkpoint of run ${runId}: cannot be serialised (${(err as Error).message})`);
      }
      db.transaction(() => {
        requireRun(runId);
        upsert.run(runId, step, data, nowIso());
      })();
    },

    load<T>(runId: number): StoredCheckpoint<T> | null {
      const row = selectOne.get(runId);
      if (!row) {
        requireRun(runId);
        return null;
      }
      if (row.format !== 'v8') throw new Error(`checkpoints run_id ${runId}: unknown format ${JSON.stringify(row.format)}`);
      let value: T;
      try {
        value = v8.deserialize(row.data) as T;
      } catch (err) {
        throw new Error(`checkpoints run_id ${runId}: stored checkpoint is corrupt (${(err as Error).message})`);
      }
      return { runId, step: row.step, value, bytes: row.data.byteLength, createdAt: row.created_at };
    },

    info(runId) {
      const row = selectInfo.get(runId);
      return row ? { step: row.step, bytes: row.bytes, createdAt: row.created_at } : null;
    },

    delete(runId) {
      deleteRow.run(runId);
    },
  };
}
