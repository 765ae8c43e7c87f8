/** Number, size, duration and date formatting shared by every view (tabular, compact, unit-bearing). */

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : intFmt.format(n);
}

/** A measured value with `digits` significant digits, without exponent noise for ordinary magnitudes. */
export function fmtNum(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1e6 || a < 1e-3) return n.toExponential(Math.max(0, digits - 1)).replace('-', '−');
  const s = Number(n.toPrecision(digits));
  return (a >= 1000 ? intFmt.format(s) : String(s)).replace('-', '−');
}

/** A normalised score (1 = the teacher's return): two decimals, so a column lines up. */
export function fmtScore(s: number | null | undefined): string {
  return s === null || s === undefined || !Number.isFinite(s) ? '—' : s.toFixed(2).replace('-', '−');
}

/** An episode return: one decimal (CartPole's 500.0, Acrobot's −87.3). */
export function fmtReturn(r: number | null | undefined): string {
  return r === null || r === undefined || !Number.isFinite(r) ? '—' : r.toFixed(1).replace('-', '−');
}

/** Parameter counts: 4,610 → "4.6k", 1,234,567 → "1.23M". */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return String(n);
  if (n < 1e6) return `${Number((n / 1e3).toPrecision(n < 1e4 ? 2 : 3))}k`;
  return `${Number((n / 1e6).toPrecision(3))}M`;
}

/** A ratio as a percentage with sensible precision: 0.0281 → "2.8 %", 0.00041 → "0.041 %". */
export function fmtPercent(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—';
  const p = r * 100;
  const digits = p >= 10 ? 0 : p >= 1 ? 1 : 2;
  return `${p.toFixed(digits)} %`;
}

/** Seconds as "45 s", "3 min 20 s", "2 h 05 min". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function fmtRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = (now - t) / 1000;
  if (d < 45) return 'just now';
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return fmtDate(iso);
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/** The x-axis label of a step unit. */
export function unitLabel(unit: string): string {
  switch (unit) {
    case 'env_steps':
      return 'env steps';
    case 'gradient_updates':
      return 'gradient updates';
    case 'episodes':
      return 'episodes';
    default:
      return unit.replace(/_/g, ' ');
  }
}

/** "8-8" for [8, 8]. */
export function fmtSizes(sizes: readonly number[] | null | undefined): string {
  return sizes && sizes.length ? sizes.join('-') : '—';
}

/** A file-name-safe slug of a user's name. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'experiment';
}

/** "1 run", "3 runs". */
export function plural(n: number, word: string): string {
  return `${fmtInt(n)} ${word}${n === 1 ? '' : 's'}`;
}
