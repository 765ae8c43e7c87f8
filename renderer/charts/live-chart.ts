/**
 * A live line chart on uPlot (a fast canvas chart library, ~50 kB): several curves that each have their own
 * x values (runs record at different steps), so uPlot runs in its faceted mode (mode 2) with one [xs, ys]
 * pair per curve, read straight from each SeriesBuffer's typed arrays. Appends only mark the chart dirty;
 * it redraws at most once per animation frame, and its scales come from the buffers' running min/max rather
 * than a scan. Drag to zoom along x, double-click to reset; hovering reads every curve's nearest value.
 */
import uPlot from 'uplot';
import { fmtNum } from '../lib/format.ts';
import type { SeriesBuffer } from './series-buffer.ts';
import { cssVar } from './theme.ts';

export interface LiveSeries {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly dash?: readonly number[];
  readonly buffer: SeriesBuffer;
  /** Draw a dot at every point (sparse series such as periodic evaluations). */
  readonly points?: boolean;
}

export interface RefLine {
  readonly value: number;
  readonly label: string;
}

export interface HoverRow {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly x: number;
  readonly y: number;
}

export interface Hover {
  /** Cursor position in CSS pixels inside the plot area. */
  readonly left: number;
  readonly top: number;
  readonly x: number;
  readonly rows: readonly HoverRow[];
}

export interface LiveChartOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly height: number;
  readonly refLines?: readonly RefLine[];
  /** A fixed y range (quantities with a known domain, such as ε and α in [0, 1]); otherwise fitted to the data. */
  readonly yRange?: readonly [number, number];
  readonly onHover?: (hover: Hover | null) => void;
  /** Called after each redraw with the number of points drawn (tests and benches read it). */
  readonly onDraw?: (points: number) => void;
}

/** Tick spacings of a step axis: 1, 2, 5, 10, 20, 50, … */
const STEP_INCRS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

/** Compact tick labels: 20000 → "20k". */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return fmtNum(v, 4);
}

/**
 * uPlot's point builder draws the index window of the aligned x data (mode 1); a faceted curve has its own
 * x values, so every point of the curve is drawn.
 */
const pointsBuilder = uPlot.paths.points!();
const facetPoints: uPlot.Series.Points.PathBuilder = (u, seriesIdx, _i0, _i1, filtIdxs) => {
  const xs = (u.data[seriesIdx] as unknown as [ArrayLike<number>, ArrayLike<number>])[0];
  return pointsBuilder(u, seriesIdx, 0, xs.length - 1, filtIdxs);
};

export class LiveChart {
  private plot: uPlot | null = null;
  private series: LiveSeries[] = [];
  private hidden = new Set<string>();
  private drawn = new Map<string, number>();
  private frame = 0;
  private zoom: [number, number] | null = null;
  private resizeObserver: ResizeObserver;
  private width = 0;
  private refLines: readonly RefLine[];

  constructor(
    private readonly container: HTMLElement,
    private readonly options: LiveChartOptions,
  ) {
    this.refLines = options.refLines ?? [];
    this.width = Math.max(200, Math.floor(container.clientWidth));
    this.resizeObserver = new ResizeObserver(() => {
      const w = Math.max(200, Math.floor(this.container.clientWidth));
      if (w !== this.width && this.plot) {
        this.width = w;
        this.plot.setSize({ width: w, height: this.options.height });
      }
    });
    this.resizeObserver.observe(container);
  }

  /** Replaces the curves (a new uPlot instance; cheap, and rare: runs come and go seldom). */
  setSeries(series: readonly LiveSeries[]): void {
    this.series = [...series];
    this.drawn.clear();
    this.plot?.destroy();
    this.plot = new uPlot(this.plotOptions(), this.data() as unknown as uPlot.AlignedData, this.container);
    this.applyScales();
    this.options.onDraw?.(this.pointCount());
  }

  setRefLines(lines: readonly RefLine[]): void {
    this.refLines = lines;
    this.drawn.clear();
    this.invalidate();
  }

