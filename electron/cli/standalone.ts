/**
 * The stand-alone commands (train-teacher, distill, baseline) create runs and execute them on the studio's job
 * path like any experiment run: checkpoints, Ctrl-C cancels, and `resume RUN` continues them. This runs them to
 * the end with a progress bar on a terminal, and reads back what the run stored.
 */
import { bundleOf } from '../../core/io/stored-model.ts';
import type { EncodedBundle } from '../../core/nn/bundle.ts';
import type { EvaluationRecord, RunRecord } from '../../db/index.ts';
import type { RunProgress } from '../api/contract.ts';
import type { CreatedRuns } from '../service/runs.ts';
import type { Studio } from '../service/studio.ts';
import type { CommandIo } from './main.ts';
import { ProgressBar } from './progress.ts';
import { cancellableOnSigint } from './studio.ts';

export interface StandaloneResult {
  readonly run: RunRecord;
  readonly summary: Record<string, unknown>;
  readonly model: EncodedBundle;
  readonly evaluation: EvaluationRecord;
}

export async function runStandalone(
  studio: Studio,
  created: CreatedRuns,
  o: { io: CommandIo; label: string; onStarted?: (backend: string) => void; extra?: (p: RunProgress) => string },
): Promise<StandaloneResult> {
  const ids = created.runs.map((r) => r.runId);
  const main = ids[ids.length - 1];
  const bar = new ProgressBar(o.label);
  const offProgress = studio.on('runProgress', (e) => {
    if (e.runId === main) bar.update(e.progress.step, e.progress.total, e.progress.etaSeconds, o.extra?.(e.progress) ?? '');
  });
  const offStatus = studio.on('runStatus', (e) => {
    if (e.runId === main && e.status === 'running') o.onStarted?.(studio.selectedBackend ?? 'auto');
  });
  let outcomes;
  try {
    outcomes = await cancellableOnSigint(studio, () => ids, o.io, studio.execute(ids));
  } finally {
    offProgress();
    offStatus();
    bar.done();
  }
  outcomes.forEach((outcome, i) => {
    const id = ids[i];
    if (outcome.status === 'completed') return;
    if (outcome.status === 'failed' || outcome.status === 'refused') throw new Error(`run ${id}: ${outcome.error}`);
    throw new Error(`run ${id} was ${outcome.status}; continue it with: distill-studio resume ${id} --db ${studio.db.file}`);
  });
  const run = studio.db.runs.get(main);
  const modelId = studio.db.models.list({ runId: main, kind: 'final' }).at(-1)?.id;
  const evaluation = studio.db.evaluations.latestFinal(main);
  if (modelId === undefined || !evaluation) throw new Error(`run ${main} completed without a model or an evaluation`);
  return { run, summary: (run.summary ?? {}) as Record<string, unknown>, model: bundleOf(studio.db.models.get(modelId).bundle, `model ${modelId}`), evaluation };
}
