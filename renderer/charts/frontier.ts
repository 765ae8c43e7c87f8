/**
 * The frontier: parameters (log axis) against normalised score, the studio's signature plot. Canvas 2D, so
 * 500 points draw in a few milliseconds and the picture can be copied as a PNG with its legend. Layout is a
 * pure function (unit-tested): log and linear ticks, point positions, whiskers, the Pareto front of the
 * students (the best score at each size or smaller), and labels placed greedily where they collide with no
 * other label or marker (the teacher and the front first; with more than 40 points only those, each text once;
 * the hover names any point).
 */
import type { ChartStyle } from './theme.ts';

export type PointKind = 'teacher' | 'student' | 'baseline';

export interface FrontierPoint {
  readonly id: string;
  /** Parameters (> 0). */
  readonly x: number;
  /** Normalised score. */
  readonly y: number;
  /** 95% CI of the score (null: none known). */
  readonly ciLo: number | null;
  readonly ciHi: number | null;
  readonly kind: PointKind;
  readonly color: string;
  /** Short label ("8-8 α 0.5"). */
  readonly label: string;
  /** Runs behind the point (a group of seeds, or one run). */
  readonly runIds: readonly number[];
}

export type FrontierLegend =
  | { readonly kind: 'categories'; readonly title: string; readonly entries: readonly { readonly label: string; readonly color: string }[] }
  | { readonly kind: 'gradient'; readonly title: string; readonly min: number; readonly max: number; readonly colorAt: (t: number) => string };

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface PlacedPoint {
  readonly point: FrontierPoint;
  readonly px: number;
  readonly py: number;
  readonly ciLoPy: number | null;
  readonly ciHiPy: number | null;
  readonly onFront: boolean;
}

export interface FrontierLayout {
  readonly width: number;
  readonly height: number;
  /** The plot area in CSS pixels. */
  readonly plot: Box;
  readonly legendBox: Box;
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
  readonly xTicks: readonly { readonly value: number; readonly px: number; readonly major: boolean }[];
  readonly yTicks: readonly { readonly value: number; readonly py: number }[];
  readonly points: readonly PlacedPoint[];
  readonly labels: readonly { readonly text: string; readonly box: Box; readonly pointId: string }[];
  readonly markerRadius: number;
  /** The students' Pareto front, left to right. */
  readonly front: readonly PlacedPoint[];
}

export const LEGEND_WIDTH = 168;
const MARGIN = { left: 58, right: 16 + LEGEND_WIDTH, top: 14, bottom: 44 };

/** Decades, with 2 and 5 in between when the range spans fewer than three decades. */
export function logTicks(lo: number, hi: number): { value: number; major: boolean }[] {
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  // Up to about three decades in view, 2 and 5 get ticks too (a decade alone leaves the axis bare).
  const fine = Math.log10(hi / lo) <= 3.2;
  const out: { value: number; major: boolean }[] = [];
  for (let d = d0; d <= d1; d++) {
    for (const m of fine ? [1, 2, 5] : [1]) {
      const v = m * 10 ** d;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push({ value: v, major: m === 1 });
    }
  }
  return out;
}

/** About `count` round ticks over [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // Multiples of the step, rounded to its decimals: adding steps up would print 0 as -1.39e-17.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toFixed(decimals)) || 0);
  return out;
}

/** Indices of the Pareto-optimal points: no other point has as few parameters or fewer and a higher score. */
export function paretoFront(points: readonly { x: number; y: number }[]): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a].x - points[b].x || points[b].y - points[a].y);
  const front: number[] = [];
  let best = -Infinity;
  for (const i of order) {
    if (points[i].y > best) {
      front.push(i);
      best = points[i].y;
    }
  }
  return front;
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Positions everything in a `width` × `height` canvas. `measure` gives a label's width in pixels (the
 * canvas's measureText in the page; a fixed width per character in tests).
 */
