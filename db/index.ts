/** The studio's data layer (DESIGN.md § Data): the only module that talks SQL. */
export { openDatabase, defaultDatabasePath, BUSY_TIMEOUT_MS, NATIVE_BINDING_ENV, type StudioDb, type OpenOptions } from './open.ts';
export { SCHEMA_VERSION, APPLICATION_ID } from './migrations.ts';
export { NotFoundError, DatabaseOpenError, DatabaseCorruptError, RunClaimError, isCorruptionError, type DatabaseOpenFailure } from './errors.ts';
export * from './busy-retry.ts';
export type { ImportOptions, ImportStats, ExportOptions } from './transfer.ts';
export * from './repositories/experiments.ts';
export * from './repositories/runs.ts';
export * from './repositories/metrics.ts';
export * from './repositories/models.ts';
export * from './repositories/knowledge-bases.ts';
export * from './repositories/evaluations.ts';
export * from './repositories/replays.ts';
export * from './repositories/checkpoints.ts';
