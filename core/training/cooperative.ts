/**
 * Long synchronous work (evaluation episodes, knowledge extraction, replay recording) written once, as a
 * generator that yields how much it has done, and driven either to the end at once (`runToEnd`, for callers
 * that want a plain value) or cooperatively (`runCooperatively`): every `sliceMs` of work it reports progress,
 * lets the event loop run (so a cancel message can arrive) and throws CancelledError if the signal fired.
 */
import { CancelledError } from './errors.ts';

/** A unit of work: yields the amount done so far (in whatever unit the caller reports), returns the result. */
export type Work<R> = Generator<number, R, void>;

export function runToEnd<R>(work: Work<R>): R {
  for (;;) {
    const next = work.next();
    if (next.done) return next.value;
  }
}

export interface CooperativeOptions {
  readonly signal?: AbortSignal;
  /** Called with the amount done at every slice and once at the end. */
  readonly onProgress?: (done: number) => void;
  /** Work between two yields to the event loop (default 25 ms, so a cancel lands within ~50 ms). */
  readonly sliceMs?: number;
  /** What CancelledError names ("evaluation", "extraction"). */
  readonly what?: string;
}

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runCooperatively<R>(work: Work<R>, options: CooperativeOptions = {}): Promise<R> {
  const slice = options.sliceMs ?? 25;
  let sliceStart = performance.now();
  let done = 0;
  if (options.signal?.aborted) throw new CancelledError(options.what);
  for (;;) {
    const next = work.next();
    if (next.done) {
      options.onProgress?.(done);
      return next.value;
    }
    done = next.value;
    if (performance.now() - sliceStart >= slice) {
      options.onProgress?.(done);
      await yieldToEventLoop();
      if (options.signal?.aborted) {
        work.return(undefined as never);
        throw new CancelledError(options.what);
      }
      sliceStart = performance.now();
    }
  }
}