export function frontierLayout(points: readonly FrontierPoint[], width: number, height: number, measure: (text: string) => number): FrontierLayout {
  const plot: Box = { x: MARGIN.left, y: MARGIN.top, w: Math.max(80, width - MARGIN.left - MARGIN.right), h: Math.max(60, height - MARGIN.top - MARGIN.bottom) };
  const legendBox: Box = { x: plot.x + plot.w + 16, y: plot.y, w: LEGEND_WIDTH - 8, h: plot.h };
  const usable = points.filter((p) => p.x > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  let xLo = Infinity;
  let xHi = -Infinity;
  let yLo = 0;
  let yHi = 1.05;
  for (const p of usable) {
    xLo = Math.min(xLo, p.x);
    xHi = Math.max(xHi, p.x);
    yLo = Math.min(yLo, p.y, p.ciLo ?? p.y);
    yHi = Math.max(yHi, p.y, p.ciHi ?? p.y);
  }
  if (!Number.isFinite(xLo)) {
    xLo = 10;
    xHi = 10_000;
  }
  // Half a decade of air on each side (and at least one decade in all), so edge markers and labels fit.
  const lx0 = Math.log10(xLo) - 0.25;
  const lx1 = Math.max(Math.log10(xHi) + 0.25, lx0 + 1);
  const ySpan = yHi - yLo;
  const y0 = yLo - ySpan * 0.04;
  const y1 = yHi + ySpan * 0.04;
  const xPx = (v: number) => plot.x + ((Math.log10(v) - lx0) / (lx1 - lx0)) * plot.w;
  const yPx = (v: number) => plot.y + plot.h - ((v - y0) / (y1 - y0)) * plot.h;

  const students = usable.filter((p) => p.kind === 'student');
  const frontIds = new Set(paretoFront(students).map((i) => students[i].id));
  const placed: PlacedPoint[] = usable.map((p) => ({
    point: p,
    px: xPx(p.x),
    py: yPx(p.y),
    ciLoPy: p.ciLo === null ? null : yPx(p.ciLo),
    ciHiPy: p.ciHi === null ? null : yPx(p.ciHi),
    onFront: frontIds.has(p.id),
  }));
  const markerRadius = usable.length > 150 ? 3 : usable.length > 40 ? 4 : 5;

  // Labels: the teacher, then the front (smallest first), then the rest by score; a label goes right, left,
  // above or below its marker, wherever it hits no placed label, no marker and stays inside the plot.
  const rank = (p: PlacedPoint) => (p.point.kind === 'teacher' ? 0 : p.onFront ? 1 : p.point.kind === 'baseline' ? 3 : 2);
  const order = [...placed].sort((a, b) => rank(a) - rank(b) || (rank(a) === 1 ? a.point.x - b.point.x : b.point.y - a.point.y));
  const markers: Box[] = placed.map((p) => ({ x: p.px - markerRadius - 1, y: p.py - markerRadius - 1, w: 2 * markerRadius + 2, h: 2 * markerRadius + 2 }));
  const taken: Box[] = [];
  const labels: { text: string; box: Box; pointId: string }[] = [];
  const lh = 13;
  // Beyond a few dozen points a label per point is noise: then only the teacher and the front are named (the
  // hover names the rest), and a text already on the plot is not repeated.
  const crowded = placed.length > 40;
  const used = new Set<string>();
  for (const p of order) {
    if (!p.point.label || (crowded && (rank(p) > 1 || used.has(p.point.label)))) continue;
    const w = measure(p.point.label) + 4;
    const r = markerRadius + 3;
    const candidates: Box[] = [
      { x: p.px + r, y: p.py - lh / 2, w, h: lh },
      { x: p.px - r - w, y: p.py - lh / 2, w, h: lh },
      { x: p.px - w / 2, y: p.py - r - lh, w, h: lh },
      { x: p.px - w / 2, y: p.py + r, w, h: lh },
    ];
    const own = markers[placed.indexOf(p)];
    const fits = candidates.find(
      (b) => b.x >= plot.x && b.x + b.w <= plot.x + plot.w && b.y >= plot.y && b.y + b.h <= plot.y + plot.h && !taken.some((t) => overlaps(t, b)) && !markers.some((m) => m !== own && overlaps(m, b)),
    );
    if (fits) {
      used.add(p.point.label);
      taken.push(fits);
      labels.push({ text: p.point.label, box: fits, pointId: p.point.id });
    }
  }

  const xTicks = logTicks(10 ** lx0, 10 ** lx1).map((t) => ({ ...t, px: xPx(t.value) }));
  const yTicks = linearTicks(y0, y1).map((v) => ({ value: v, py: yPx(v) }));
  const front = placed.filter((p) => p.onFront).sort((a, b) => a.point.x - b.point.x);
  return { width, height, plot, legendBox, xDomain: [10 ** lx0, 10 ** lx1], yDomain: [y0, y1], xTicks, yTicks, points: placed, labels, markerRadius, front };
}

/** The point under (x, y) within `slack` pixels of its marker, the nearest one; null when none. */
export function hitTest(layout: FrontierLayout, x: number, y: number, slack = 4): PlacedPoint | null {
  let best: PlacedPoint | null = null;
  let bestD = (layout.markerRadius + slack) ** 2;
  for (const p of layout.points) {
    const d = (p.px - x) ** 2 + (p.py - y) ** 2;
    if (d <= bestD) {
      best = p;
      bestD = d;
    }
  }
  return best;
}

/** Parameter counts on the axis: 100, 1k, 20k, 1M. */
export function paramTick(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

export interface FrontierStyle extends ChartStyle {
  readonly teacher: string;
}

function marker(ctx: CanvasRenderingContext2D, kind: PointKind, x: number, y: number, r: number, color: string, teacherColor: string): void {
  ctx.beginPath();
  if (kind === 'teacher') {
    // A diamond, larger than the rest: the reference every other point is measured against.
    const R = r + 3;
    ctx.moveTo(x, y - R);
    ctx.lineTo(x + R, y);
    ctx.lineTo(x, y + R);
    ctx.lineTo(x - R, y);
    ctx.closePath();
    ctx.fillStyle = teacherColor;
    ctx.fill();
    return;
  }
  if (kind === 'baseline') {
    // Hollow square: trained from scratch, no teacher.
    // Hollow, so a student of the same size and score drawn over it stays visible inside.
    ctx.rect(x - r - 1, y - r - 1, 2 * r + 2, 2 * r + 2);
    ctx.lineWidth = 1.8;
    ctx.strokeStyle = color;
    ctx.stroke();
    return;
  }
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fillStyle = color;
  ctx.globalAlpha = 0.9;
  ctx.fill();
  ctx.globalAlpha = 1;
  ctx.lineWidth = 0.8;
  ctx.strokeStyle = 'rgba(255,255,255,0.9)';
  ctx.stroke();
}

/** Draws the layout (in CSS pixels: the caller scales the context for the device pixel ratio). */
export function drawFrontier(ctx: CanvasRenderingContext2D, layout: FrontierLayout, legend: FrontierLegend, style: FrontierStyle, highlight: string | null = null): void {
  const { plot } = layout;
  ctx.save();
  ctx.fillStyle = style.surface;
  ctx.fillRect(0, 0, layout.width, layout.height);
  ctx.font = `11px ${style.font}`;
  ctx.textBaseline = 'middle';

  // Grid and axes.
  ctx.strokeStyle = style.grid;
  ctx.lineWidth = 1;
  ctx.fillStyle = style.muted;
  ctx.textAlign = 'center';
  for (const t of layout.xTicks) {
    const x = Math.round(t.px) + 0.5;
    ctx.globalAlpha = t.major ? 1 : 0.5;
    ctx.beginPath();
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.h);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillText(paramTick(t.value), t.px, plot.y + plot.h + 12);
  }
  ctx.textAlign = 'right';
  for (const t of layout.yTicks) {
    const y = Math.round(t.py) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
    ctx.fillText(String(t.value), plot.x - 6, t.py);
  }
  ctx.strokeStyle = style.muted;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w, plot.h);
  ctx.textAlign = 'center';
  ctx.font = `500 11px ${style.font}`;
  ctx.fillText('parameters (log scale)', plot.x + plot.w / 2, plot.y + plot.h + 32);
  ctx.save();
  ctx.translate(14, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('normalised score (1 = teacher, 0 = random)', 0, 0);
  ctx.restore();

  // Reference lines: the teacher's return and a random policy's.
  const yOf = (v: number) => plot.y + plot.h - ((v - layout.yDomain[0]) / (layout.yDomain[1] - layout.yDomain[0])) * plot.h;
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  ctx.setLineDash([5, 4]);
  ctx.strokeStyle = style.muted;
  for (const v of [0, 1]) {
    const y = Math.round(yOf(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
  }
  ctx.setLineDash([]);

  // The students' Pareto front as a step line (best score at this size or smaller).
  if (layout.front.length > 1) {
    ctx.strokeStyle = style.text;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    layout.front.forEach((p, i) => {
      if (i === 0) ctx.moveTo(p.px, p.py);
      else {
        ctx.lineTo(p.px, layout.front[i - 1].py);
        ctx.lineTo(p.px, p.py);
      }
    });
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  // Whiskers, then markers (teacher last, on top).
  ctx.lineWidth = 1.2;
  for (const p of layout.points) {
    if (p.ciLoPy === null || p.ciHiPy === null) continue;
    ctx.strokeStyle = p.point.kind === 'teacher' ? style.teacher : p.point.color;
    ctx.globalAlpha = 0.75;
    ctx.beginPath();
    ctx.moveTo(p.px, p.ciLoPy);
    ctx.lineTo(p.px, p.ciHiPy);
    ctx.moveTo(p.px - 3, p.ciLoPy);
    ctx.lineTo(p.px + 3, p.ciLoPy);
    ctx.moveTo(p.px - 3, p.ciHiPy);
    ctx.lineTo(p.px + 3, p.ciHiPy);
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  const depth = { baseline: 0, student: 1, teacher: 2 } as const;
  const order = [...layout.points].sort((a, b) => depth[a.point.kind] - depth[b.point.kind]);
  for (const p of order) marker(ctx, p.point.kind, p.px, p.py, layout.markerRadius, p.point.color, style.teacher);
  if (highlight) {
    const h = layout.points.find((p) => p.point.id === highlight);
    if (h) {
      ctx.strokeStyle = style.text;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(h.px, h.py, layout.markerRadius + 4, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  // Labels on a paper-coloured box, readable over the grid.
  ctx.font = `11px ${style.font}`;
  ctx.textAlign = 'left';
  for (const l of layout.labels) {
    ctx.fillStyle = style.surface;
    ctx.globalAlpha = 0.8;
    ctx.fillRect(l.box.x, l.box.y, l.box.w, l.box.h);
    ctx.globalAlpha = 1;
    ctx.fillStyle = style.text;
    ctx.fillText(l.text, l.box.x + 2, l.box.y + l.box.h / 2);
  }
  ctx.restore();

  drawLegend(ctx, layout.legendBox, legend, style, layout.markerRadius);
  ctx.restore();
}

function drawLegend(ctx: CanvasRenderingContext2D, box: Box, legend: FrontierLegend, style: FrontierStyle, r: number): void {
  let y = box.y + 6;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.font = `600 11px ${style.font}`;
  ctx.fillStyle = style.text;
  ctx.fillText('Marks', box.x, y);
  y += 16;
  ctx.font = `11px ${style.font}`;
  for (const [kind, text] of [
    ['teacher', 'teacher'],
    ['student', 'student (distilled)'],
    ['baseline', 'from scratch (DQN)'],
  ] as const) {
    marker(ctx, kind, box.x + 7, y, Math.min(r, 4.5), kind === 'student' ? style.muted : style.muted, style.teacher);
    ctx.fillStyle = style.text;
    ctx.fillText(text, box.x + 20, y);
    y += 17;
  }
  ctx.strokeStyle = style.text;
  ctx.globalAlpha = 0.35;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(box.x, y);
  ctx.lineTo(box.x + 14, y);
  ctx.stroke();
  ctx.globalAlpha = 1;
  ctx.fillStyle = style.text;
  ctx.fillText('best student so far', box.x + 20, y);
  y += 24;
  ctx.font = `600 11px ${style.font}`;
  ctx.fillText(`Colour: ${legend.title}`, box.x, y);
  y += 16;
  ctx.font = `11px ${style.font}`;
  if (legend.kind === 'gradient') {
    const h = Math.min(120, box.y + box.h - y - 8);
    for (let i = 0; i < h; i++) {
      ctx.fillStyle = legend.colorAt(1 - i / Math.max(1, h - 1));
      ctx.fillRect(box.x, y + i, 14, 1);
    }
    ctx.fillStyle = style.text;
    ctx.fillText(String(Number(legend.max.toPrecision(3))), box.x + 20, y + 4);
    ctx.fillText(String(Number(legend.min.toPrecision(3))), box.x + 20, y + h - 4);
    return;
  }
  const room = Math.floor((box.y + box.h - y) / 16);
  const shown = legend.entries.length > room ? legend.entries.slice(0, Math.max(0, room - 1)) : legend.entries;
  for (const e of shown) {
    ctx.fillStyle = e.color;
    ctx.beginPath();
    ctx.arc(box.x + 7, y, 4.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = style.text;
    ctx.fillText(e.label.length > 22 ? `${e.label.slice(0, 21)}…` : e.label, box.x + 20, y);
    y += 16;
  }
  if (shown.length < legend.entries.length) {
    ctx.fillStyle = style.muted;
    ctx.fillText(`+ ${legend.entries.length - shown.length} more`, box.x + 20, y);
  }
}

/** A perceptually ordered colour ramp (five stops of viridis), t ∈ [0, 1]. */
const RAMP = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

export function rampColor(t: number): string {
  // The ramp stops short of viridis' pale yellow, which a small marker on white would lose.
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * 0.86 * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const c = RAMP[i].map((v, k) => Math.round(v + (RAMP[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
