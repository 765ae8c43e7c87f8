import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION, ApiError } from '../../electron/api/contract.ts';
import { contentDispositionFileName, createBrowserClient } from '../../renderer/lib/api/browser-client.ts';
import type { StudioClient } from '../../renderer/lib/api/client.ts';

type Call = { url: string; init: RequestInit };

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  open(): void {
    this.onopen?.();
  }
  send(event: string, payload: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ event, payload }) });
  }
  drop(): void {
    this.onclose?.();
  }
  close(): void {
    this.closed = true;
  }
}

function fakeFetch(answer: (call: Call) => Response): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: (async (url: string, init: RequestInit) => {
      const call = { url, init };
      calls.push(call);
      return answer(call);
    }) as unknown as typeof fetch,
  };
}

const json = (v: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(v), { status, headers: { 'content-type': 'application/json', ...headers } });

let client: StudioClient | null = null;
afterEach(() => {
  client?.close();
  client = null;
  FakeSocket.all = [];
});

function make(answer: (call: Call) => Response) {
  const f = fakeFetch(answer);
  client = createBrowserClient({ origin: 'http://127.0.0.1:7300/', token: 'tok en', fetch: f.fetch, WebSocket: FakeSocket as unknown as typeof WebSocket, retryMs: 5, maxRetryMs: 20 });
  return { client, calls: f.calls };
}

describe('browser-mode StudioApi client (transport.ts)', () => {
  it('POSTs each verb as JSON to /api/<verb> with the bearer token and returns the JSON answer', async () => {
    const { client, calls } = make(() => json([{ id: 1 }]));
    const res = await client.api.listRuns({ experimentId: 3 });
    expect(res).toEqual([{ id: 1 }]);
    expect(calls[0].url).toBe('http://127.0.0.1:7300/api/listRuns');
    expect(calls[0].init.method).toBe('POST');
    expect((calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer tok en');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ experimentId: 3 });
  });

  it('turns an error body into an ApiError with its code, message and field issues', async () => {
    const { client } = make(() => json({ code: 'invalid', message: 'spec: students.0.alpha: Too big', issues: [{ path: 'spec.students.0.alpha', message: 'Too big' }] }, 400));
    const err = await client.api.createExperiment({ spec: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('invalid');
    expect((err as ApiError).issues).toEqual([{ path: 'spec.students.0.alpha', message: 'Too big' }]);
  });

  it('explains a refused token (401) and an unreachable server in sentences', async () => {
    const { client } = make(() => new Response('unauthorized', { status: 401 }));
    const e401 = (await client.api.catalog({}).catch((e: unknown) => e)) as ApiError;
    expect(e401.code).toBe('unavailable');
    expect(e401.message).toMatch(/token/);
    client.close();
    const down = make(() => {
      throw new TypeError('Failed to fetch');
    });
    const eDown = (await down.client.api.catalog({}).catch((e: unknown) => e)) as ApiError;
    expect(eDown.code).toBe('unavailable');
    expect(eDown.message).toMatch(/not reachable.*serve/);
  });

  it('sends importExperiment as octet-stream with the URI-encoded file name, and reads exportExperiment bytes and name', async () => {
    const { client, calls } = make((c) =>
      c.url.endsWith('/exportExperiment')
        ? new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="x.dsx"; filename*=UTF-8''%C3%A9t%C3%A9.dsx` } })
        : json({ experimentIds: [7] }),
    );
    const imported = await client.api.importExperiment({ fileName: 'été 1.dsx', bytes: new Uint8Array([9, 8]) });
    expect(imported.experimentIds).toEqual([7]);
    const h = calls[0].init.headers as Record<string, string>;
    expect(h['content-type']).toBe('application/octet-stream');
    expect(h['x-file-name']).toBe(encodeURIComponent('été 1.dsx'));
    expect(calls[0].init.body).toEqual(new Uint8Array([9, 8]));
    const file = await client.api.exportExperiment({ id: 7 });
    expect(file.fileName).toBe('été.dsx');
    expect([...file.bytes]).toEqual([1, 2, 3]);
  });

  it('delivers events from the WebSocket (token in the query) to their listeners, and unsubscribes', () => {
    const { client } = make(() => json({}));
    const ws = FakeSocket.all[0];
    expect(ws.url).toBe('ws://127.0.0.1:7300/api/events?token=tok%20en');
    const got: number[] = [];
    const off = client.api.on('runStatus', (e) => got.push(e.runId));
    ws.open();
    ws.send('hello', { apiVersion: API_VERSION });
    ws.send('runStatus', { runId: 4, experimentId: 1, status: 'running', error: null });
    ws.send('runProgress', { runId: 5 });
    off();
    ws.send('runStatus', { runId: 6, experimentId: 1, status: 'running', error: null });
    expect(got).toEqual([4]);
    expect(client.connection().status).toBe('open');
  });

  it('refuses a server of another API version', () => {
    const { client } = make(() => json({}));
    FakeSocket.all[0].open();
    FakeSocket.all[0].send('hello', { apiVersion: API_VERSION + 1 });
    expect(client.connection().status).toBe('refused');
    expect(client.connection().message).toMatch(/API version/);
  });

  it('reconnects after a drop and counts the opens (views reload what they missed)', async () => {
    const { client } = make(() => json({}));
    const states: string[] = [];
    client.onConnection((s) => states.push(s.status));
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop();
    await new Promise((r) => setTimeout(r, 30));
    expect(FakeSocket.all.length).toBe(2);
    FakeSocket.all[1].open();
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    expect(client.connection().opens).toBe(2);
  });

  it('stops reconnecting when the server says the token is wrong', async () => {
    const { client } = make(() => new Response('no', { status: 401 }));
    FakeSocket.all[0].drop();
    await new Promise((r) => setTimeout(r, 10));
    FakeSocket.all[1]?.drop();
    await new Promise((r) => setTimeout(r, 50));
    expect(client.connection().status).toBe('refused');
    const n = FakeSocket.all.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(FakeSocket.all.length).toBe(n);
  });
});

describe('contentDispositionFileName', () => {
  it('prefers filename* and falls back to filename', () => {
    expect(contentDispositionFileName('attachment; filename="a b.dsx"')).toBe('a b.dsx');
    expect(contentDispositionFileName("attachment; filename*=UTF-8''a%20b.dsx; filename=\"x\"")).toBe('a b.dsx');
    expect(contentDispositionFileName(null)).toBeNull();
  });
});
