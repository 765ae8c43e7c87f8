/**
 * The tables of a compression experiment (examples/compression-*.json), computed from the studio database:
 *
 *   npx tsx bench/compression-report.ts --db FILE [--experiment ID] [--json OUT.json] [--markdown OUT.md]
 *
 * 1. Normalised score (mean and 95% CI over seeds) per student size and method × α, with the from-scratch
 *    baselines of each size, and per method the cliff: the smallest size whose mean is ≥ 0.95 with the CI's
 *    lower bound ≥ 0.9.
 * 2. The cost of a student: env steps and wall-clock until a validation reached normalised score 0.95, per size,
 *    for each distillation method and for the same network trained from scratch (or the baseline's best within
 *    its budget, 10× the students' in the examples). Env steps of a distilled student count the knowledge
 *    base's transitions when it learned from the KB, plus its own online; its seconds count the extraction of
 *    the KB plus its own training (evaluation excluded). The teacher's own training is a one-off cost shown
 *    beside, shared by every student of the experiment.
 * Validation scores use the teacher's and a random policy's test returns; crossings are read from the runs'
 * `eval/mean_return` and `charts/train_seconds` series. The printed text is Markdown (README "Results").
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { scoreScale } from '../core/eval/score.ts';
import { returnStats } from '../core/eval/stats.ts';
import { METRIC_KEYS } from '../core/metrics.ts';
import { openDatabase, type RunRecord, type StudioDb } from '../db/index.ts';

/** The score a student must reach (issue 10): the cost table's target and the cliff's mean. */
export const TARGET = 0.95;
/** The cliff's lower bound of the 95% CI. */
export const CLIFF_LOWER = 0.9;

interface StoredJob {
  readonly job: { kind: string; config: { hiddenSizes: number[]; method?: string; mode?: string; alpha?: number; alphaSchedule?: string; steps?: number; totalSteps?: number } };
}

export interface Reach {
  readonly steps: number;
  readonly seconds: number;
}

export interface Row {
  readonly group: string;
  readonly size: string;
  readonly params: number;
  readonly ratio: number;
  readonly scores: number[];
  /** Per seed that reached the target: its cost. */
  readonly reach: Reach[];
  /** Per seed: the best validation score. */
  readonly best: number[];
  /** Per seed that did not reach the target: its env-step budget (the cost it spent without reaching it). */
  readonly budgets: number[];
  runs: number;
}

/**
 * The first validation at or above `target`: its env steps (plus `offsetSteps`: the KB's transitions behind it)
 * and training seconds (plus `offsetSeconds`: the KB's extraction), or null; and the best score seen.
 * `ownSteps` false: the run's steps are gradient updates on the KB, not env transitions, so only the offset counts.
 */
export function firstCrossing(
  evalSteps: readonly number[],
  scores: readonly number[],
  seconds: readonly { step: number; value: number }[],
  o: { target: number; offsetSteps: number; offsetSeconds: number; ownSteps: boolean },
): { reached: Reach | null; best: number } {
  let best = -Infinity;
  let reached: Reach | null = null;
  for (let i = 0; i < evalSteps.length; i++) {
    best = Math.max(best, scores[i]);
    if (reached === null && scores[i] >= o.target) {
      reached = { steps: o.offsetSteps + (o.ownSteps ? evalSteps[i] : 0), seconds: o.offsetSeconds + secondsAt(seconds, evalSteps[i]) };
    }
  }
  return { reached, best };
}

/** Training seconds at `step`: the last `charts/train_seconds` point at or before it (0 before the first). */
function secondsAt(series: readonly { step: number; value: number }[], step: number): number {
  let v = 0;
  for (const p of series) {
    if (p.step > step) break;
    v = p.value;
  }
  return v;
}

/** The smallest size (in the order given) whose scores have mean ≥ TARGET and 95% CI lower bound ≥ CLIFF_LOWER. */
export function cliff(sizes: readonly string[], scoresOf: (size: string) => readonly number[]): string | null {
  for (const size of sizes) {
    const xs = scoresOf(size);
    if (xs.length < 2) continue;
    const st = returnStats(xs);
    if (st.mean >= TARGET && st.mean - st.ci95 >= CLIFF_LOWER) return size;
  }
  return null;
}

/** `mean ± ci` over the sample (the mean alone for one value, – for none). */
export function meanCi(xs: readonly number[], digits: number): string {
  if (xs.length === 0) return '–';
  const st = returnStats(xs);
  return xs.length > 1 ? `${st.mean.toFixed(digits)} ± ${st.ci95.toFixed(digits)}` : st.mean.toFixed(digits);
}

