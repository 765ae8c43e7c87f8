/**
 * The StudioApi over loopback HTTP + WebSocket, exactly as electron/api/transport.ts describes it: one
 * `POST /api/<verb>` per request with the bearer token, binary verbs as application/octet-stream, and one
 * WebSocket of events that reconnects by itself (with backoff) when the server restarts or the network
 * blips. Failures come back as `ApiError`s with sentences a user can act on.
 */
import {
  API_VERSION,
  ApiError,
  BINARY_REQUESTS,
  EVENT_NAMES,
  REQUESTS,
  type EventMap,
  type EventName,
  type ExportedFile,
  type RequestName,
  type StudioApi,
  type Unsubscribe,
} from '../../../electron/api/contract.ts';
import { API_PREFIX, EVENTS_PATH, FILE_NAME_HEADER, REQUEST_ARGS_HEADER, RESULT_HEADER, TOKEN_QUERY, type EventMessage } from '../../../electron/api/transport.ts';
import type { ConnectionState, StudioClient } from './client.ts';
import { apiErrorFromJson } from './errors.ts';

export interface BrowserClientOptions {
  /** The server's origin, e.g. "http://127.0.0.1:7300". */
  readonly origin: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
  readonly WebSocket?: typeof WebSocket;
  /** Reconnect delays grow from this to maxRetryMs (doubling). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

/** Reads `filename` from a Content-Disposition header (RFC 6266: filename* wins over filename). */
export function contentDispositionFileName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // malformed escape: fall back to the plain parameter
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(header);
  return plain ? (plain[2] ?? plain[1]).trim() : null;
}

async function errorFromResponse(res: Response, verb: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: described by status below
  }
  const parsed = apiErrorFromJson(body);
  if (parsed) return parsed;
  switch (res.status) {
    case 401:
      return new ApiError('unavailable', 'The studio server refused this page’s token. Open the link that `distill-studio serve` printed (it ends in ?token=…) again.');
    case 403:
    case 421:
      return new ApiError('unavailable', `The studio server refused this address (${res.status}). Open the page at the exact URL that \`distill-studio serve\` printed.`);
    case 413:
      return new ApiError('invalid', `${verb}: the request is larger than the server accepts.`);
    default:
      return new ApiError('internal', `${verb}: the server answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
}

export function createBrowserClient(options: BrowserClientOptions): StudioClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const WS = options.WebSocket ?? globalThis.WebSocket;
  const retryMs = options.retryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  const origin = options.origin.replace(/\/$/, '');
  const auth = { authorization: `Bearer ${options.token}` };

  async function send(verb: RequestName, input: unknown): Promise<unknown> {
    let res: Response;
    const url = `${origin}${API_PREFIX}${verb}`;
    try {
      if ((BINARY_REQUESTS as Partial<Record<RequestName, string>>)[verb] === 'request') {
        // The bytes are the body; the file name and any other argument travel in headers.
        const { fileName, bytes, ...rest } = input as { fileName: string; bytes: Uint8Array } & Record<string, unknown>;
        const headers: Record<string, string> = { ...auth, 'content-type': 'application/octet-stream', [FILE_NAME_HEADER]: encodeURIComponent(fileName) };
        if (Object.keys(rest).length > 0) headers[REQUEST_ARGS_HEADER] = encodeURIComponent(JSON.stringify(rest));
        res = await doFetch(url, { method: 'POST', headers, body: bytes as unknown as BodyInit });
      } else {
        res = await doFetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(input ?? {}) });
      }
    } catch {
      throw new ApiError('unavailable', `The studio server at ${origin} is not reachable. Is \`distill-studio serve\` still running?`);
    }
    if (!res.ok) throw await errorFromResponse(res, verb);
    if ((BINARY_REQUESTS as Partial<Record<RequestName, string>>)[verb] === 'response') {
      const bytes = new Uint8Array(await res.arrayBuffer());
      const fileName = contentDispositionFileName(res.headers.get('content-disposition')) ?? (verb === 'exportExperiment' ? 'experiment.dsx' : 'download');
      let rest: Record<string, unknown> = {};
      const extra = res.headers.get(RESULT_HEADER);
      if (extra) {
        try {
          rest = JSON.parse(decodeURIComponent(extra)) as Record<string, unknown>;
        } catch {
          throw new ApiError('internal', `${verb}: the server's ${RESULT_HEADER} header is not readable`);
        }
      }
      return { ...rest, fileName, bytes } satisfies ExportedFile;
    }
    return res.json();
  }

  // ---- events
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const connectionListeners = new Set<(s: ConnectionState) => void>();
  let state: ConnectionState = { status: 'connecting', message: null, opens: 0 };
  let socket: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function setState(next: ConnectionState): void {
    state = next;
    for (const l of connectionListeners) l(state);
  }

  function dispatch(msg: EventMessage): void {
    if (msg.event === 'hello') {
      const version = (msg.payload as { apiVersion?: unknown } | null)?.apiVersion;
      if (version !== API_VERSION) {
        setState({ status: 'refused', message: `This page speaks API version ${API_VERSION} but the studio server speaks ${String(version)}. Reload the page.`, opens: state.opens });
      }
      return;
    }
    if (!(EVENT_NAMES as readonly string[]).includes(msg.event)) return;
    for (const l of listeners.get(msg.event as EventName) ?? []) {
      try {
        (l as (p: unknown) => void)(msg.payload);
      } catch (e) {
        console.error(`listener of ${msg.event} failed`, e);
      }
    }
  }

  /** After a failed connection, asks over HTTP why (a bad token is final; an absent server is retried). */
  async function diagnose(): Promise<void> {
    try {
      const res = await doFetch(`${origin}${API_PREFIX}catalog`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
      if (res.status === 401 || res.status === 403 || res.status === 421) {
        const err = await errorFromResponse(res, 'events');
        closed = true;
        setState({ status: 'refused', message: err.message, opens: state.opens });
      }
    } catch {
      // unreachable: the reconnect loop goes on
    }
  }

  function connect(): void {
    if (closed) return;
    const wsUrl = `${origin.replace(/^http/, 'ws')}${EVENTS_PATH}?${TOKEN_QUERY}=${encodeURIComponent(options.token)}`;
    let ws: WebSocket;
    try {
      ws = new WS(wsUrl);
    } catch (e) {
      setState({ status: 'refused', message: `Cannot open the event stream: ${(e as Error).message}`, opens: state.opens });
      return;
    }
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState({ status: 'open', message: null, opens: state.opens + 1 });
    };
    ws.onmessage = (ev) => {
      try {
        dispatch(JSON.parse(String(ev.data)) as EventMessage);
      } catch (e) {
        console.error('unreadable event message', e);
      }
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      if (closed || state.status === 'refused') return;
      const delay = Math.min(maxRetryMs, retryMs * 2 ** attempt);
      attempt++;
      setState({ status: 'reconnecting', message: `Lost the connection to the studio server at ${origin}; reconnecting…`, opens: state.opens });
      if (attempt >= 2) void diagnose();
      timer = setTimeout(connect, delay);
    };
  }
  connect();

  const verbs = Object.fromEntries((Object.keys(REQUESTS) as RequestName[]).map((verb) => [verb, (input: unknown) => send(verb, input)]));
  const api = {
    ...verbs,
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): Unsubscribe {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
  } as unknown as StudioApi;

  return {
    api,
    transport: 'browser',
    connection: () => state,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      socket?.close();
    },
  };
}
