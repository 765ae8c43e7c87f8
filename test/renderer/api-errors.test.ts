import { describe, expect, it } from 'vitest';
import { ApiError, PRELOAD_GLOBAL } from '../../electron/api/contract.ts';
import { createPreloadClient, preloadBridge } from '../../renderer/lib/api/preload-client.ts';
import { toApiError } from '../../renderer/lib/api/errors.ts';
import { takeToken, TOKEN_STORAGE_KEY } from '../../renderer/lib/api/token.ts';

describe('toApiError', () => {
  it('keeps ApiErrors, rebuilds serialised ones, and reads one out of an Electron bridge message', () => {
    const e = new ApiError('not_found', 'experiment 3 not found');
    expect(toApiError(e)).toBe(e);
    const fromJson = toApiError({ code: 'conflict', message: 'run 4 is running', issues: [] });
    expect(fromJson).toBeInstanceOf(ApiError);
    expect(fromJson.code).toBe('conflict');
    const bridged = toApiError(new Error(`Error invoking remote method 'getRun': Error: {"code":"invalid","message":"getRun: runId: Too small","issues":[{"path":"runId","message":"Too small"}]}`));
    expect(bridged.code).toBe('invalid');
    expect(bridged.issues[0].path).toBe('runId');
    const plain = toApiError(new Error("Error invoking remote method 'x': Error: disk full"));
    expect(plain.code).toBe('internal');
    expect(plain.message).toBe('disk full');
  });
});

describe('preload adapter', () => {
  it('finds the bridge under PRELOAD_GLOBAL and turns its envelopes into results and ApiErrors', async () => {
    const bridge = {
      listExperiments: async () => ({ ok: true, value: [{ id: 1 }] }),
      getExperiment: async () => ({ ok: false, error: { code: 'not_found', message: 'experiment 9 not found', issues: [] } }),
      on: () => () => {},
    };
    expect(preloadBridge({} as Window)).toBeNull();
    const found = preloadBridge({ [PRELOAD_GLOBAL]: bridge } as unknown as Window);
    expect(found).toBe(bridge);
    const c = createPreloadClient(found!);
    expect(c.transport).toBe('electron');
    expect(await c.api.listExperiments({})).toEqual([{ id: 1 }]);
    const err = (await c.api.getExperiment({ id: 9 }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('not_found');
    expect(err.message).toBe('experiment 9 not found');
  });
});

describe('takeToken', () => {
  function place(search: string, stored: string | null = null) {
    const store = new Map<string, string>(stored ? [[TOKEN_STORAGE_KEY, stored]] : []);
    const replaced: string[] = [];
    return {
      replaced,
      store,
      place: {
        location: { search, pathname: '/', hash: '#/experiments/2' },
        storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
        history: { replaceState: (_d: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)) },
      },
    };
  }

  it('takes the token from ?token=, stores it for reloads, and drops it from the address keeping the route', () => {
    const p = place('?token=abc&x=1');
    expect(takeToken(p.place)).toBe('abc');
    expect(p.store.get(TOKEN_STORAGE_KEY)).toBe('abc');
    expect(p.replaced).toEqual(['/?x=1#/experiments/2']);
  });

  it('falls back to the token stored earlier in this tab, or null', () => {
    expect(takeToken(place('', 'zzz').place)).toBe('zzz');
    expect(takeToken(place('').place)).toBeNull();
  });
});
