/**
 * From compare-table rows to what the plots draw: a colour per row (students by palette, the teacher in ink,
 * a baseline dashed in the colour of the student row of its size) and the frontier's points and legend,
 * coloured by a chosen field (numeric fields on a colour ramp, the others by category).
 */
import type { CompareRunView } from '../../electron/api/contract.ts';
import { PALETTE, TEACHER_COLOR } from '../charts/palette.ts';
import { rampColor, type FrontierLegend, type FrontierPoint } from '../charts/frontier.ts';
import type { TableRow } from './compare-table.ts';
import { fmtSizes } from './format.ts';

export interface RowStyle {
  readonly color: string;
  readonly dash: boolean;
}

export function rowColors(rows: readonly TableRow[]): Map<string, RowStyle> {
  const out = new Map<string, RowStyle>();
  const bySize = new Map<string, string>();
  let i = 0;
  for (const r of rows) {
    if (r.lead.role === 'teacher') out.set(r.key, { color: TEACHER_COLOR, dash: false });
    else if (r.lead.role === 'student') {
      const color = PALETTE[i++ % PALETTE.length];
      out.set(r.key, { color, dash: false });
      const size = `${r.lead.experimentId}:${fmtSizes(r.lead.hiddenSizes)}`;
      if (!bySize.has(size)) bySize.set(size, color);
    }
  }
  for (const r of rows) {
    if (r.lead.role !== 'baseline') continue;
    const twin = bySize.get(`${r.lead.experimentId}:${fmtSizes(r.lead.hiddenSizes)}`);
    out.set(r.key, { color: twin ?? PALETTE[i++ % PALETTE.length], dash: true });
  }
  return out;
}

export interface ColorField {
  readonly key: string;
  readonly label: string;
  readonly numeric: boolean;
  value(r: CompareRunView): string | number | null;
}

export const COLOR_FIELDS: readonly ColorField[] = [
  { key: 'alpha', label: 'α', numeric: true, value: (r) => (r.student && r.student.alphaSchedule !== 'adaptive' ? r.student.alpha : null) },
  { key: 'schedule', label: 'α schedule', numeric: false, value: (r) => r.student?.alphaSchedule ?? null },
  { key: 'tau', label: 'τ', numeric: true, value: (r) => r.student?.tau ?? null },
  { key: 'softLoss', label: 'soft loss', numeric: false, value: (r) => r.student?.softLoss ?? null },
  { key: 'method', label: 'method', numeric: false, value: (r) => r.student?.method ?? null },
  { key: 'mode', label: 'mode', numeric: false, value: (r) => r.student?.mode ?? null },
  { key: 'budget', label: 'budget', numeric: true, value: (r) => r.budget },
  { key: 'hidden', label: 'hidden sizes', numeric: false, value: (r) => fmtSizes(r.hiddenSizes) },
  { key: 'experiment', label: 'experiment', numeric: false, value: (r) => (r.experimentId === null ? 'stand-alone' : `#${r.experimentId} ${r.experimentName ?? ''}`.trim()) },
];

export const NO_VALUE_COLOR = '#8a8f98';

function pointLabel(r: CompareRunView): string {
  const size = fmtSizes(r.hiddenSizes);
  if (r.role === 'teacher') return `teacher ${size}`;
  if (r.role === 'baseline') return `${size} scratch`;
  const s = r.student!;
  const alpha = s.alphaSchedule === 'adaptive' ? 'α adapt.' : s.alphaSchedule === 'linear' ? `α ${s.alpha}→${s.alphaEnd}` : `α ${s.alpha}`;
  return `${size} ${alpha}`;
}

/** One point per row (a run or a group of seeds) with a score and a parameter count. */
export function frontierPoints(rows: readonly TableRow[], field: ColorField): { points: FrontierPoint[]; legend: FrontierLegend; missing: number } {
  const usable = rows.filter((r) => r.score !== null && Number.isFinite(r.score) && r.lead.params !== null && r.lead.params > 0);
  const values = usable.map((r) => field.value(r.lead));
  let colorOf: (v: string | number | null) => string;
  let legend: FrontierLegend;
  if (field.numeric) {
    const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const lo = nums.length ? Math.min(...nums) : 0;
    const hi = nums.length ? Math.max(...nums) : 1;
    const distinct = [...new Set(nums)].sort((a, b) => a - b);
    if (distinct.length <= 6) {
      // Few values: categories read better than a ramp (still ordered along the ramp).
      const color = (v: number) => rampColor(distinct.length < 2 ? 0.5 : distinct.indexOf(v) / (distinct.length - 1));
      colorOf = (v) => (typeof v === 'number' ? color(v) : NO_VALUE_COLOR);
      legend = { kind: 'categories', title: field.label, entries: distinct.map((v) => ({ label: `${field.label} = ${v}`, color: color(v) })) };
    } else {
      colorOf = (v) => (typeof v === 'number' ? rampColor(hi > lo ? (v - lo) / (hi - lo) : 0.5) : NO_VALUE_COLOR);
      legend = { kind: 'gradient', title: field.label, min: lo, max: hi, colorAt: (t) => rampColor(t) };
    }
  } else {
    const cats = [...new Set(values.filter((v): v is string | number => v !== null).map(String))];
    colorOf = (v) => (v === null ? NO_VALUE_COLOR : PALETTE[cats.indexOf(String(v)) % PALETTE.length]);
    legend = { kind: 'categories', title: field.label, entries: cats.map((c, i) => ({ label: c, color: PALETTE[i % PALETTE.length] })) };
  }
  const points = usable.map((r, i): FrontierPoint => {
    const ci = r.scoreCi;
    return {
      id: r.key,
      x: r.lead.params!,
      y: r.score!,
      ciLo: ci !== null && Number.isFinite(ci) ? r.score! - ci : null,
      ciHi: ci !== null && Number.isFinite(ci) ? r.score! + ci : null,
      kind: r.lead.role,
      color: r.lead.role === 'teacher' ? TEACHER_COLOR : colorOf(values[i]),
      label: pointLabel(r.lead),
      runIds: r.runs.map((x) => x.id),
    };
  });
  return { points, legend, missing: rows.length - usable.length };
}
