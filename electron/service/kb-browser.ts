/**
 * The knowledge-base browser's data (issue 8): what a KB holds (size, episodes, return statistics, action mix,
 * ε, the teacher it came from), its states for the coverage scatter (every row up to `maxPoints`, else an even
 * sample) with the teacher's greedy action per row, and histograms of the teacher's Q-values and of the gap
 * between its best and second-best action (small where the teacher is unsure), computed over every row.
 */
import { OUTSIDE_RADIUS_SEED } from '../../core/distill/targets.ts';
import type { KnowledgeBaseRecord, RunRecord, StudioDb } from '../../db/index.ts';
import type { HistogramView, KnowledgeBaseSummaryView, KnowledgeBaseView } from '../api/contract.ts';
import { storedConfig } from './runs.ts';
import { modelView } from './views.ts';

const finite = (v: number | undefined | null): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Equal-width histogram of the finite values in [lo, hi] (a degenerate range gets a unit-wide one around it). */
export function histogram(values: ArrayLike<number>, bins: number, range?: { lo: number; hi: number }): HistogramView {
  let lo = range?.lo ?? Infinity;
  let hi = range?.hi ?? -Infinity;
  if (!range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1, counts: new Array<number>(bins).fill(0), n: 0 };
  if (hi <= lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) * scale))]++;
    n++;
  }
  return { lo, hi, counts, n };
}

