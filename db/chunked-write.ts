/**
 * Long writes (an import of hundreds of MB, a large knowledge base) as a sequence of short transactions, so
 * that no lock is held for more than a fraction of the busy timeout and training runs writing to the same
 * database keep going. The writer pauses between transactions long enough for a waiting connection to get in:
 * SQLite's busy handler polls a locked database at growing intervals, up to every 100 ms, so a gap shorter
 * than that can be missed again and again. The gap is short while nobody else writes and widens as soon as
 * `PRAGMA data_version` shows that another connection committed during a gap.
 *
 * Each step must be small (bounded time: a few thousand rows, one BLOB). Steps run inside IMMEDIATE
 * transactions; a transaction is committed after the step during which it reached `targetMs`. When a step
 * throws, the open transaction is rolled back and the error passes on: what earlier transactions committed
 * stays, and the caller undoes it (see db/transfer.ts).
 */
import type Database from 'better-sqlite3';
import { sleepSync, withBusyRetry, withBusyRetryAsync, type LockWaitStats } from './busy-retry.ts';

export interface ChunkedWriteOptions {
  /** Commit once a transaction has run this long (ms). Default 150: 3% of the 5 s busy timeout. */
  readonly targetMs?: number;
  /** Gap between transactions while nobody else writes (ms). Default 15. */
  readonly quietPauseMs?: number;
  /** Gap once another connection wrote during a gap (ms), longer than SQLite's longest busy poll. Default 120. */
  readonly busyPauseMs?: number;
  /** Run at the start of every transaction (e.g. `PRAGMA defer_foreign_keys = ON`, which a commit resets). */
  readonly onBegin?: () => void;
  /** Lock-wait statistics of this writer's own BEGINs. */
  readonly lockStats?: LockWaitStats;
  /**
   * Fold the write-ahead log into the database file in every gap (a PASSIVE checkpoint, which takes no lock
   * from writers) instead of SQLite's automatic checkpoint at the end of a commit: the log stays small during a
   * long write, and the time a commit holds the lock is not inflated by the checkpoint.
   */
  readonly checkpointInGaps?: boolean;
}

export interface ChunkedWriteStats {
  transactions: number;
  /** Longest time one of our transactions held the write lock (ms). */
  longestTransactionMs: number;
  /** Longest single step (ms): a step longer than targetMs means the steps are too coarse. */
  longestStepMs: number;
  /** Wall time of the whole write (ms), pauses included. */
  totalMs: number;
}

/** A write step, or a marker that forces a commit before the next step (for steps that must see committed rows). */
export type ChunkStep = (() => void) | 'commit';

/** How many gaps after a sign of contention keep the long gap. */
const CONTENTION_MEMORY = 8;

class ChunkedWriter {
  readonly stats: ChunkedWriteStats = { transactions: 0, longestTransactionMs: 0, longestStepMs: 0, totalMs: 0 };
  private readonly started = Date.now();
  private txStart = 0;
  private open = false;
  private contention = 0;
  private readonly dataVersion: Database.Statement;

