/**
 * What canvas and uPlot charts need from the design system (tokens.css): colours and the font read from the
 * CSS variables, uPlot axis styles, and a canvas sized for the device pixel ratio. One place, so every chart of
 * the studio looks the same.
 */

export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The colours and font canvas charts draw with. */
export interface ChartStyle {
  readonly text: string;
  readonly muted: string;
  readonly grid: string;
  readonly surface: string;
  readonly font: string;
}

export function chartStyle(): ChartStyle {
  return { text: cssVar('--text', '#1a1f27'), muted: cssVar('--text-3', '#6b7280'), grid: cssVar('--border', '#dde1e7'), surface: cssVar('--surface', '#fff'), font: cssVar('--font-ui', 'system-ui') };
}

/** uPlot axis options in the studio's style (stroke, grid, ticks, fonts, a label). */
export function uplotAxis(label: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = chartStyle();
  return {
    stroke: s.muted,
    grid: { stroke: s.grid, width: 1 },
    ticks: { stroke: s.grid, width: 1, size: 4 },
    font: `11px ${s.font}`,
    labelFont: `500 11px ${s.font}`,
    label,
    labelSize: 18,
    labelGap: 0,
    ...extra,
  };
}

/** Sizes a canvas to width × height CSS pixels at the device pixel ratio; returns its context, in CSS pixels. */
export function sizeCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Calls `set` with an element's content width whenever it changes (a Svelte action). */
export function observeWidth(el: HTMLElement, set: (width: number) => void) {
  const ro = new ResizeObserver(([e]) => set(Math.floor(e.contentRect.width)));
  ro.observe(el);
  return { destroy: () => ro.disconnect() };
}
