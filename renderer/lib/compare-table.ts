/**
 * The compare table's logic, kept out of the components so it is unit-tested: the columns (configuration
 * and results, each with its raw value for sorting, grouping and CSV, and its display text), "differences
 * only" (configuration columns whose value is the same on every row are hidden), grouping by every
 * configuration field but the seed (results become means over the seeds, with n and a 95% CI across seeds),
 * sorting (missing values last in either direction), and the table as CSV.
 */
import { csvLine, type CompareRunView } from '../../electron/api/contract.ts';
import { fmtCount, fmtInt, fmtNum, fmtPercent, fmtReturn, fmtScore, fmtSizes } from './format.ts';
import { ci95, finiteValues, mean } from './stats.ts';

export type Cell = string | number | null;

export interface Column {
  readonly key: string;
  readonly label: string;
  readonly kind: 'config' | 'result';
  /** Tooltip: what the column means. */
  readonly title: string;
  /** Raw value (sorting, grouping, differences, CSV). */
  value(r: CompareRunView): Cell;
  /** Text in the cell. */
  text(r: CompareRunView): string;
  readonly numeric?: boolean;
  /** Part of a run group's identity (every configuration field but the seed). */
  readonly groups?: boolean;
}

const s = (r: CompareRunView) => r.student;
const dash = (v: Cell) => (v === null || v === '' ? '—' : String(v));

/** "0.5", "0.5→0 (linear)", "adaptive". */
function alphaText(r: CompareRunView): string {
  const st = s(r);
  if (!st) return '—';
  if (st.alphaSchedule === 'adaptive') return 'adaptive';
  return st.alphaSchedule === 'linear' ? `${st.alpha}→${st.alphaEnd}` : String(st.alpha);
}

/** Results first (what a reader looks for), then the configuration that explains them. */
export const COLUMNS: readonly Column[] = [
  { key: 'return', label: 'Return', kind: 'result', title: 'Greedy test return: mean ± 95% CI half-width over the test episodes', value: (r) => r.result?.evalMean ?? null, text: (r) => returnText(r.result?.evalMean ?? null, r.result?.evalCi95 ?? null), numeric: true },
  { key: 'score', label: 'Score', kind: 'result', title: 'Normalised score (G − G_random)/(G_teacher − G_random) on the shared test seeds; 1 = the teacher', value: (r) => r.result?.normalizedScore ?? null, text: (r) => scoreText(r.result?.normalizedScore ?? null, r.result?.normalizedCi95 ?? null), numeric: true },
  { key: 'latency', label: 'µs/action', kind: 'result', title: 'Median wall-clock microseconds of one greedy action at batch 1', value: (r) => r.result?.microsecondsPerAction ?? null, text: (r) => fmtNum(r.result?.microsecondsPerAction ?? null, 3), numeric: true },
  { key: 'agreement', label: 'Agreement', kind: 'result', title: "Share of held-out KB states where the student's greedy action is the teacher's", value: (r) => r.result?.agreement ?? null, text: (r) => fmtPercent(r.result?.agreement ?? null), numeric: true },
  { key: 'qRmse', label: 'Q-RMSE', kind: 'result', title: "RMS error of the student's Q-values against the teacher's on held-out KB states", value: (r) => r.result?.qRmse ?? null, text: (r) => fmtNum(r.result?.qRmse ?? null, 3), numeric: true },
  { key: 'experiment', label: 'Experiment', kind: 'config', title: 'The experiment the run belongs to', value: (r) => (r.experimentId === null ? null : `#${r.experimentId} ${r.experimentName ?? ''}`.trim()), text: (r) => (r.experimentId === null ? 'stand-alone' : `#${r.experimentId}`) },
  { key: 'env', label: 'Env', kind: 'config', title: 'Environment', value: (r) => r.env, text: (r) => r.env, groups: true },
  { key: 'role', label: 'Role', kind: 'config', title: 'teacher, student (distilled) or baseline (the same network trained from scratch with DQN)', value: (r) => r.role, text: (r) => r.role, groups: true },
  { key: 'hidden', label: 'Hidden', kind: 'config', title: 'Hidden layer widths', value: (r) => fmtSizes(r.hiddenSizes), text: (r) => fmtSizes(r.hiddenSizes), groups: true },
  { key: 'params', label: 'Params', kind: 'config', title: 'Trainable parameters', value: (r) => r.params, text: (r) => fmtCount(r.params), numeric: true, groups: true },
  { key: 'ratio', label: '% teacher', kind: 'config', title: "Parameters as a share of the teacher's", value: (r) => r.paramRatio, text: (r) => (r.role === 'teacher' ? '100 %' : fmtPercent(r.paramRatio)), numeric: true, groups: true },
  { key: 'alpha', label: 'α', kind: 'config', title: 'Weight of L_hard in L = α·L_hard + (1−α)·L_soft (start→end of a linear schedule)', value: (r) => (s(r) ? alphaText(r) : null), text: alphaText, groups: true },
  { key: 'schedule', label: 'α schedule', kind: 'config', title: 'constant, linear, or adaptive (QDagger)', value: (r) => s(r)?.alphaSchedule ?? null, text: (r) => dash(s(r)?.alphaSchedule ?? null), groups: true },
  { key: 'tau', label: 'τ', kind: 'config', title: 'Softmax temperature of the kl and nll soft losses', value: (r) => s(r)?.tau ?? null, text: (r) => dash(s(r)?.tau ?? null), numeric: true, groups: true },
  { key: 'softLoss', label: 'Soft loss', kind: 'config', title: 'L_soft: kl, mse or nll', value: (r) => s(r)?.softLoss ?? null, text: (r) => dash(s(r)?.softLoss ?? null), groups: true },
  { key: 'hardLoss', label: 'Hard loss', kind: 'config', title: 'L_hard: td or mc', value: (r) => s(r)?.hardLoss ?? null, text: (r) => dash(s(r)?.hardLoss ?? null), groups: true },
  { key: 'method', label: 'Method', kind: 'config', title: "Where the soft targets come from: supervised (a KB row's stored teacher Q), retrieval (the teacher Q of the nearest KB states to the student's own), teacher (a live teacher)", value: (r) => s(r)?.method ?? null, text: (r) => dash(s(r)?.method ?? null), groups: true },
  { key: 'mode', label: 'Mode', kind: 'config', title: 'offline (KB transitions) or online (the student acts in the env)', value: (r) => s(r)?.mode ?? null, text: (r) => dash(s(r)?.mode ?? null), groups: true },
  { key: 'budget', label: 'Budget', kind: 'config', title: 'Training budget: env steps, or gradient updates for offline students', value: (r) => (r.budget === null ? null : `${r.budget} ${r.budgetUnit}`), text: (r) => (r.budget === null ? '—' : `${fmtCount(r.budget)} ${r.budgetUnit === 'env_steps' ? 'steps' : 'updates'}`), groups: true },
  { key: 'seed', label: 'Seed', kind: 'config', title: 'Seed of the run', value: (r) => r.seed, text: (r) => String(r.seed), numeric: true },
  { key: 'backend', label: 'Backend', kind: 'config', title: 'tfjs backend the run trained on', value: (r) => r.backend, text: (r) => dash(r.backend), groups: true },
];

