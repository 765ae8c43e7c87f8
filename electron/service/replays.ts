/**
 * The replay viewer's data (issue 8): a run's stored evaluation episodes, the runs it can be shown beside
 * (its teacher, the teacher's other students and baselines: every policy of an experiment is evaluated on the
 * same episode seeds, so their episodes of one seed start from the same state), and one episode in full.
 */
import { OUTSIDE_RADIUS_SEED } from '../../core/distill/targets.ts';
import { NotFoundError, type ReplaySummary, type RunRecord, type StudioDb } from '../../db/index.ts';
import type { ReplayIndexView, ReplayRunRef, ReplaySummaryView, ReplayView } from '../api/contract.ts';
import { runViews } from './views.ts';

/** A run's stored episodes (the replays table also keeps a retrieval student's outside-radius states, seed −1). */
export const episodesOf = (db: StudioDb, runId: number): ReplaySummary[] => db.replays.list({ runId }).filter((r) => r.episodeSeed !== OUTSIDE_RADIUS_SEED);

const summaryView = (r: ReplaySummary): ReplaySummaryView => ({ id: r.id, runId: r.runId, episodeSeed: r.episodeSeed, length: r.length, episodeReturn: r.episodeReturn, terminated: r.terminated });

/** The family of a run: its teacher and every run taught by that teacher (or, for a teacher, by itself). */
function familyOf(db: StudioDb, run: RunRecord): RunRecord[] {
  const teacherId = run.role === 'teacher' ? run.id : run.teacherRunId;
  const pool = run.experimentId !== null ? db.runs.list({ experimentId: run.experimentId }) : teacherId !== null ? db.runs.list().filter((r) => r.id === teacherId || r.teacherRunId === teacherId) : [run];
  if (teacherId === null) return pool.filter((r) => r.id === run.id);
  return pool.filter((r) => r.id === teacherId || r.teacherRunId === teacherId || r.id === run.id);
}

export function replayIndex(db: StudioDb, runId: number): ReplayIndexView {
  const run = db.runs.get(runId);
  const family = familyOf(db, run);
  const views = new Map(runViews(db, family, () => null).map((v) => [v.id, v]));
  const ref = (r: RunRecord): ReplayRunRef => {
    const v = views.get(r.id)!;
    return { runId: r.id, experimentId: r.experimentId, name: v.name, role: r.role, hiddenSizes: v.hiddenSizes, seed: r.seed, replays: episodesOf(db, r.id).map(summaryView) };
  };
  const own = ref(run);
  const seeds = new Set(own.replays.map((r) => r.episodeSeed));
  const partners = family
    .filter((r) => r.id !== run.id)
    .map(ref)
    .filter((p) => p.replays.some((r) => seeds.has(r.episodeSeed)));
  const env = own.replays.length > 0 ? db.replays.get(own.replays[0].id).env : (views.get(run.id)?.env ?? '');
  let defaultPartnerId: number | null = null;
  if (run.role !== 'teacher') defaultPartnerId = partners.find((p) => p.runId === run.teacherRunId)?.runId ?? null;
  else {
    // A teacher's best completed student (highest normalised score), else its first partner.
    const score = (id: number) => views.get(id)?.result?.normalizedScore ?? -Infinity;
    const students = partners.filter((p) => p.role === 'student').sort((a, b) => score(b.runId) - score(a.runId));
    defaultPartnerId = students[0]?.runId ?? partners[0]?.runId ?? null;
  }
  return { env, run: own, partners, defaultPartnerId };
}

export function getReplay(db: StudioDb, id: number): ReplayView {
  const r = db.replays.get(id);
  if (r.episodeSeed === OUTSIDE_RADIUS_SEED) throw new NotFoundError('replays', id);
  return {
    ...summaryView(r),
    env: r.env,
    observationSize: r.observationSize,
    actionCount: r.actionCount,
    states: Array.from(r.states),
    actions: Array.from(r.actions),
    rewards: Array.from(r.rewards),
    qValues: r.qValues ? Array.from(r.qValues) : null,
  };
}
