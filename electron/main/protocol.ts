/**
 * The renderer's files are served from the app://studio origin (a privileged standard scheme) rather than
 * file://, so that the page has a real origin the IPC adapter can check, and every response carries the CSP.
 * Paths are resolved inside the renderer folder only; unknown paths get the single-page app's index.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { contentSecurityPolicy } from '../csp.ts';
import { APP_HOST, APP_SCHEME } from './ipc.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** The file a request maps to, or null when it would leave the renderer folder. */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

export function setupAppProtocol(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  const headers = (file: string) => ({ 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': contentSecurityPolicy(), 'x-content-type-options': 'nosniff' });
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
    let file = resolveInside(root, url.pathname === '/' ? '/index.html' : url.pathname);
    if (file === null) return new Response('forbidden', { status: 403 });
    try {
      if (!(await fs.stat(file)).isFile()) throw new Error('not a file');
    } catch {
      file = path.join(root, 'index.html'); // a client-side route
    }
    try {
      return new Response(new Uint8Array(await fs.readFile(file)), { headers: headers(file) });
    } catch {
      return new Response(`The studio's user interface is not built (no ${root}/index.html): run "npm run build".`, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
  });
}
