/**
 * Offline distillation: the student never acts; each gradient update samples a minibatch of KB training rows
 * (supervised: each row's stored teacher Q is its soft target; teacher: a live forward pass on the rows'
 * states) with the rows' transitions for L_hard. The budget, and every metric's x-axis, is gradient updates.
 */
import { METRIC_KEYS } from '../metrics.ts';
import { KbBatches } from './targets.ts';
import type { StudentCheckpoint, StudentRun } from './train-student.ts';

export async function distillOffline(run: StudentRun, resume?: StudentCheckpoint): Promise<{ envSteps: number; gradientSteps: number }> {
  const { config, learner, target, student, alpha, session, validator, streams } = run;
  const batches = new KbBatches(run.kb!, run.trainRows, config.batchSize, { monteCarloGamma: config.hardLoss === 'mc' ? config.gamma : null });
  let updates = resume?.step ?? 0;
  const status = () => ({ step: updates, gradientSteps: updates, epsilon: 0, recentReturn: null, lastEval: validator.last() });

  while (updates < config.steps) {
    learner.step(batches.sample(streams.sample, run.soft), alpha.valueAt(updates));
    updates++;
    if (target && updates % config.targetUpdateInterval === 0) target.updateFrom(student);

    if (session.metricTick.due(updates)) recordLosses(run, updates);
    if (validator.tick.due(updates)) alpha.observeStudentReturn((await validator.run(updates, student)).mean);
    await session.endOfStep(status(), () => run.checkpoint(updates, 0, updates, null));
  }
  checkLastLosses(run, updates);
  session.finish(status());
  return { envSteps: 0, gradientSteps: updates };
}

/** The updates after the last record are checked for divergence too. */
export function checkLastLosses(run: StudentRun, step: number): void {
  const s = run.learner.drainStats();
  if (s.steps > 0) run.session.checkFinite('distillation loss', s.loss, step, 'try a lower learningRate, or maxGradNorm > 0');
}

/** Loss means since the last record (a divergence check), α, and the retrieval window when there is one. */
export function recordLosses(run: StudentRun, step: number): void {
  const { learner, session, alpha } = run;
  const s = learner.drainStats();
  if (s.steps > 0) {
    session.checkFinite('distillation loss', s.loss, step, 'try a lower learningRate, or maxGradNorm > 0');
    session.emit(step, METRIC_KEYS.distillLoss, s.loss);
    session.emit(step, METRIC_KEYS.hardLoss, s.hard);
    session.emit(step, METRIC_KEYS.softLoss, s.soft);
  }
  session.emit(step, METRIC_KEYS.alpha, alpha.valueAt(step));
  session.flush();
}
