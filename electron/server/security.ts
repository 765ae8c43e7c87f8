/**
 * Browser-mode request checks (the studio listens on loopback, but any web page the user opens can send
 * requests to loopback ports):
 * - Host must be the server's own loopback address and port: a DNS-rebinding page reaches us under its own
 *   host name and is refused.
 * - Origin, when a browser sends one, must be the server's own origin: other pages cannot call the API or open
 *   the event stream (cross-site WebSockets are not covered by CORS).
 * - Every API call and the event stream carry the per-launch random token (as Jupyter does).
 */
import crypto from 'node:crypto';

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The token of a request: `Authorization: Bearer T`, or (for the WebSocket, which cannot set headers) `?token=T`. */
export function requestToken(authorization: string | undefined, query: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (m) return m[1];
  return query ?? null;
}
