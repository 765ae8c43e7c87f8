/**
 * The compare view's runs (issue 8): every run of the chosen experiments (and any run named by id), each with
 * its whole configuration, every result figure the jobs recorded (return with its CI, normalised score and its
 * CI, µs per action, agreement and Q-RMSE on held-out KB states) and its lineage (teacher, model, knowledge
 * base, students). One query per table for the lineage, one small query per run for its final evaluation.
 */
import { scoreScale } from '../../core/eval/score.ts';
import { studentUsesKb } from '../../core/experiment/plan.ts';
import type { RunRecord, StudioDb } from '../../db/index.ts';
import type { CompareRunView, CompareView, RequestArgs, RunProgress } from '../api/contract.ts';
import { stepUnitOf } from './execution.ts';
import { episodesOf } from './replays.ts';
import { storedConfig } from './runs.ts';
import { runViews } from './views.ts';

type Summary = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The runs named by the request, experiments first (in id order), without duplicates. */
function selectedRuns(db: StudioDb, args: RequestArgs<'compareRuns'>): RunRecord[] {
  const seen = new Set<number>();
  const out: RunRecord[] = [];
  for (const experimentId of args.experimentIds) {
    db.experiments.get(experimentId); // not_found for an unknown id
    for (const r of db.runs.list({ experimentId })) if (!seen.has(r.id) && seen.add(r.id)) out.push(r);
  }
  for (const id of args.runIds) if (!seen.has(id)) out.push(db.runs.get(id)), seen.add(id);
  return out;
}

/** The budget a run trains for, in the unit of its metric series. */
function budgetOf(run: RunRecord): number | null {
  const job = storedConfig(run)?.job;
  if (!job) return num((run.summary as Summary | null)?.envSteps);
  if (job.kind === 'teacher') return job.train ? job.train.totalSteps : null;
  if (job.kind === 'student') return job.config.steps;
  return job.config.totalSteps;
}

export function compareRuns(db: StudioDb, args: RequestArgs<'compareRuns'>, progressOf: (runId: number) => RunProgress | null): CompareView {
  const runs = selectedRuns(db, args);
  if (runs.length > 2000) throw new Error(`compareRuns: ${runs.length} runs selected; compare at most 2,000 at a time`);
  const views = runViews(db, runs, progressOf);
  const experimentNames = new Map<number, string>();
  for (const r of runs) if (r.experimentId !== null && !experimentNames.has(r.experimentId)) experimentNames.set(r.experimentId, db.experiments.get(r.experimentId).name);

  // Lineage: the students of every selected teacher (in its experiment, or anywhere for a stand-alone teacher).
  const teacherIds = new Set(runs.filter((r) => r.role === 'teacher').map((r) => r.id));
  const studentsOf = new Map<number, number[]>();
  const scanned = new Set<number | null>();
  for (const r of runs) {
    if (r.role !== 'teacher' || scanned.has(r.experimentId)) continue;
    scanned.add(r.experimentId);
    for (const s of db.runs.list(r.experimentId === null ? {} : { experimentId: r.experimentId })) {
      if (s.teacherRunId !== null && teacherIds.has(s.teacherRunId)) studentsOf.set(s.teacherRunId, [...(studentsOf.get(s.teacherRunId) ?? []), s.id]);
    }
  }
  const kbOfTeacher = new Map<number, number | null>();
  const kbOf = (teacherRunId: number | null): number | null => {
    if (teacherRunId === null) return null;
    if (!kbOfTeacher.has(teacherRunId)) kbOfTeacher.set(teacherRunId, db.knowledgeBases.list({ teacherRunId }).at(-1)?.id ?? null);
    return kbOfTeacher.get(teacherRunId)!;
  };

  const out: CompareRunView[] = runs.map((run, i) => {
    const v = views[i];
    const summary = (run.summary ?? {}) as Summary;
    const final = run.status === 'completed' ? db.evaluations.latestFinal(run.id) : undefined;
    const extra = (final?.extra ?? {}) as Summary;
    const figure = (key: string) => num(summary[key]) ?? num(extra[key]);
    const evalMean = num(summary.evalMean) ?? (final ? num(final.mean) : null);
    const evalCi95 = num(summary.evalCi95) ?? (final ? num(final.ci95) : null);
    const randomEvalMean = figure('randomEvalMean');
    const teacherEvalMean = run.role === 'teacher' ? evalMean : figure('teacherEvalMean');
    // Scores exist where the teacher beats a random policy by the env's margin (core/eval/score.ts); a teacher is
    // then the reference, 1 by definition.
    const valid = teacherEvalMean !== null && randomEvalMean !== null && scoreScale(v.env, teacherEvalMean, randomEvalMean).valid;
    const span = valid ? teacherEvalMean! - randomEvalMean! : null;
    const normalizedScore = run.role === 'teacher' ? (valid && evalMean !== null ? 1 : null) : v.result?.normalizedScore ?? figure('normalizedScore');
    const job = storedConfig(run)?.job;
    const usesKb = run.role === 'teacher' || (run.role === 'student' && (job?.kind !== 'student' || studentUsesKb(job.config)));
    const kbId = !usesKb ? null : run.role === 'teacher' ? kbOf(run.id) : (run.kbId ?? kbOf(run.teacherRunId));
    return {
      id: run.id,
      experimentId: run.experimentId,
      experimentName: run.experimentId === null ? null : (experimentNames.get(run.experimentId) ?? null),
      role: run.role,
      name: v.name,
      status: run.status,
      env: v.env,
      seed: run.seed,
      backend: run.backend,
      hiddenSizes: v.hiddenSizes,
      params: v.params,
      paramRatio: v.paramRatio,
      student: v.student,
      budget: budgetOf(run),
      budgetUnit: stepUnitOf(run),
      result:
        run.summary === null && !final
          ? null
          : {
              evalMean,
              evalStd: num(summary.evalStd) ?? (final ? num(final.std) : null),
              evalCi95,
              episodes: final?.episodes ?? v.result?.evalEpisodes ?? num(summary.evalEpisodes),
              normalizedScore,
              normalizedCi95: evalCi95 !== null && span !== null ? evalCi95 / span : null,
              microsecondsPerAction: figure('microsecondsPerAction'),
              agreement: figure('agreement'),
              qRmse: figure('qRmse'),
              teacherEvalMean,
              randomEvalMean,
            },
      // Students and baselines report it at the top; teachers under `training` (null for an existing model).
      trainSeconds: num(summary.trainSeconds) ?? num((summary.training as Summary | null | undefined)?.trainSeconds),
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      teacherRunId: run.teacherRunId,
      teacherModelId: run.teacherModelId,
      kbId,
      studentRunIds: studentsOf.get(run.id) ?? [],
      replays: episodesOf(db, run.id).length,
      hasModel: db.models.list({ runId: run.id, kind: 'final' }).length > 0 || (run.role === 'teacher' && run.teacherModelId !== null),
    };
  });
  return { runs: out };
}
