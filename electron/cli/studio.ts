/**
 * The CLI's side of the studio service: opening it on the --db database, running runs with progress lines on
 * stderr, and Ctrl-C cancelling them (queued runs never start, running ones stop at their next step).
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkOutputFile, checkOutputFolder } from '../../core/util/safe-output.ts';
import { defaultDatabasePath } from '../../db/index.ts';
import type { JobOutcome } from '../jobs/runner.ts';
import { storedConfig } from '../service/runs.ts';
import { openStudio, type Studio, type StudioOptions } from '../service/studio.ts';
import { UsageError } from './args.ts';
import type { CommandIo } from './main.ts';
import { formatDuration } from './progress.ts';

/** The database file --db names (default: the platform's app-data file, or DISTILL_DB); an empty name is a usage error. */
export function dbPathFlag(raw: string | boolean | undefined): string {
  if (raw === '' || raw === true) throw new UsageError('--db must name a database file (it is empty)');
  return typeof raw === 'string' ? path.resolve(raw) : defaultDatabasePath();
}

/**
 * Opens the studio on --db; a bad file (not a database, corrupt, newer, missing with `create: false`) is a
 * usage error, and nothing is written to it. Commands that only read or continue stored runs pass
 * `create: false`, so that a mistyped path is reported instead of becoming a new empty database.
 */
export function openStudioFlag(raw: string | boolean | undefined, options: Omit<StudioOptions, 'dbFile'> = {}): Studio {
  const file = dbPathFlag(raw);
  try {
    return openStudio({ ...options, dbFile: file });
  } catch (err) {
    const hint = options.create === false && !fs.existsSync(file) ? ' (this command reads an existing studio database; check the path)' : '';
    throw new UsageError(`--db: ${(err as Error).message}${hint}`);
  }
}

/**
 * Checks an output file flag before any work: an existing file is replaced only with --force, the open
 * database (`dbFile`, whatever the spelling) never. Returns the absolute path. Not a usage error: the flags
 * were right, the target is taken (exit 1, nothing written).
 */
export function outputFileFlag(flag: string, raw: string, o: { force: boolean; dbFile: string }): string {
  try {
    return checkOutputFile(raw, { force: o.force, protect: [o.dbFile] });
  } catch (err) {
    throw new Error(`--${flag}: ${(err as Error).message}`);
  }
}

/** outputFileFlag for a folder output (a model bundle, a sweep's files): missing or empty, or --force. */
export function outputFolderFlag(flag: string, raw: string, o: { force: boolean; dbFile: string }): string {
  try {
    return checkOutputFolder(raw, { force: o.force, protect: [o.dbFile] });
  } catch (err) {
    throw new Error(`--${flag}: ${(err as Error).message}`);
  }
}

export const runName = (studio: Studio, id: number) => {
  try {
    return storedConfig(studio.db.runs.get(id))?.name ?? `run ${id}`;
  } catch {
    return `run ${id}`;
  }
};

/** Prints "run N name: started/completed…" lines (and a live progress line on a terminal) until the returned function is called. */
export function followRuns(studio: Studio, io: CommandIo): () => void {
  let last = 0;
  const offStatus = studio.on('runStatus', (e) => {
    if (e.status === 'queued') return;
    io.stderr(`  run ${e.runId} ${runName(studio, e.runId)}: ${e.status === 'running' ? 'started' : e.status}${e.status === 'failed' && e.error ? ` (${e.error})` : ''}\n`);
  });
  const offProgress = studio.on('runProgress', (e) => {
    if (!process.stderr.isTTY || Date.now() - last < 500) return;
    last = Date.now();
    const p = e.progress;
    io.stderr(`\r  run ${e.runId} ${runName(studio, e.runId)}: ${p.phase} ${p.step}/${p.total} ETA ${p.etaSeconds === null ? '--:--' : formatDuration(p.etaSeconds)}\x1b[K\r`);
  });
  return () => {
    offStatus();
    offProgress();
  };
}

/** Ctrl-C cancels `runIds` (dependents first) while `work` runs. */
export async function cancellableOnSigint<T>(studio: Studio, runIds: () => readonly number[], io: CommandIo, work: Promise<T>): Promise<T> {
  const cancelAll = () => {
    io.stderr('\ncancelling…\n');
    studio.cancelRuns([...runIds()].reverse());
  };
  process.once('SIGINT', cancelAll);
  try {
    return await work;
  } finally {
    process.off('SIGINT', cancelAll);
  }
}

/** Runs the runs to their end, with progress lines unless `quiet`, cancellable with Ctrl-C. */
export async function executeRuns(studio: Studio, runIds: readonly number[], io: CommandIo, quiet: boolean): Promise<JobOutcome[]> {
  const stop = quiet ? () => {} : followRuns(studio, io);
  try {
    return await cancellableOnSigint(studio, () => runIds, io, studio.execute(runIds));
  } finally {
    stop();
  }
}
