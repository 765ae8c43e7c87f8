/**
 * The StudioApi in Electron: the preload exposes the contract's verbs under `window[PRELOAD_GLOBAL]`
 * (electron/api/ipc.ts), answering `IpcResult` envelopes because an error thrown across IPC keeps only its
 * message; the contract's `apiFromBridge` turns them back into results and ApiErrors. Events need no
 * adapting, and the connection is the app's own process, so it never drops.
 */
import { apiFromBridge, PRELOAD_GLOBAL, type PreloadBridge } from '../../../electron/api/contract.ts';
import { staticConnection, type StudioClient } from './client.ts';

/** The preload's bridge when the page runs inside the Electron app, else null. */
export function preloadBridge(win: Window): PreloadBridge | null {
  const bridge = (win as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  return typeof bridge === 'object' && bridge !== null ? (bridge as PreloadBridge) : null;
}

export function createPreloadClient(bridge: PreloadBridge): StudioClient {
  return { api: apiFromBridge(bridge), transport: 'electron', ...staticConnection(), close: () => {} };
}
