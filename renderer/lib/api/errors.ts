/**
 * Every failure the renderer sees is an `ApiError` (contract.ts): a code, a sentence that names the field or
 * object, and field issues for `invalid`. Transports turn what they receive (an HTTP error body, a network
 * failure, anything else thrown) into one with `toApiError`.
 */
import { API_ERROR_CODES, ApiError, type ApiErrorCode, type FieldIssue } from '../../../electron/api/contract.ts';

export { ApiError };

function isCode(v: unknown): v is ApiErrorCode {
  return typeof v === 'string' && (API_ERROR_CODES as readonly string[]).includes(v);
}

function issuesOf(v: unknown): FieldIssue[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((i): i is { path: unknown; message: unknown } => typeof i === 'object' && i !== null)
    .map((i) => ({ path: String(i.path ?? '(root)'), message: String(i.message ?? '') }));
}

/** An `{ code, message, issues }` object (ApiError.toJSON), or null when `v` is not one. */
export function apiErrorFromJson(v: unknown): ApiError | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { code?: unknown; message?: unknown; issues?: unknown };
  if (!isCode(o.code) || typeof o.message !== 'string') return null;
  return new ApiError(o.code, o.message, issuesOf(o.issues));
}

/**
 * Normalises anything thrown by a transport or a view. An `Error` whose message carries a serialised ApiError
 * (as Electron formats errors thrown across IPC: "Error invoking remote method 'x': ... {json}") is read back.
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const direct = apiErrorFromJson(e);
  if (direct) return direct;
  const message = e instanceof Error ? e.message : String(e);
  const json = message.indexOf('{"code"');
  if (json >= 0) {
    try {
      const parsed = apiErrorFromJson(JSON.parse(message.slice(json)));
      if (parsed) return parsed;
    } catch {
      // not JSON after all: fall through to the plain message
    }
  }
  const code = e instanceof Error && isCode((e as Error & { code?: unknown }).code) ? ((e as Error & { code: ApiErrorCode }).code) : 'internal';
  return new ApiError(code, message.replace(/^Error invoking remote method '[^']+': (Error: )?/, ''));
}

/** A sentence for an error banner or toast. */
export function errorMessage(e: unknown): string {
  return toApiError(e).message;
}
