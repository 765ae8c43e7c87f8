/**
 * The renderer's Content-Security-Policy, one for both hosts (Electron's window and the browser-mode server):
 * scripts and styles only from the app itself, no plugins, no framing, no inline scripts; `connect` only to
 * the app's own origin (and, in browser mode, its own WebSocket). Inline style attributes are allowed because
 * Svelte and the chart library set element styles.
 */
export function contentSecurityPolicy(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${connect.map((c) => ` ${c}`).join('')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
