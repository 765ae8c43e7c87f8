/**
 * Grouped curves on uPlot (aligned mode: every group resampled onto one x grid): per group a mean line and a
 * translucent band (±std or min–max over its seeds) drawn with uPlot's `bands`. Groups can be hidden (the
 * legend toggles them); hovering reports, per visible group, the mean, the band and how many seeds have data
 * at that x. Drag to zoom along x, double-click to reset (uPlot's own cursor behaviour).
 */
import uPlot from 'uplot';
import { tickLabel } from './live-chart.ts';
import { uplotAxis } from './theme.ts';

export interface BandGroup {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly dash?: readonly number[];
  readonly mean: ArrayLike<number>;
  readonly lo: ArrayLike<number>;
  readonly hi: ArrayLike<number>;
  readonly n: ArrayLike<number>;
}

export interface BandHoverRow {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

export interface BandHover {
  readonly left: number;
  readonly top: number;
  readonly x: number;
  readonly rows: readonly BandHoverRow[];
}

export interface BandChartOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly height: number;
  readonly onHover?: (h: BandHover | null) => void;
}

/** "#4e79a7" with alpha → "rgba(78,121,167,a)". */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

/** NaN → null, which uPlot draws as a gap. */
const gaps = (a: ArrayLike<number>): (number | null)[] => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

export class BandChart {
  private plot: uPlot | null = null;
  private groups: BandGroup[] = [];
  private grid: ArrayLike<number> = [];
  private hidden = new Set<string>();
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private readonly options: BandChartOptions,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.options.height }));
    this.resizeObserver.observe(container);
  }

  private width(): number {
    return Math.max(240, Math.floor(this.container.clientWidth));
  }

  /** Replaces the data (a new uPlot instance). */
  setData(grid: ArrayLike<number>, groups: readonly BandGroup[], xLabel = this.options.xLabel, yLabel = this.options.yLabel): void {
    this.grid = grid;
    this.groups = [...groups];
    this.plot?.destroy();
    const data: (number | null)[][] = [Array.from(grid)];
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    for (const g of this.groups) {
      const show = !this.hidden.has(g.id);
      const base = data.length;
      data.push(gaps(g.mean), gaps(g.hi), gaps(g.lo));
      series.push(
        { label: g.label, stroke: g.color, width: 2, dash: g.dash ? [...g.dash] : undefined, show, spanGaps: false, points: { show: false } },
        { label: `${g.label} (upper)`, stroke: 'transparent', width: 0, show, points: { show: false } },
        { label: `${g.label} (lower)`, stroke: 'transparent', width: 0, show, points: { show: false } },
      );
      bands.push({ series: [base + 1, base + 2], fill: withAlpha(g.color, 0.16) });
    }
    this.plot = new uPlot(
      {
        width: this.width(),
        height: this.options.height,
        legend: { show: false },
        padding: [8, 22, 0, 0],
        scales: { x: { time: false } },
        cursor: { drag: { x: true, y: false }, points: { show: false } },
        series,
        bands,
        axes: [
          uplotAxis(xLabel, { size: 32, values: (_u: uPlot, vals: number[]) => vals.map(tickLabel) }),
          uplotAxis(yLabel, { size: 52, values: (_u: uPlot, vals: number[]) => vals.map(tickLabel) }),
        ],
        hooks: { setCursor: [(u) => this.hover(u)] },
      },
      data as uPlot.AlignedData,
      this.container,
    );
  }

  setVisible(id: string, visible: boolean): void {
    if (visible) this.hidden.delete(id);
    else this.hidden.add(id);
    const i = this.groups.findIndex((g) => g.id === id);
    if (i < 0 || !this.plot) return;
    const plot = this.plot;
    plot.batch(() => {
      for (let k = 1; k <= 3; k++) plot.setSeries(1 + i * 3 + (k - 1), { show: visible });
    });
  }

  /** The canvas (for a PNG). */
  canvas(): HTMLCanvasElement | null {
    return this.plot?.ctx.canvas ?? null;
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private hover(u: uPlot): void {
    const cb = this.options.onHover;
    if (!cb) return;
    const idx = u.cursor.idx;
    const { left, top } = u.cursor;
    if (idx === null || idx === undefined || left === undefined || top === undefined || left < 0) {
      cb(null);
      return;
    }
    const rows: BandHoverRow[] = [];
    for (const g of this.groups) {
      if (this.hidden.has(g.id) || !Number.isFinite(g.mean[idx])) continue;
      rows.push({ id: g.id, label: g.label, color: g.color, mean: g.mean[idx], lo: g.lo[idx], hi: g.hi[idx], n: g.n[idx] });
    }
    cb(rows.length ? { left, top, x: this.grid[idx], rows } : null);
  }
}