  /** Hides or shows a curve by id. */
  setVisible(id: string, visible: boolean): void {
    if (visible) this.hidden.delete(id);
    else this.hidden.add(id);
    const i = this.series.findIndex((s) => s.id === id);
    if (i >= 0 && this.plot) {
      this.plot.setSeries(i + 1, { show: visible });
      this.drawn.clear();
      this.invalidate();
    }
  }

  /** Schedules a redraw on the next animation frame if any curve changed since the last one. */
  invalidate(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redrawIfChanged();
    });
  }

  /** Redraws now if a curve changed (the frame callback; benches call it directly). */
  redrawIfChanged(): boolean {
    if (!this.plot) return false;
    let changed = this.drawn.size === 0;
    for (const s of this.series) if (this.drawn.get(s.id) !== s.buffer.version) changed = true;
    if (!changed) return false;
    const plot = this.plot;
    plot.batch(() => {
      plot.setData(this.data() as unknown as uPlot.AlignedData, false);
      this.applyScales();
    });
    this.options.onDraw?.(this.pointCount());
    return true;
  }

  resetZoom(): void {
    this.zoom = null;
    this.drawn.clear();
    this.invalidate();
  }

  pointCount(): number {
    let n = 0;
    for (const s of this.series) if (!this.hidden.has(s.id)) n += s.buffer.length;
    return n;
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  // -------------------------------------------------------------------------------------------------------

  private data(): unknown[] {
    const data: unknown[] = [null];
    for (const s of this.series) {
      data.push([s.buffer.xs(), s.buffer.ys()]);
      this.drawn.set(s.id, s.buffer.version);
    }
    return data;
  }

  private ranges(): { x: [number, number]; y: [number, number] } | null {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const s of this.series) {
      if (this.hidden.has(s.id) || s.buffer.length === 0) continue;
      x0 = Math.min(x0, s.buffer.xMin);
      x1 = Math.max(x1, s.buffer.xMax);
      y0 = Math.min(y0, s.buffer.yMin);
      y1 = Math.max(y1, s.buffer.yMax);
    }
    if (!Number.isFinite(x0)) return null;
    for (const r of this.refLines) {
      y0 = Math.min(y0, r.value);
      y1 = Math.max(y1, r.value);
    }
    if (this.options.yRange) {
      y0 = Math.min(y0, this.options.yRange[0]);
      y1 = Math.max(y1, this.options.yRange[1]);
    } else if (y0 === y1) {
      // A flat curve (a constant loss, a plateau): a small band around it, not uPlot's 0–100 default.
      const pad = Math.abs(y0) * 0.1 || 1e-3;
      y0 -= pad;
      y1 += pad;
    }
    if (x0 === x1) {
      // One x value (a single point so far): centre it in a small range rather than a 1-step sliver.
      const pad = Math.max(1, Math.abs(x0) * 0.1);
      x0 -= pad;
      x1 += pad;
    }
    const [ry0, ry1] = this.options.yRange ? [y0, y1] : uPlot.rangeNum(y0, y1, 0.08, true);
    return { x: this.zoom ?? [x0, x1], y: [ry0 ?? y0, ry1 ?? y1] };
  }

  private applyScales(): void {
    const r = this.ranges();
    if (!r || !this.plot) return;
    this.plot.setScale('x', { min: r.x[0], max: r.x[1] });
    this.plot.setScale('y', { min: r.y[0], max: r.y[1] });
  }

  private plotOptions(): uPlot.Options {
    const grid = { stroke: cssVar('--border', '#dde1e7'), width: 1 };
    const ticks = { stroke: cssVar('--border', '#dde1e7'), width: 1, size: 4 };
    const axisColor = cssVar('--text-3', '#6b7280');
    const font = `11px ${cssVar('--font-ui', 'system-ui')}`;
    const labelFont = `500 11px ${cssVar('--font-ui', 'system-ui')}`;
    const facets = [
      { scale: 'x', auto: false, sorted: 1 },
      { scale: 'y', auto: false },
    ];
    return {
      mode: 2 as uPlot.Mode,
      width: this.width,
      height: this.options.height,
      legend: { show: false },
      padding: [8, 22, 0, 0],
      scales: { x: { time: false, auto: false }, y: { auto: false } },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        dataIdx: (_u, _s, i) => i,
      },
      series: [
        {},
        ...this.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          dash: s.dash ? [...s.dash] : undefined,
          show: !this.hidden.has(s.id),
          facets,
          paths: uPlot.paths.linear!(),
          // Dots where the line alone would not read (periodic evaluations, curves of a few points so far), and
          // only while they are at least 8 px apart on average: 10⁵ dots a frame would stall the chart.
          points: { show: (u: uPlot) => s.buffer.length <= Math.max(24, u.bbox.width / devicePixelRatio / (s.points ? 8 : 24)), size: 5, fill: s.color, stroke: s.color, paths: facetPoints },
        })),
      ] as uPlot.Series[],
      axes: [
        // Steps are whole numbers: no "0.5 gradient updates" ticks while a curve has one point.
        { stroke: axisColor, grid, ticks, font, labelFont, label: this.options.xLabel, labelSize: 18, labelGap: 0, incrs: STEP_INCRS, values: (_u, vals) => vals.map(tickLabel) },
        { stroke: axisColor, grid, ticks, font, labelFont, label: this.options.yLabel, labelSize: 18, labelGap: 0, size: 48, values: (_u, vals) => vals.map(tickLabel) },
      ],
      hooks: {
        draw: [(u) => this.drawRefLines(u)],
        setSelect: [(u) => this.zoomToSelection(u)],
        setCursor: [(u) => this.hover(u)],
        ready: [(u) => u.over.addEventListener('dblclick', () => this.resetZoom())],
      },
    };
  }

  private drawRefLines(u: uPlot): void {
    if (this.refLines.length === 0) return;
    const ctx = u.ctx;
    const { left, width, top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = cssVar('--text-3', '#6b7280');
    ctx.fillStyle = cssVar('--text-3', '#6b7280');
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.font = `${11 * devicePixelRatio}px ${cssVar('--font-ui', 'system-ui')}`;
    ctx.textAlign = 'right';
    const pad = 3 * devicePixelRatio;
    for (const r of this.refLines) {
      const y = Math.round(u.valToPos(r.value, 'y', true));
      if (y < top || y > top + height) continue;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      // The label sits on a paper-coloured box at the right end, readable over the curves.
      const w = ctx.measureText(r.label).width;
      const x = left + width - pad;
      ctx.save();
      ctx.fillStyle = cssVar('--surface', '#fff');
      ctx.globalAlpha = 0.85;
      ctx.fillRect(x - w - pad, y - 15 * devicePixelRatio, w + 2 * pad, 13 * devicePixelRatio);
      ctx.restore();
      ctx.fillText(r.label, x, y - 5 * devicePixelRatio);
    }
    ctx.restore();
  }

  private zoomToSelection(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 4) return;
    this.zoom = [u.posToVal(left, 'x'), u.posToVal(left + width, 'x')];
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.drawn.clear();
    this.invalidate();
  }

  private hover(u: uPlot): void {
    const cb = this.options.onHover;
    if (!cb) return;
    const { left, top } = u.cursor;
    if (left === undefined || top === undefined || left < 0 || this.series.length === 0) {
      cb(null);
      return;
    }
    const x = u.posToVal(left, 'x');
    // A curve takes part where it has data: within its own x extent, give or take 3% of the visible span.
    const slack = ((u.scales.x.max ?? 1) - (u.scales.x.min ?? 0)) * 0.03;
    const rows: HoverRow[] = [];
    for (const s of this.series) {
      if (this.hidden.has(s.id) || x < s.buffer.xMin - slack || x > s.buffer.xMax + slack) continue;
      const i = s.buffer.nearest(x);
      if (i < 0) continue;
      rows.push({ id: s.id, label: s.label, color: s.color, x: s.buffer.x(i), y: s.buffer.y(i) });
    }
    cb(rows.length ? { left, top, x, rows } : null);
  }
}
