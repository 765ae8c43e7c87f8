/**
 * Chooses the transport at start: the Electron preload's bridge when present, otherwise the
 * browser-mode client on this page's own origin with the token from the URL (or from earlier in this tab).
 */
import { createBrowserClient } from './browser-client.ts';
import type { StudioClient } from './client.ts';
import { createPreloadClient, preloadBridge } from './preload-client.ts';
import { takeToken } from './token.ts';

export type ClientChoice = { ok: true; client: StudioClient } | { ok: false; message: string };

export function chooseClient(win: Window = window): ClientChoice {
  const bridge = preloadBridge(win);
  if (bridge) return { ok: true, client: createPreloadClient(bridge) };
  const token = takeToken({ location: win.location, storage: win.sessionStorage, history: win.history });
  if (!token) {
    return {
      ok: false,
      message: 'This page needs the link that `distill-studio serve` printed: it ends in ?token=… and lets this tab talk to the studio. Open that link (or start the studio with `npm start`).',
    };
  }
  return { ok: true, client: createBrowserClient({ origin: win.location.origin, token }) };
}
