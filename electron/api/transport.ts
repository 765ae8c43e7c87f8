/**
 * How the StudioApi travels in browser mode (loopback HTTP + WebSocket). The server (electron/server/) and the
 * browser client (renderer/lib/api/) both follow this one description; IPC (preload) needs none of it.
 *
 * - Static files (the built renderer) are served at `/` without a token; they hold no data.
 * - Requests: `POST /api/<verb>` with the JSON argument as body and `Authorization: Bearer <token>`.
 *   200 → the JSON result. Errors → `{ code, message, issues }` (ApiError.toJSON) with the status of
 *   `ERROR_STATUS`; 401 without a valid token, 403 (or 421) for a Host header that is not the server's own
 *   loopback address and port (DNS rebinding), 413 for a body over the limit.
 * - Binary verbs (contract BINARY_REQUESTS): `exportExperiment` answers application/octet-stream with a
 *   Content-Disposition filename; `importExperiment` takes the file as an application/octet-stream body with
 *   the file name in the `X-File-Name` header (URI-encoded). The other binary verbs follow the same two shapes:
 *   a 'response' verb (metricsCsv, exportModel) answers the bytes with a Content-Disposition filename and its
 *   other result fields as URI-encoded JSON in `X-Result`; a 'request' verb (importTeacher) takes the bytes as
 *   the body, the file name in `X-File-Name` and its other arguments as URI-encoded JSON in `X-Request-Args`.
 * - A read-only REST alias for scripts: `GET /api/experiments` = listExperiments.
 * - Events: a WebSocket at `/api/events?token=<token>`; the server refuses a foreign Origin or Host and a
 *   missing token before upgrading. Each message is `{ "event": name, "payload": … }`; the first is
 *   `{ "event": "hello", "payload": { "apiVersion": N } }`.
 * - The token is per launch and random; the printed URL carries it as `?token=` (as Jupyter does). The page
 *   keeps it in sessionStorage so that a reload keeps working.
 */
import type { ApiErrorCode } from './contract.ts';

export const API_PREFIX = '/api/';
export const EVENTS_PATH = '/api/events';
export const FILE_NAME_HEADER = 'x-file-name';
/** The non-binary arguments of a binary 'request' verb (URI-encoded JSON). */
export const REQUEST_ARGS_HEADER = 'x-request-args';
/** The non-binary result fields of a binary 'response' verb (URI-encoded JSON). */
export const RESULT_HEADER = 'x-result';
export const TOKEN_QUERY = 'token';
/** JSON request bodies above this are refused with 413. */
export const MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;
/** Bodies of the other binary 'request' verbs (teacher files) above this are refused with 413. */
export const MAX_MODEL_UPLOAD_BYTES = 256 * 1024 * 1024;
/** importExperiment bodies above this are refused with 413. */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

export const ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
  unauthorized: 401,
  forbidden: 403,
  too_large: 413,
};

export interface EventMessage {
  readonly event: string;
  readonly payload: unknown;
}