export interface Report {
  readonly experimentId: number;
  readonly markdown: string;
  readonly data: { experimentId: number; name: string; wallSeconds: number | null; teacher: TeacherSummary; rows: Row[]; cliffs: Record<string, string | null> };
}

interface TeacherSummary {
  env: string;
  evalMean: number;
  randomEvalMean: number;
  rewardThreshold: number;
  reachedThreshold: boolean;
  params: number;
  kbSize: number;
  extractSeconds: number;
  training: { envSteps: number; trainSeconds: number } | null;
}

export function compressionReport(db: StudioDb, experimentIdIn?: number): Report {
  const experimentId = experimentIdIn ?? db.experiments.list().at(-1)?.id;
  if (experimentId === undefined) throw new Error('the database has no experiment');
  const experiment = db.experiments.get(experimentId);
  const runs = db.runs.list({ experimentId });
  const teacherRun = runs.find((r) => r.role === 'teacher');
  const t = teacherRun?.status === 'completed' ? (teacherRun.summary as TeacherSummary) : undefined;
  if (!t) throw new Error(`experiment ${experimentId}: the teacher run has not completed`);
  const scale = scoreScale(t.env, t.evalMean, t.randomEvalMean);
  if (!scale.valid) throw new Error(`experiment ${experimentId}: ${scale.warnings.join('; ')}`);
  const score = (g: number) => (g - t.randomEvalMean) / (t.evalMean - t.randomEvalMean);

  const rows = new Map<string, Row>();
  let incomplete = 0;
  for (const run of runs) {
    if (run.role === 'teacher') continue;
    if (run.status !== 'completed') {
      incomplete++;
      continue;
    }
    const { group, usesKb, online } = describe(run);
    const s = run.summary as { normalizedScore: number | null; studentParams: number; paramRatio: number };
    const c = (run.config as StoredJob).job.config;
    const size = c.hiddenSizes.join('-');
    const key = `${size}|${group}`;
    const row = rows.get(key) ?? { group, size, params: s.studentParams, ratio: s.paramRatio, scores: [], reach: [], best: [], budgets: [], runs: 0 };
    row.runs++;
    if (s.normalizedScore !== null) row.scores.push(s.normalizedScore);
    const evals = db.metrics.series(run.id, METRIC_KEYS.evalMeanReturn);
    const secs = db.metrics.series(run.id, METRIC_KEYS.trainSeconds);
    const kbSteps = usesKb ? t.kbSize : 0;
    const ownSteps = run.role === 'baseline' || online;
    const { reached, best } = firstCrossing(
      Array.from(evals.steps),
      Array.from(evals.values, score),
      Array.from(secs.steps, (step, i) => ({ step, value: secs.values[i] })),
      { target: TARGET, offsetSteps: kbSteps, offsetSeconds: usesKb ? t.extractSeconds : 0, ownSteps },
    );
    if (reached) row.reach.push(reached);
    else row.budgets.push(kbSteps + (ownSteps ? (c.totalSteps ?? c.steps ?? 0) : 0));
    row.best.push(best);
    rows.set(key, row);
  }

  const all = [...rows.values()];
  const groups = [...new Set(all.map((r) => r.group))].sort((a, b) => order(a) - order(b));
  const sizes = [...new Set([...all].sort((a, b) => a.params - b.params).map((r) => r.size))];
  const cliffs = Object.fromEntries(groups.map((g) => [g, cliff(sizes, (size) => rows.get(`${size}|${g}`)?.scores ?? [])]));
  const times = runs.flatMap((r) => (r.startedAt && r.finishedAt ? [Date.parse(r.startedAt), Date.parse(r.finishedAt)] : []));
  const wallSeconds = times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : null;

  const out: string[] = [];
  out.push(`Experiment ${experimentId} (${t.env}): ${runs.length} runs${wallSeconds === null ? '' : `, ${fmtSeconds(wallSeconds)} from the first run's start to the last one's end`}.`);
  out.push(
    `Teacher: test return ${t.evalMean.toFixed(1)} over 20 episodes (random policy ${t.randomEvalMean.toFixed(1)}; threshold ${t.rewardThreshold}, ${t.reachedThreshold ? 'reached' : 'NOT reached'}), ${t.params} parameters; KB ${t.kbSize} transitions (extracted in ${t.extractSeconds.toFixed(2)} s).`,
  );
  if (t.training) out.push(`Teacher training (one-off, shared by all students): ${t.training.envSteps} env steps, ${t.training.trainSeconds.toFixed(1)} s.`);
  if (incomplete) out.push(`${incomplete} run(s) not completed are left out.`);
  out.push('', `Normalised score of the final policy on the 20 test episodes, mean ± 95% CI over seeds (t-distribution):`, '');
  out.push(`| size | params (% teacher) | ${groups.join(' | ')} |`, `|---|---|${groups.map(() => '---').join('|')}|`);
  for (const size of sizes) {
    const any = all.find((r) => r.size === size)!;
    out.push(`| ${size} | ${any.params} (${(any.ratio * 100).toFixed(1)}%) | ${groups.map((g) => meanCi(rows.get(`${size}|${g}`)?.scores ?? [], 3)).join(' | ')} |`);
  }
  out.push('', `Cliff (smallest size with mean ≥ ${TARGET} and CI lower bound ≥ ${CLIFF_LOWER}):`, '');
  for (const g of groups) {
    const c = cliffs[g];
    const r = c === null ? undefined : rows.get(`${c}|${g}`);
    out.push(`- ${g}: ${c === null || !r ? 'none of these sizes' : `${c} (${r.params} parameters, ${(r.ratio * 100).toFixed(1)}% of the teacher's)`}`);
  }
  out.push(
    '',
    `Cost to a validation score of ${TARGET}: env steps / training seconds, mean ± 95% CI over the seeds that reached it (n reached / n; the others' budget spent without reaching it):`,
    '',
  );
  out.push(`| size | ${groups.join(' | ')} |`, `|---|${groups.map(() => '---').join('|')}|`);
  for (const size of sizes) {
    const cells = groups.map((g) => {
      const r = rows.get(`${size}|${g}`);
      return r ? costCell(r) : '–';
    });
    out.push(`| ${size} | ${cells.join(' | ')} |`);
  }
  return { experimentId, markdown: out.join('\n'), data: { experimentId, name: experiment.name, wallSeconds, teacher: t, rows: all, cliffs } };
}

function costCell(r: Row): string {
  if (r.reach.length === 0) return `not reached (0/${r.runs}; best ${meanCi(r.best, 3)})`;
  const missed = r.budgets.length ? `; ${r.budgets.length} not within ${Math.max(...r.budgets)} steps` : '';
  return `${meanCi(r.reach.map((x) => Math.round(x.steps)), 0)} / ${meanCi(r.reach.map((x) => x.seconds), 2)} s (${r.reach.length}/${r.runs}${missed})`;
}

function fmtSeconds(s: number): string {
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
}

/** The column a run belongs to: its method, data mode and α, or the baseline. */
function describe(run: RunRecord): { group: string; usesKb: boolean; online: boolean } {
  if (run.role === 'baseline') return { group: 'from scratch (DQN)', usesKb: false, online: true };
  const c = (run.config as StoredJob).job.config;
  const alpha = c.alphaSchedule === 'constant' || c.alphaSchedule === undefined ? `α=${c.alpha}` : c.alphaSchedule;
  const online = c.mode === 'online';
  const name = c.method === 'supervised' ? 'supervised' : c.method === 'retrieval' ? 'retrieval online' : online ? 'live teacher online' : 'live teacher offline';
  return { group: `${name} ${alpha}`, usesKb: c.method !== 'teacher' || !online, online };
}

function order(group: string): number {
  const base = ['supervised', 'retrieval online', 'live teacher online', 'live teacher offline', 'from scratch'].findIndex((p) => group.startsWith(p));
  return base * 10 + (group.includes('α=0.5') ? 1 : 0);
}

function main(): void {
  const { values } = parseArgs({ options: { db: { type: 'string' }, experiment: { type: 'string' }, json: { type: 'string' }, markdown: { type: 'string' } } });
  if (!values.db) throw new Error('--db FILE is required');
  if (values.experiment !== undefined && !/^[1-9]\d*$/.test(values.experiment)) throw new Error(`--experiment: expected an experiment id, got "${values.experiment}"`);
  if (!fs.existsSync(values.db)) throw new Error(`--db: no such file ${values.db}`);
  const db = openDatabase(values.db, { readonly: true });
  try {
    const report = compressionReport(db, values.experiment === undefined ? undefined : Number(values.experiment));
    console.log(report.markdown);
    if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report.data, null, 2)}\n`);
    if (values.markdown) fs.writeFileSync(values.markdown, `${report.markdown}\n`);
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