const base64 = (a: Float32Array | Uint8Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

function runLabel(db: StudioDb, run: RunRecord): string {
  const name = storedConfig(run)?.name;
  const sizes = (run.summary as { hiddenSizes?: number[] } | null)?.hiddenSizes;
  return `teacher run ${run.id}${name ? ` “${name}”` : ''}${sizes?.length ? ` (${sizes.join('-')})` : ''}${run.experimentId !== null ? `, experiment ${run.experimentId}` : ''}`;
}

function summaryOf(db: StudioDb, kb: KnowledgeBaseRecord, runs: Map<number, RunRecord>): KnowledgeBaseSummaryView {
  let teacherLabel = kb.meta.teacher?.source ?? 'unknown teacher';
  let experimentId: number | null = null;
  const teacherRun = kb.teacherRunId !== null ? (runs.get(kb.teacherRunId) ?? db.runs.get(kb.teacherRunId)) : null;
  if (teacherRun) {
    teacherLabel = runLabel(db, teacherRun);
    experimentId = teacherRun.experimentId;
  } else if (kb.teacherModelId !== null) {
    try {
      const m = db.models.list().find((x) => x.id === kb.teacherModelId);
      if (m) teacherLabel = `model ${m.id} (${modelView(db, m, new Map()).label})`;
    } catch {
      // the label stays the KB's own record of its source
    }
  }
  return {
    id: kb.id,
    env: kb.env,
    size: kb.size,
    episodes: kb.stats.episodes,
    meanEpisodeReturn: finite(kb.stats.meanEpisodeReturn),
    epsilon: kb.meta.epsilon,
    observationSize: kb.observationSize,
    actionCount: kb.actionCount,
    teacherRunId: kb.teacherRunId,
    teacherModelId: kb.teacherModelId,
    teacherLabel,
    experimentId,
    experimentName: experimentId === null ? null : db.experiments.get(experimentId).name,
    createdAt: kb.createdAt,
  };
}

export function listKnowledgeBases(db: StudioDb, experimentId?: number): KnowledgeBaseSummaryView[] {
  const runs = new Map((experimentId === undefined ? db.runs.list() : db.runs.list({ experimentId })).map((r) => [r.id, r]));
  const all = db.knowledgeBases.list();
  const kbs = experimentId === undefined ? all : all.filter((k) => k.teacherRunId !== null && runs.has(k.teacherRunId));
  return kbs.map((k) => summaryOf(db, k, runs));
}

export function getKnowledgeBase(db: StudioDb, id: number, options: { maxPoints: number; bins: number }): KnowledgeBaseView {
  const record = db.knowledgeBases.get(id);
  const kb = db.knowledgeBases.load(id);
  const n = record.observationSize;
  const a = record.actionCount;
  const size = kb.size;

  // The teacher's greedy action and the gap between its best and second-best Q, per row.
  const greedy = new Uint8Array(size);
  const gap = new Float32Array(size);
  const greedyCounts = new Array<number>(a).fill(0);
  let qLo = Infinity;
  let qHi = -Infinity;
  for (let i = 0; i < size; i++) {
    let best = 0;
    let first = -Infinity;
    let second = -Infinity;
    for (let j = 0; j < a; j++) {
      const q = kb.teacherQ[i * a + j];
      if (q < qLo) qLo = q;
      if (q > qHi) qHi = q;
      if (q > first) {
        second = first;
        first = q;
        best = j;
      } else if (q > second) second = q;
    }
    greedy[i] = best;
    greedyCounts[best]++;
    gap[i] = a > 1 ? first - second : 0;
  }
  const qByAction = Array.from({ length: a }, (_, j) => {
    const column = new Float32Array(size);
    for (let i = 0; i < size; i++) column[i] = kb.teacherQ[i * a + j];
    return histogram(column, options.bins, Number.isFinite(qLo) ? { lo: qLo, hi: qHi > qLo ? qHi : qLo + 1 } : undefined);
  });

  // The scatter's rows: all of them, or an even sample.
  const rows = Math.min(size, options.maxPoints);
  let states = kb.states;
  let greedyShown = greedy;
  if (rows < size) {
    states = new Float32Array(rows * n);
    greedyShown = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      const row = Math.floor((i * size) / rows);
      states.set(kb.states.subarray(row * n, row * n + n), i * n);
      greedyShown[i] = greedy[row];
    }
  }

  const returns = record.stats.episodeReturns ?? [];
  const mean = returns.length ? returns.reduce((s, r) => s + r, 0) / returns.length : null;
  const std = mean !== null && returns.length > 1 ? Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1)) : null;
  const runs = new Map<number, RunRecord>();
  const teacherRun = record.teacherRunId !== null ? db.runs.get(record.teacherRunId) : null;
  if (teacherRun) runs.set(teacherRun.id, teacherRun);
  const candidates = teacherRun ? db.runs.list(teacherRun.experimentId === null ? {} : { experimentId: teacherRun.experimentId }) : db.runs.list();
  const students = candidates
    .filter((r) => r.role === 'student' && (r.kbId === id || (record.teacherRunId !== null && r.teacherRunId === record.teacherRunId)))
    .map((r) => {
      const job = storedConfig(r)?.job;
      const config = job?.kind === 'student' ? job.config : null;
      return { runId: r.id, name: storedConfig(r)?.name ?? `run ${r.id}`, experimentId: r.experimentId, mode: config?.mode ?? '', method: config?.method ?? '', status: r.status };
    });

  // Retrieval students' states outside the radius, stored with each run as a replays-table record (seed −1).
  const outsideRadius = students.flatMap((s) => {
    const stored = db.replays.list({ runId: s.runId, episodeSeed: OUTSIDE_RADIUS_SEED }).at(-1);
    if (!stored) return [];
    const r = db.replays.get(stored.id);
    const retrieval = (db.runs.get(s.runId).summary as { retrieval?: { radius?: unknown; queries?: unknown; maskRate?: unknown } } | null)?.retrieval;
    const queries = finite(retrieval?.queries as number);
    const maskRate = finite(retrieval?.maskRate as number);
    return [{ runId: s.runId, name: s.name, radius: finite(retrieval?.radius as number), seen: queries !== null && maskRate !== null ? Math.round(queries * maskRate) : null, kept: r.length + 1, states: base64(r.states) }];
  });

  return {
    ...summaryOf(db, record, runs),
    seed: kb.meta.seed,
    numEnvs: kb.meta.numEnvs ?? null,
    incompleteEpisodes: kb.meta.incompleteEpisodes?.length ?? 0,
    teacher: { source: kb.meta.teacher?.source ?? '', paramCount: kb.meta.teacher?.paramCount ?? 0, hiddenSizes: kb.meta.teacher?.hiddenSizes ?? [] },
    stats: {
      stateMean: record.stats.stateMean,
      stateStd: record.stats.stateStd,
      stateMin: record.stats.stateMin,
      stateMax: record.stats.stateMax,
      actionMix: record.stats.actionMix,
      greedyMix: greedyCounts.map((c) => (size ? c / size : 0)),
      greedyFraction: finite(record.stats.greedyFraction),
      returnMean: mean,
      returnStd: std,
      returnMin: returns.length ? returns.reduce((m, r) => Math.min(m, r), Infinity) : null,
      returnMax: returns.length ? returns.reduce((m, r) => Math.max(m, r), -Infinity) : null,
      teacherMaxQMean: finite(record.stats.teacherMaxQMean),
      teacherMaxQStd: finite(record.stats.teacherMaxQStd),
    },
    points: { rows, states: base64(states), greedy: base64(greedyShown) },
    histograms: { qByAction, gap: histogram(gap, options.bins), returns: histogram(returns, Math.min(options.bins, Math.max(5, returns.length))) },
    students,
    outsideRadius,
  };
}
