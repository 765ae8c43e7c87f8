/**
 * Writes that survive another process's lock. SQLite lets one writer at a time into a database; a second one
 * waits up to the connection's busy timeout (5 s) and then fails with SQLITE_BUSY ("database is locked").
 * Long writers commit in short chunks (db/chunked-write.ts), so a lock is normally held for a fraction of a
 * second, but a waiter can still lose the race several times in a row, or meet a writer that is not ours.
 * A training run must not die of that: its writes go through withBusyRetry (retry with exponential backoff
 * and jitter until a generous deadline) and its metrics through a MetricBuffer (points are kept in memory
 * while the database is locked and written later, never dropped).
 *
 * Retrying is safe because each retried function is one transaction: SQLITE_BUSY comes from BEGIN IMMEDIATE
 * or from the first write of an autocommit statement, before anything was changed.
 */

/** SQLITE_BUSY (another connection holds the lock) and SQLITE_LOCKED (a conflict inside this connection's cache). */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export interface LockWaitStats {
  /** Calls that met a locked database at least once. */
  waits: number;
  /** Attempts that failed with SQLITE_BUSY and were retried. */
  retries: number;
  /** Longest time one call spent from its first attempt to its success (ms), counted only for calls that waited. */
  longestWaitMs: number;
  /** Sum of those times (ms). */
  totalWaitMs: number;
  /**
   * Longest call of all (ms), first attempt to success, waiting included: SQLite's own busy wait (up to the
   * busy timeout) raises no error, so a wait shorter than the busy timeout shows only here.
   */
  longestCallMs: number;
}

export function newLockWaitStats(): LockWaitStats {
  return { waits: 0, retries: 0, longestWaitMs: 0, totalWaitMs: 0, longestCallMs: 0 };
}

export interface BusyRetryOptions {
  /** Give up after this long (ms) and rethrow, naming the wait. Default 10 minutes: a lock that long is not transient. */
  readonly maxWaitMs?: number;
  /** First backoff delay (ms); doubles per retry up to maxDelayMs, with ±50% jitter. Default 20. */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Statistics to update (shared by a worker's writes, reported by the soak bench). */
  readonly stats?: LockWaitStats;
  /** Called before each backoff sleep. */
  readonly onRetry?: (info: { attempt: number; waitedMs: number; error: Error }) => void;
  /** Blocking sleep; default Atomics.wait (fine in a worker thread; in an event loop use withBusyRetryAsync). */
  readonly sleep?: (ms: number) => void;
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps without spinning; the thread does nothing else meanwhile (SQLite's own busy wait blocks the same way). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleepBuffer, 0, 0, ms);
}

const DEFAULT_MAX_WAIT_MS = 10 * 60_000;

function backoff(attempt: number, options: BusyRetryOptions): number {
  const first = options.firstDelayMs ?? 20;
  const max = options.maxDelayMs ?? 1000;
  const base = Math.min(max, first * 2 ** Math.min(attempt - 1, 20));
  return base * (0.5 + Math.random());
}

function record(stats: LockWaitStats | undefined, attempts: number, started: number): void {
  if (!stats) return;
  const waited = Date.now() - started;
  if (waited > stats.longestCallMs) stats.longestCallMs = waited;
  if (attempts === 0) return;
  stats.waits++;
  stats.retries += attempts;
  stats.totalWaitMs += waited;
  if (waited > stats.longestWaitMs) stats.longestWaitMs = waited;
}

function gaveUp(what: string, waitedMs: number, err: Error): Error {
  const out = new Error(`${what}: the database stayed locked by another process for ${(waitedMs / 1000).toFixed(0)} s (${err.message})`);
  (out as { code?: string }).code = (err as { code?: string }).code;
  return out;
}

/**
 * One attempt of a retried write: the result, or how long to sleep before the next attempt. Throws what is
 * not a lock, and the lock itself once the deadline has passed.
 */
function attemptOnce<T>(what: string, fn: () => T, attempt: number, started: number, options: BusyRetryOptions): { value: T } | { sleepMs: number } {
  try {
    const value = fn();
    record(options.stats, attempt, started);
    return { value };
  } catch (err) {
    if (!isBusyError(err)) throw err;
    const waited = Date.now() - started;
    if (waited >= (options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS)) {
      record(options.stats, attempt + 1, started);
      throw gaveUp(what, waited, err as Error);
    }
    options.onRetry?.({ attempt: attempt + 1, waitedMs: waited, error: err as Error });
    return { sleepMs: backoff(attempt + 1, options) };
  }
}

/**
 * Runs `fn` (one transaction or one statement) and retries it while the database is locked. Other errors
 * pass through at once. `what` names the write in the error after the deadline.
 */
export function withBusyRetry<T>(what: string, fn: () => T, options: BusyRetryOptions = {}): T {
  const started = Date.now();
  const sleep = options.sleep ?? sleepSync;
  for (let attempt = 0; ; attempt++) {
    const r = attemptOnce(what, fn, attempt, started, options);
    if ('value' in r) return r.value;
    sleep(r.sleepMs);
  }
}

/** withBusyRetry for an event loop: the backoff sleeps are timers, so the process keeps serving meanwhile. */
export async function withBusyRetryAsync<T>(what: string, fn: () => T, options: Omit<BusyRetryOptions, 'sleep'> = {}): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const r = attemptOnce(what, fn, attempt, started, options);
    if ('value' in r) return r.value;
    await new Promise((resolve) => setTimeout(resolve, r.sleepMs));
  }
}

