/**
 * The knowledge base's state coverage: every row as a 2 × 2 device-pixel dot over two chosen state
 * dimensions, coloured by the teacher's greedy action. 10⁵ dots are written straight into an ImageData (no
 * path per point), in an interleaved order so that no action is drawn on top of all the others; axes and
 * ticks are drawn over it with the 2D context. `overlay` marks extra states (e.g. a student's states that fell
 * outside the retrieval radius) as crosses on top.
 */
import { linearTicks } from './frontier.ts';
import { sizeCanvas, type ChartStyle } from './theme.ts';

export interface ScatterData {
  readonly rows: number;
  readonly dims: number;
  /** rows × dims. */
  readonly states: Float32Array;
  /** One class per row (the greedy action). */
  readonly classes: Uint8Array;
}

export interface ScatterOptions {
  readonly xDim: number;
  readonly yDim: number;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Colour per class, as "#rrggbb". */
  readonly colors: readonly string[];
  /** Axis ranges (default: the data's extent with 3% air). */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly overlay?: { readonly states: Float32Array; readonly dims: number; readonly color: string } | null;
  readonly style: ChartStyle;
}

export interface ScatterResult {
  readonly drawn: number;
  readonly overlayDrawn: number;
  readonly ms: number;
}

/** base64 of little-endian bytes → a typed array of its element type. */
export function decodeBase64<T extends Float32Array | Uint8Array>(b64: string, ctor: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const bin = atob(b64);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new ctor(bytes.buffer);
}

const MARGIN = { left: 54, right: 12, top: 10, bottom: 38 };

/** The range of dimension `d` over the rows (and the overlay's states, so that they are in view too), with 3% air. */
function extent(states: Float32Array, dims: number, d: number, rows: number, overlay?: ScatterOptions['overlay']): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < rows; i++) {
    const v = states[i * dims + d];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (overlay) {
    for (let i = d; i < overlay.states.length; i += overlay.dims) {
      const v = overlay.states[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.03;
  return [lo - pad, hi + pad];
}

const rgb = (hex: string): [number, number, number] => {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [0, 0, 0];
};

/** A stride coprime with n: visiting i·stride mod n walks every row once, interleaving episodes and actions. */
function coprimeStride(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let s = Math.max(1, Math.floor(n * 0.618));
  while (n > 1 && gcd(s, n) !== 1) s++;
  return s;
}

export function drawScatter(canvas: HTMLCanvasElement, data: ScatterData, o: ScatterOptions): ScatterResult {
  const t0 = performance.now();
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const ctx = sizeCanvas(canvas, width, height);
  ctx.fillStyle = o.style.surface;
  ctx.fillRect(0, 0, width, height);
  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const [x0, x1] = o.xRange ?? extent(data.states, data.dims, o.xDim, data.rows, o.overlay);
  const [y0, y1] = o.yRange ?? extent(data.states, data.dims, o.yDim, data.rows, o.overlay);

  // Grid first (under the dots).
  ctx.strokeStyle = o.style.grid;
  ctx.lineWidth = 1;
  const xTicks = linearTicks(x0, x1, 7);
  const yTicks = linearTicks(y0, y1, 6);
  const xPx = (v: number) => plot.x + ((v - x0) / (x1 - x0)) * plot.w;
  const yPx = (v: number) => plot.y + plot.h - ((v - y0) / (y1 - y0)) * plot.h;
  ctx.beginPath();
  for (const v of xTicks) {
    ctx.moveTo(Math.round(xPx(v)) + 0.5, plot.y);
    ctx.lineTo(Math.round(xPx(v)) + 0.5, plot.y + plot.h);
  }
  for (const v of yTicks) {
    ctx.moveTo(plot.x, Math.round(yPx(v)) + 0.5);
    ctx.lineTo(plot.x + plot.w, Math.round(yPx(v)) + 0.5);
  }
  ctx.stroke();

  // The dots, written into the plot area's pixels (device pixels), blended over what is there.
  const px0 = Math.round(plot.x * dpr);
  const py0 = Math.round(plot.y * dpr);
  const pw = Math.max(1, Math.round(plot.w * dpr));
  const ph = Math.max(1, Math.round(plot.h * dpr));
  const image = ctx.getImageData(px0, py0, pw, ph);
  const pix = image.data;
  const colors = o.colors.map(rgb);
  const sx = pw / (x1 - x0);
  const sy = ph / (y1 - y0);
  const alpha = data.rows > 50_000 ? 0.55 : data.rows > 5_000 ? 0.75 : 0.95;
  const size = data.rows > 20_000 ? 2 : 3;
  const stride = coprimeStride(data.rows);
  let drawn = 0;
  for (let k = 0, i = 0; k < data.rows; k++, i = (i + stride) % data.rows) {
    const x = data.states[i * data.dims + o.xDim];
    const y = data.states[i * data.dims + o.yDim];
    const cx = Math.floor((x - x0) * sx);
    const cy = Math.floor((y1 - y) * sy);
    if (!(cx >= 0 && cy >= 0 && cx < pw && cy < ph)) continue;
    const [r, g, b] = colors[data.classes[i] % colors.length];
    for (let dy = 0; dy < size && cy + dy < ph; dy++) {
      let p = ((cy + dy) * pw + cx) * 4;
      for (let dx = 0; dx < size && cx + dx < pw; dx++, p += 4) {
        pix[p] += (r - pix[p]) * alpha;
        pix[p + 1] += (g - pix[p + 1]) * alpha;
        pix[p + 2] += (b - pix[p + 2]) * alpha;
        pix[p + 3] = 255;
      }
    }
    drawn++;
  }
  ctx.putImageData(image, px0, py0);

  // States marked on top (crosses), e.g. where a student found no KB neighbour within the radius.
  let overlayDrawn = 0;
  if (o.overlay && o.overlay.states.length > 0) {
    const ov = o.overlay;
    const count = Math.floor(ov.states.length / ov.dims);
    ctx.strokeStyle = ov.color;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    for (let i = 0; i < count; i++) {
      const x = xPx(ov.states[i * ov.dims + o.xDim]);
      const y = yPx(ov.states[i * ov.dims + o.yDim]);
      if (x < plot.x || x > plot.x + plot.w || y < plot.y || y > plot.y + plot.h) continue;
      ctx.moveTo(x - 3, y - 3);
      ctx.lineTo(x + 3, y + 3);
      ctx.moveTo(x - 3, y + 3);
      ctx.lineTo(x + 3, y - 3);
      overlayDrawn++;
    }
    ctx.stroke();
  }

  // Axes, ticks and labels over the dots.
  ctx.strokeStyle = o.style.muted;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w, plot.h);
  ctx.fillStyle = o.style.muted;
  ctx.font = `11px ${o.style.font}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  for (const v of xTicks) ctx.fillText(String(v), xPx(v), plot.y + plot.h + 12);
  ctx.textAlign = 'right';
  for (const v of yTicks) ctx.fillText(String(v), plot.x - 6, yPx(v));
  ctx.font = `500 11px ${o.style.font}`;
  ctx.fillStyle = o.style.text;
  ctx.textAlign = 'center';
  ctx.fillText(o.xLabel, plot.x + plot.w / 2, plot.y + plot.h + 29);
  ctx.save();
  ctx.translate(13, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(o.yLabel, 0, 0);
  ctx.restore();
  return { drawn, overlayDrawn, ms: performance.now() - t0 };
}
