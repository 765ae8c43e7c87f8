/**
 * The StudioApi in Electron: the preload exposes the contract's verbs as `window.studio` (contextBridge).
 * Errors lose their class when they cross the bridge, so every verb turns what it receives back into an
 * `ApiError`; events need no adapting.
 */
import { REQUESTS, type RequestName, type StudioApi } from '../../../electron/api/contract.ts';
import { staticConnection, type StudioClient } from './client.ts';
import { toApiError } from './errors.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a plain browser. */
    studio?: StudioApi;
  }
}

export function createPreloadClient(bridge: StudioApi): StudioClient {
  const verbs = Object.fromEntries(
    (Object.keys(REQUESTS) as RequestName[]).map((verb) => [
      verb,
      async (input: unknown) => {
        try {
          return await (bridge[verb] as (i: unknown) => Promise<unknown>)(input);
        } catch (e) {
          throw toApiError(e);
        }
      },
    ]),
  );
  const api = { ...verbs, on: bridge.on.bind(bridge) } as unknown as StudioApi;
  return { api, transport: 'electron', ...staticConnection(), close: () => {} };
}
