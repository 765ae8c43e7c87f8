/** Errors of the db/ layer that callers may want to tell apart (e.g. to answer an IPC request with "not found"). */

/** A lookup by id found no row; the message names the table and the id. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly table: string,
    readonly id: number,
  ) {
    super(`no row with id ${id} in table ${table}`);
  }
}

/** Why a database file was refused at open. The file is never changed in any of these cases. */
export type DatabaseOpenFailure = 'newer-version' | 'not-distill-studio' | 'missing' | 'needs-upgrade' | 'corrupt' | 'invalid-path';

export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';
  constructor(
    readonly reason: DatabaseOpenFailure,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** What to do with a corrupt database file, appended to every message about one. */
export const CORRUPT_ADVICE = 'make a copy of it, then recover its data with `sqlite3 FILE ".recover" | sqlite3 NEW.db` or restore a backup';

/**
 * SQLite reported corruption (SQLITE_CORRUPT, SQLITE_NOTADB) while the database was in use. From then on the
 * connection refuses every write, so that a damaged file is not damaged further; reads still work where the
 * pages they need are intact.
 */
export class DatabaseCorruptError extends Error {
  override readonly name = 'DatabaseCorruptError';
  readonly code = 'SQLITE_CORRUPT';
  constructor(
    readonly file: string,
    readonly sqliteMessage: string,
  ) {
    super(`${file} is corrupt (SQLite: ${sqliteMessage}); nothing more will be written to it: ${CORRUPT_ADVICE.replace('FILE', file)}`);
  }
}

/** SQLite result codes that mean "this is not (or no longer) a readable SQLite database". */
export function isCorruptionError(err: unknown): boolean {
  if (err instanceof DatabaseCorruptError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

/**
 * A run could not be claimed for execution (or reopened): another process runs it, it already ended, or it is
 * gone. Nothing was written. `ownerPid` is the process that runs it, when known.
 */
export class RunClaimError extends Error {
  override readonly name = 'RunClaimError';
  constructor(
    readonly runId: number,
    readonly reason: 'running' | 'completed' | 'not-claimable',
    message: string,
    readonly ownerPid: number | null = null,
  ) {
    super(message);
  }
}