export const columnByKey = new Map(COLUMNS.map((c) => [c.key, c]));

function returnText(m: number | null, ci: number | null): string {
  if (m === null || !Number.isFinite(m)) return '—';
  return ci !== null && Number.isFinite(ci) ? `${fmtReturn(m)} ± ${fmtReturn(ci)}` : fmtReturn(m);
}

function scoreText(m: number | null, ci: number | null): string {
  if (m === null || !Number.isFinite(m)) return '—';
  return ci !== null && Number.isFinite(ci) ? `${fmtScore(m)} ± ${fmtScore(ci)}` : fmtScore(m);
}

/** A row of the table: one run, or a group of runs that differ only in their seed. */
export interface TableRow {
  readonly key: string;
  readonly runs: readonly CompareRunView[];
  /** The run that stands for the group (the first). */
  readonly lead: CompareRunView;
  readonly values: Readonly<Record<string, Cell>>;
  readonly texts: Readonly<Record<string, string>>;
  /** Normalised score and its 95% CI (across seeds in a group of ≥ 2, else the run's own). */
  readonly score: number | null;
  readonly scoreCi: number | null;
}

/** The identity of a run's group: every grouping configuration value (not the seed, not the experiment). */
export function groupKey(r: CompareRunView): string {
  return JSON.stringify(COLUMNS.filter((c) => c.groups).map((c) => c.value(r)));
}

function runRow(r: CompareRunView): TableRow {
  const values: Record<string, Cell> = {};
  const texts: Record<string, string> = {};
  for (const c of COLUMNS) {
    values[c.key] = c.value(r);
    texts[c.key] = c.text(r);
  }
  return { key: `run-${r.id}`, runs: [r], lead: r, values, texts, score: r.result?.normalizedScore ?? null, scoreCi: r.result?.normalizedCi95 ?? null };
}

/** Mean over the group of a result, and its 95% CI across seeds (null with fewer than two values). */
function across(runs: readonly CompareRunView[], pick: (r: CompareRunView) => number | null | undefined): { m: number | null; ci: number | null } {
  const xs = finiteValues(runs.map(pick));
  if (xs.length === 0) return { m: null, ci: null };
  return { m: mean(xs), ci: xs.length >= 2 ? ci95(xs) : null };
}