  private readonly autoCheckpoint: number | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly options: ChunkedWriteOptions,
  ) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    if (options.checkpointInGaps && !db.inTransaction) {
      this.autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
      db.pragma('wal_autocheckpoint = 0');
    }
  }

  /** Whether the caller is already inside a transaction: then nothing can be committed early. */
  get nested(): boolean {
    return this.db.inTransaction && !this.open;
  }

  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
    this.open = true;
    this.txStart = Date.now();
    this.options.onBegin?.();
  }

  stepTook(ms: number): void {
    if (ms > this.stats.longestStepMs) this.stats.longestStepMs = Math.round(ms);
  }

  /** Whether the open transaction has run long enough to be committed. */
  due(): boolean {
    return Date.now() - this.txStart >= (this.options.targetMs ?? 150);
  }

  commit(): void {
    if (!this.open) return;
    this.db.exec('COMMIT');
    this.open = false;
    const held = Date.now() - this.txStart;
    this.stats.transactions++;
    if (held > this.stats.longestTransactionMs) this.stats.longestTransactionMs = held;
  }

  rollback(): void {
    if (!this.open) return;
    this.open = false;
    try {
      this.db.exec('ROLLBACK');
    } catch {
      /* SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error is what matters */
    }
  }

  /** The gap to leave before the next transaction, and a probe to call after it. */
  pause(): { ms: number; after: () => void } {
    if (this.autoCheckpoint !== null) this.db.pragma('wal_checkpoint(PASSIVE)');
    const before = this.dataVersion.get() as number;
    const ms = this.contention > 0 ? (this.options.busyPauseMs ?? 120) : (this.options.quietPauseMs ?? 15);
    return {
      ms,
      after: () => {
        if ((this.dataVersion.get() as number) !== before) this.contention = CONTENTION_MEMORY;
        else if (this.contention > 0) this.contention--;
      },
    };
  }

  finish(): ChunkedWriteStats {
    this.restore();
    this.stats.totalMs = Date.now() - this.started;
    return this.stats;
  }

  /** Puts SQLite's automatic checkpoint back (also after a failure). */
  restore(): void {
    if (this.autoCheckpoint !== null && this.db.open) this.db.pragma(`wal_autocheckpoint = ${this.autoCheckpoint}`);
  }
}

/** What the step loop needs from its driver: a BEGIN (retried while locked), or a gap between transactions. */
type Need = { readonly kind: 'begin' } | { readonly kind: 'pause'; readonly ms: number; readonly after: () => void };

/** The step loop, once for both drivers: runs the steps and yields what must wait (begin, gaps). */
function* stepLoop(db: Database.Database, w: ChunkedWriter, steps: Iterable<ChunkStep>): Generator<Need, void, void> {
  for (const step of steps) {
    if (step === 'commit') {
      w.commit();
      continue;
    }
    if (!db.inTransaction) yield { kind: 'begin' };
    const t = performance.now();
    step();
    w.stepTook(performance.now() - t);
    if (w.due()) {
      w.commit();
      yield { kind: 'pause', ...w.pause() };
    }
  }
  w.commit();
}

/** Runs the steps in short transactions, pausing between them (blocking the thread; see runChunkedAsync). */
export function runChunked(db: Database.Database, steps: Iterable<ChunkStep>, options: ChunkedWriteOptions = {}): ChunkedWriteStats {
  const w = new ChunkedWriter(db, options);
  if (w.nested) {
    // Inside the caller's transaction: one transaction it is, committed by the caller.
    for (const step of steps) if (step !== 'commit') step();
    return w.finish();
  }
  try {
    for (const need of stepLoop(db, w, steps)) {
      if (need.kind === 'begin') withBusyRetry('a chunked write', () => w.begin(), { stats: options.lockStats });
      else {
        sleepSync(need.ms);
        need.after();
      }
    }
  } catch (err) {
    w.rollback();
    w.restore();
    throw err;
  }
  return w.finish();
}

/**
 * runChunked for an event loop: the gaps are timers, so the process (the studio's host) keeps serving while
 * a long import runs. The steps must not be interleaved with other use of the same connection: give it a
 * connection of its own.
 */
export async function runChunkedAsync(db: Database.Database, steps: Iterable<ChunkStep>, options: ChunkedWriteOptions = {}): Promise<ChunkedWriteStats> {
  const w = new ChunkedWriter(db, options);
  if (w.nested) throw new Error('runChunkedAsync: the connection is inside a transaction; a chunked write needs a connection of its own');
  try {
    for (const need of stepLoop(db, w, steps)) {
      if (need.kind === 'begin') await withBusyRetryAsync('a chunked write', () => w.begin(), { stats: options.lockStats });
      else {
        await new Promise((resolve) => setTimeout(resolve, need.ms));
        need.after();
      }
    }
  } catch (err) {
    w.rollback();
    w.restore();
    throw err;
  }
  return w.finish();
}
