/** How failures of db/ and core/ become the contract's ApiErrors (code + a message naming the object). */
import { SpecError } from '../../core/experiment/spec.ts';
import { DatabaseOpenError, NotFoundError, RunClaimError } from '../../db/index.ts';
import { ApiError } from '../api/contract.ts';
import { BackendUnavailableError } from './execution.ts';

const SINGULAR: Record<string, string> = {
  experiments: 'experiment',
  runs: 'run',
  models: 'model',
  knowledge_bases: 'knowledge base',
  evaluations: 'evaluation',
  replays: 'replay',
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof NotFoundError) return new ApiError('not_found', `${SINGULAR[err.table] ?? err.table} ${err.id} does not exist`);
  if (err instanceof RunClaimError || err instanceof BackendUnavailableError) return new ApiError('conflict', err.message);
  if (err instanceof SpecError) return new ApiError('invalid', err.message, err.issues);
  if (err instanceof DatabaseOpenError) return new ApiError('invalid', err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError('internal', message);
}

export const conflict = (message: string) => new ApiError('conflict', message);
export const invalid = (message: string, issues: { path: string; message: string }[] = []) => new ApiError('invalid', message, issues);