/** A run's name without its seed (" · seed 3"), for a row that stands for several seeds. */
export const groupName = (name: string): string => name.replace(/ · seed \d+$/, '');

function groupRow(key: string, runs: readonly CompareRunView[]): TableRow {
  if (runs.length === 1) return { ...runRow(runs[0]), key: `group-${key}` };
  const lead = runs[0];
  const base = runRow(lead);
  const values: Record<string, Cell> = { ...base.values };
  const texts: Record<string, string> = { ...base.texts };
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  values.seed = seeds.join(' ');
  texts.seed = seeds.length > 4 ? `${seeds.length} seeds` : seeds.join(', ');
  const experiments = new Set(runs.map((r) => r.experimentId));
  if (experiments.size > 1) {
    values.experiment = [...experiments].map((e) => (e === null ? 'stand-alone' : `#${e}`)).join(' ');
    texts.experiment = `${experiments.size} experiments`;
  }
  const ret = across(runs, (r) => r.result?.evalMean);
  const score = across(runs, (r) => r.result?.normalizedScore);
  const latency = across(runs, (r) => r.result?.microsecondsPerAction);
  const agreement = across(runs, (r) => r.result?.agreement);
  const qRmse = across(runs, (r) => r.result?.qRmse);
  values.return = ret.m;
  texts.return = returnText(ret.m, ret.ci);
  values.score = score.m;
  texts.score = scoreText(score.m, score.ci);
  values.latency = latency.m;
  texts.latency = fmtNum(latency.m, 3);
  values.agreement = agreement.m;
  texts.agreement = fmtPercent(agreement.m);
  values.qRmse = qRmse.m;
  texts.qRmse = fmtNum(qRmse.m, 3);
  return { key: `group-${key}`, runs, lead, values, texts, score: score.m, scoreCi: score.ci };
}

/** One row per run, or (grouped) one per set of runs that differ only in their seed, in first-seen order. */
export function tableRows(runs: readonly CompareRunView[], grouped: boolean): TableRow[] {
  if (!grouped) return runs.map(runRow);
  const groups = new Map<string, CompareRunView[]>();
  for (const r of runs) {
    const k = groupKey(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups].map(([k, members]) => groupRow(k, members));
}

/**
 * Columns to show: every result column; with `differencesOnly`, configuration columns only where the rows
 * hold two or more different values. A field that does not apply to a row (a teacher's soft loss: null) is
 * not a value, so "kl on every student" counts as equal.
 */
export function visibleColumns(rows: readonly TableRow[], differencesOnly: boolean): Column[] {
  if (!differencesOnly || rows.length < 2) return [...COLUMNS];
  const distinct = (c: Column) => new Set(rows.map((r) => r.values[c.key]).filter((v) => v !== null && v !== '').map((v) => JSON.stringify(v))).size;
  return COLUMNS.filter((c) => c.kind === 'result' || distinct(c) > 1);
}

export interface SortState {
  readonly key: string;
  readonly desc: boolean;
}

/** Sorted copy; missing values (null, NaN, '') go last whichever the direction. */
export function sortRows(rows: readonly TableRow[], sort: SortState | null): TableRow[] {
  if (!sort) return [...rows];
  const missing = (v: Cell) => v === null || v === '' || (typeof v === 'number' && !Number.isFinite(v));
  return [...rows].sort((a, b) => {
    const va = a.values[sort.key];
    const vb = b.values[sort.key];
    if (missing(va) || missing(vb)) return missing(va) === missing(vb) ? 0 : missing(va) ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), 'en', { numeric: true });
    return sort.desc ? -c : c;
  });
}

/** The table as shown (visible columns, current order) as CSV, with raw numbers; grouped tables add n and run ids. */
export function tableCsv(rows: readonly TableRow[], columns: readonly Column[], grouped: boolean): string {
  const head = ['name', ...columns.map((c) => c.key), ...(grouped ? ['n', 'run_ids'] : ['run_id']), 'score_ci95'];
  const lines = [csvLine(head)];
  for (const r of rows) {
    const name = grouped && r.runs.length > 1 ? `${groupName(r.lead.name)} (${r.runs.length} seeds)` : r.lead.name;
    const ids = r.runs.map((x) => x.id);
    lines.push(csvLine([name, ...columns.map((c) => r.values[c.key]), ...(grouped ? [r.runs.length, ids.join(' ')] : [ids[0]]), r.scoreCi]));
  }
  return lines.join('');
}

/** "12 runs in 3 groups", for the header. */
export function selectionLabel(runs: number, rows: number, grouped: boolean): string {
  return grouped && rows !== runs ? `${fmtInt(runs)} runs in ${fmtInt(rows)} groups` : `${fmtInt(runs)} runs`;
}