/**
 * Wraps every method of `target` in withBusyRetry (for a job store whose methods are each one transaction).
 * Methods named in `except` are left as they are (e.g. appendMetrics, which goes through a MetricBuffer).
 */
export function busyTolerant<T extends object>(target: T, options: BusyRetryOptions & { except?: readonly (keyof T)[] } = {}): T {
  const out = { ...target } as Record<string, unknown>;
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function' || options.except?.includes(name as keyof T)) continue;
    out[name] = (...args: unknown[]) => withBusyRetry(name, () => (value as (...a: unknown[]) => unknown).apply(target, args), options);
  }
  return out as T;
}

export interface MetricBufferOptions<P> {
  /**
   * Writes one batch (one transaction). A first try per flush that meets a lock leaves the points buffered;
   * flush({ wait: true }) and a full buffer retry with backoff instead.
   */
  readonly write: (runId: number, points: readonly P[]) => void;
  /** Points kept before append waits for the lock (default 200,000, ~10 MB). */
  readonly maxPending?: number;
  readonly retry?: BusyRetryOptions;
}

export interface MetricBuffer<P> {
  /** Queues the points and tries to write everything queued; never fails because of a lock. */
  append(runId: number, points: readonly P[]): void;
  /** Writes everything queued. With wait: retries until written (or the deadline); otherwise one try. Returns whether the buffer is empty. */
  flush(options?: { wait?: boolean }): boolean;
  /** Points waiting for the lock. */
  pending(): number;
  /** Number of flush attempts that met a lock and kept their points. */
  readonly deferred: number;
}

/**
 * Metric points of running jobs, written as soon as the database lets us and kept in order until then. Call
 * flush({ wait: true }) before a checkpoint (so the stored metrics reach its step) and at the end of a run.
 */
export function createMetricBuffer<P>(options: MetricBufferOptions<P>): MetricBuffer<P> {
  const queue: { runId: number; points: P[] }[] = [];
  let count = 0;
  let deferred = 0;
  const maxPending = options.maxPending ?? 200_000;

  const writeHead = () => {
    const head = queue[0];
    const started = Date.now();
    options.write(head.runId, head.points);
    const stats = options.retry?.stats;
    if (stats && Date.now() - started > stats.longestCallMs) stats.longestCallMs = Date.now() - started;
    queue.shift();
    count -= head.points.length;
  };

  const flush = (wait: boolean): boolean => {
    while (queue.length > 0) {
      if (wait) withBusyRetry(`metrics of run ${queue[0].runId}`, writeHead, options.retry);
      else {
        try {
          writeHead();
        } catch (err) {
          if (!isBusyError(err)) throw err;
          deferred++;
          return false;
        }
      }
    }
    return true;
  };

  return {
    append(runId, points) {
      if (points.length === 0) return;
      const last = queue.at(-1);
      // Consecutive batches of one run are merged, so that a flush after a lock is one transaction, not hundreds.
      if (last && last.runId === runId) for (const p of points) last.points.push(p);
      else queue.push({ runId, points: [...points] });
      count += points.length;
      flush(count > maxPending);
    },
    flush: (o = {}) => flush(o.wait === true),
    pending: () => count,
    get deferred() {
      return deferred;
    },
  };
}

export interface LockTolerantOptions<S> {
  /** Methods that must see every buffered metric point first (checkpoints, final status, deletes, close). */
  readonly flushBefore: readonly (keyof S)[];
  /**
   * Runs the first, non-blocking try of a metric write with a short busy timeout (e.g. StudioDb.withBusyTimeout
   * bound to 100 ms), so that a locked database costs the training loop milliseconds, not the full 5 s.
   */
  readonly firstTry?: <T>(fn: () => T) => T;
  readonly retry?: BusyRetryOptions;
  readonly maxPendingPoints?: number;
}

/**
 * A job store (core/experiment/jobs.ts JobStore, or the worker's) that a transient lock never fails: metric
 * points go through a MetricBuffer, every other method through withBusyRetry, and the methods named in
 * `flushBefore` write the buffered points first. `flushMetrics()` writes them on demand.
 */
export function lockTolerantStore<P, S extends { appendMetrics(runId: number, points: readonly P[]): void }>(store: S, options: LockTolerantOptions<S>): S & { flushMetrics(): void } {
  const firstTry = options.firstTry ?? (<T>(fn: () => T) => fn());
  const buffer = createMetricBuffer<P>({
    write: (runId, points) => firstTry(() => store.appendMetrics(runId, points)),
    maxPending: options.maxPendingPoints,
    retry: options.retry,
  });
  const wrapped = busyTolerant(store, { ...options.retry, except: ['appendMetrics'] as (keyof S)[] }) as S;
  const out = { ...wrapped } as Record<string, unknown>;
  for (const name of options.flushBefore) {
    const inner = wrapped[name] as unknown;
    if (typeof inner !== 'function') continue;
    out[name as string] = (...args: unknown[]) => {
      buffer.flush({ wait: true });
      return (inner as (...a: unknown[]) => unknown)(...args);
    };
  }
  out.appendMetrics = (runId: number, points: readonly P[]) => buffer.append(runId, points);
  out.flushMetrics = () => void buffer.flush({ wait: true });
  return out as S & { flushMetrics(): void };
}
