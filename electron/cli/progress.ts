/** A one-line progress bar with ETA on stderr when it is a terminal; silent otherwise. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
    private readonly out: NodeJS.WriteStream = stream,
  ) {
    this.enabled = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  update(done: number, total: number, etaSeconds: number | null, extra = '', force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 28;
    const frac = total > 0 ? Math.min(done / total, 1) : 0;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const eta = etaSeconds === null ? '--:--' : formatDuration(etaSeconds);
    this.out.write(`\r${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} ETA ${eta} ${extra}\x1b[K`);
  }

  done(): void {
    if (this.enabled) this.out.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
