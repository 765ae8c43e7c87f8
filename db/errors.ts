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
export type DatabaseOpenFailure = 'newer-version' | 'not-distill-studio' | 'missing' | 'needs-upgrade';

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
