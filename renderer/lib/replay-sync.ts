/**
 * Two episodes in lockstep (teacher and student on the same episode seed, so they start from the same state):
 * frame k shows both at step k; the shorter one holds its final state once it has ended, so the timeline runs
 * to the longer one's end. Steps where both still act and chose different actions are the divergence markers.
 */

/** Steps 0 … min(len) − 1 where the two chose different actions. */
export function divergentSteps(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** The last frame of the lockstep timeline: the longer episode's final state (episodes of length L have frames 0 … L). */
export function lastFrame(...lengths: number[]): number {
  return Math.max(0, ...lengths);
}

/** The next (dir 1) or previous (dir −1) marker strictly after/before frame k; null when there is none. */
export function nextMarker(markers: readonly number[], k: number, dir: 1 | -1): number | null {
  if (dir > 0) return markers.find((m) => m > k) ?? null;
  for (let i = markers.length - 1; i >= 0; i--) if (markers[i] < k) return markers[i];
  return null;
}

/** The Q range over the episodes (bars are drawn relative to it), a little below the lowest value. */
export function qRange(...qs: (readonly number[] | null)[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const q of qs) {
    if (!q) continue;
    for (const v of q) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi];
}

/** Playback speeds offered (× the env's real-time rate). */
export const SPEEDS = [0.25, 0.5, 1, 2, 4] as const;

/** Frames to advance after `dtMs` at `fps` × `speed`, carrying the fraction in `carry`. */
export function advance(carry: number, dtMs: number, fps: number, speed: number): { frames: number; carry: number } {
  const total = carry + (dtMs / 1000) * fps * speed;
  const frames = Math.floor(total);
  return { frames, carry: total - frames };
}
