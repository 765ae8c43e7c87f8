/**
 * Stand-alone CLI runs (train-teacher, distill, baseline) are stored in the database like experiment runs:
 * a run row with its config, seed, backend and status, its metrics, its final model and evaluation.
 */
import type { MetricPoint } from '../../core/dqn/train-teacher.ts';
import type { EncodedBundle } from '../../core/nn/bundle.ts';
import { CancelledError } from '../../core/training/errors.ts';
import type { RunRole, StudioDb } from '../../db/index.ts';
import { openDbFlag } from './shared.ts';

export interface RecordedResult<S extends Record<string, unknown> = Record<string, unknown>> {
  readonly summary: S;
  readonly model: EncodedBundle;
  readonly evaluation: { returns: number[]; seeds: number[]; lengths: number[]; mean: number; std: number; ci95: number; step: number; extra?: Record<string, unknown> };
}

export async function recordRun<S extends Record<string, unknown>>(
  dbFlag: string | boolean | undefined,
  run: { role: RunRole; env: string; name: string; config: unknown; seed: number; backend: string },
  body: (onMetrics: (points: MetricPoint[]) => void) => Promise<RecordedResult<S>>,
): Promise<{ runId: number; db: string; result: RecordedResult<S> }> {
  const db: StudioDb = await openDbFlag(dbFlag);
  try {
    const row = db.runs.create({ role: run.role, config: { env: run.env, name: run.name, cli: run.config }, seed: run.seed });
    db.runs.setStatus(row.id, 'running', { backend: run.backend, owner: process.pid });
    let result: RecordedResult<S>;
    try {
      result = await body((points) => void db.metrics.append(row.id, points));
    } catch (err) {
      db.runs.setStatus(row.id, err instanceof CancelledError ? 'cancelled' : 'failed', { error: (err as Error).message });
      throw err;
    }
    db.transaction(() => {
      const model = db.models.save({ runId: row.id, kind: 'final', bundle: result.model });
      const e = result.evaluation;
      db.evaluations.save({ runId: row.id, modelId: model.id, kind: 'final', step: e.step, returns: e.returns, seeds: e.seeds, lengths: e.lengths, mean: e.mean, std: e.std, ci95: e.ci95, extra: e.extra ?? null });
      db.runs.setStatus(row.id, 'completed', { summary: result.summary });
    });
    return { runId: row.id, db: db.file, result };
  } finally {
    db.close();
  }
}
