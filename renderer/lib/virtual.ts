/**
 * Windowing for long tables (1,000 experiments; part 2's compare table): only the rows in view, plus a few
 * either side, are in the DOM; spacer rows keep the scrollbar honest. Rows have a fixed height.
 */
export interface RowWindow {
  /** First rendered row index. */
  readonly start: number;
  /** One past the last rendered row index. */
  readonly end: number;
  /** Pixels of spacer above and below the rendered rows. */
  readonly padTop: number;
  readonly padBottom: number;
}

export function rowWindow(count: number, rowHeight: number, scrollTop: number, viewportHeight: number, overscan = 8): RowWindow {
  if (count === 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  // Before the viewport is measured, render a screenful rather than nothing.
  const view = viewportHeight > 0 ? viewportHeight : 1000;
  const first = Math.max(0, Math.min(count - 1, Math.floor(Math.max(0, scrollTop) / rowHeight)));
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + Math.ceil(view / rowHeight) + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}
