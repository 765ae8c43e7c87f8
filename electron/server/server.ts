/**
 * Browser mode: the built renderer and the StudioApi over loopback HTTP + WebSocket, as electron/api/transport.ts
 * describes, on fastify (routing, body limits, content types) with @fastify/websocket (ws) for events and
 * @fastify/static for the renderer's files. A thin adapter: every request is validated with the contract's
 * schema (`parseRequest`) and handed to the service; nothing else happens here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { API_VERSION, ApiError, BINARY_REQUESTS, EVENT_NAMES, REQUESTS, parseRequest, type EventName, type RequestName, type StudioService } from '../api/contract.ts';
import { API_PREFIX, ERROR_STATUS, EVENTS_PATH, FILE_NAME_HEADER, MAX_JSON_BODY_BYTES, MAX_MODEL_UPLOAD_BYTES, MAX_UPLOAD_BYTES, REQUEST_ARGS_HEADER, RESULT_HEADER, TOKEN_QUERY, type EventMessage } from '../api/transport.ts';
import { contentSecurityPolicy } from '../csp.ts';
import { toApiError } from '../service/errors.ts';
import { rendererIsBuilt } from '../paths.ts';
import { allowedHosts, allowedOrigins, newToken, requestToken, tokenMatches } from './security.ts';

/** What the server needs beyond the contract: experiment files streamed through the disk, not held in memory. */
export interface ServedStudio extends StudioService {
  exportToFile(id: number, file: string): { fileName: string };
  importFile(file: string): number[];
}

export interface ServerOptions {
  readonly service: ServedStudio;
  /** 0 (default): any free port. */
  readonly port?: number;
  /** Folder of the built renderer; when it has no index.html the page says how to build it. */
  readonly rendererDir: string;
  /** Fixed token (tests); default: a new random one. */
  readonly token?: string;
  /** Bytes a client's socket may have queued before live progress and metric events are dropped for it. */
  readonly maxClientBacklog?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  /** Connected event-stream clients. */
  clients(): number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const JSON_VERBS = (Object.keys(REQUESTS) as RequestName[]).filter((n) => !(n in BINARY_REQUESTS));

function sendError(reply: FastifyReply, err: ApiError, status = ERROR_STATUS[err.code]): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(err.toJSON()));
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { service } = options;
  const token = options.token ?? newToken();
  const backlog = options.maxClientBacklog ?? 8 * 1024 * 1024;
  let port = 0;
  let hosts = new Set<string>();
  let origins = new Set<string>();
  const built = rendererIsBuilt(options.rendererDir);

  const app = Fastify({ bodyLimit: MAX_JSON_BODY_BYTES, logger: false, return503OnClosing: true, forceCloseConnections: true });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  // Every request: our own Host (DNS rebinding), our own Origin when a browser sends one, and the token for the API.
  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host ?? '';
    if (!hosts.has(host)) {
      return sendError(reply, new ApiError('forbidden', `Host "${host}" is not this server (${HOST}:${port}): refused (DNS rebinding protection)`));
    }
    const url = req.url.split('?')[0];
    if (!url.startsWith(API_PREFIX) && url !== EVENTS_PATH) return;
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) {
      return sendError(reply, new ApiError('forbidden', `Origin "${origin}" may not use this studio's API`));
    }
    const query = url === EVENTS_PATH ? (req.query as Record<string, string | undefined>)[TOKEN_QUERY] : undefined;
    if (!tokenMatches(requestToken(req.headers.authorization, query), token)) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, new ApiError('unauthorized', 'missing or wrong token: open the URL the studio printed (it carries ?token=…)'));
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('content-security-policy', contentSecurityPolicy([`ws://${HOST}:${port}`, `ws://localhost:${port}`]));
    if (req.url.startsWith(API_PREFIX)) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, new ApiError('too_large', `request body over the limit (${MAX_JSON_BODY_BYTES} bytes of JSON, ${MAX_MODEL_UPLOAD_BYTES} bytes of a model file)`));
    const status = err.statusCode ?? 500;
    if (status < 500) return sendError(reply, new ApiError('invalid', err.message), status);
    return sendError(reply, new ApiError('internal', err.message));
  });

  const call = async <K extends RequestName>(name: K, body: unknown) => (service[name] as (a: unknown) => Promise<unknown>)(parseRequest(name, body));

  // The JSON verbs: POST /api/<verb> with the argument as body.
  app.post<{ Params: { verb: string } }>(`${API_PREFIX}:verb`, async (req, reply) => {
    const name = req.params.verb as RequestName;
    if (!JSON_VERBS.includes(name)) throw new ApiError('not_found', `unknown request "${req.params.verb}"; known: ${Object.keys(REQUESTS).join(', ')}`);
    const result = await call(name, req.body);
    return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(result));
  });

  // A read-only alias for scripts.
  app.get(`${API_PREFIX}experiments`, async () => call('listExperiments', {}));

  // Export: the experiment file, streamed from a temporary file.
  app.post(`${API_PREFIX}exportExperiment`, async (req, reply) => {
    const { id } = parseRequest('exportExperiment', req.body);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-export-'));
    const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
      const { fileName } = service.exportToFile(id, path.join(dir, 'export.dsx'));
      const stream = fs.createReadStream(path.join(dir, 'export.dsx'));
      stream.once('close', cleanup);
      return reply.header('content-type', 'application/octet-stream').header('content-disposition', `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"`).send(stream);
    } catch (err) {
      cleanup();
      throw toApiError(err);
    }
  });

  // Import: the file as the raw body, written to a temporary file under the size limit, then imported.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    scope.post(`${API_PREFIX}importExperiment`, async (req: FastifyRequest, reply) => {
      const body = req.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function') throw new ApiError('invalid', 'importExperiment: send the file as an application/octet-stream body', [{ path: 'bytes', message: 'missing' }]);
      const rawName = req.headers[FILE_NAME_HEADER];
      let fileName = 'import.dsx';
      try {
        if (typeof rawName === 'string' && rawName !== '') fileName = decodeURIComponent(rawName);
      } catch {
        throw new ApiError('invalid', `importExperiment: the ${FILE_NAME_HEADER} header is not URI-encoded`, [{ path: 'fileName', message: 'not URI-encoded' }]);
      }
      parseRequest('importExperiment', { fileName, bytes: new Uint8Array(0) }); // the file name's rules
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_UPLOAD_BYTES) throw new ApiError('too_large', `the file is over the limit of ${MAX_UPLOAD_BYTES} bytes`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-import-'));
      try {
        const file = path.join(dir, path.basename(fileName) || 'import.dsx');
        let received = 0;
        const limit = new Transform({
          transform(chunk: Buffer, _enc, next) {
            received += chunk.length;
            next(received > MAX_UPLOAD_BYTES ? new ApiError('too_large', `the file is over the limit of ${MAX_UPLOAD_BYTES} bytes`) : null, chunk);
          },
        });
        await pipeline(body, limit, fs.createWriteStream(file));
        if (received === 0) throw new ApiError('invalid', 'importExperiment: the file is empty', [{ path: 'bytes', message: 'empty' }]);
        const experimentIds = service.importFile(file);
        return reply.send({ experimentIds });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  // The other binary verbs, generically: 'response' verbs answer their bytes as a file (other fields in X-Result),
  // 'request' verbs take their bytes as the body (file name and other arguments in headers).
  const decodeHeader = (value: string | string[] | undefined, header: string, fallback: string): string => {
    if (typeof value !== 'string' || value === '') return fallback;
    try {
      return decodeURIComponent(value);
    } catch {
      throw new ApiError('invalid', `the ${header} header is not URI-encoded`, [{ path: header, message: 'not URI-encoded' }]);
    }
  };
  for (const [verb, kind] of Object.entries(BINARY_REQUESTS) as [RequestName, 'request' | 'response'][]) {
    if (verb === 'exportExperiment' || verb === 'importExperiment') continue;
    if (kind === 'response') {
      app.post(`${API_PREFIX}${verb}`, async (req, reply) => {
        const { fileName, bytes, ...rest } = (await call(verb, req.body)) as { fileName: string; bytes: Uint8Array } & Record<string, unknown>;
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`)
          .header(RESULT_HEADER, encodeURIComponent(JSON.stringify(rest)))
          .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      });
    } else {
      await app.register(async (scope) => {
        scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_MODEL_UPLOAD_BYTES }, (_req, body, done) => done(null, body));
        scope.post(`${API_PREFIX}${verb}`, async (req: FastifyRequest, reply) => {
          if (!Buffer.isBuffer(req.body)) throw new ApiError('invalid', `${verb}: send the file as an application/octet-stream body`, [{ path: 'bytes', message: 'missing' }]);
          const fileName = decodeHeader(req.headers[FILE_NAME_HEADER], FILE_NAME_HEADER, 'upload');
          let args: unknown;
          try {
            args = JSON.parse(decodeHeader(req.headers[REQUEST_ARGS_HEADER], REQUEST_ARGS_HEADER, '{}'));
          } catch {
            throw new ApiError('invalid', `${verb}: the ${REQUEST_ARGS_HEADER} header is not JSON`, [{ path: REQUEST_ARGS_HEADER, message: 'not JSON' }]);
          }
          const body = req.body;
          const result = await call(verb, { ...(args as object), fileName, bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) });
          return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(result));
        });
      });
    }
  }

  // Events: one WebSocket per client; the first message says hello with the API version.
  app.get(EVENTS_PATH, { websocket: true }, (socket) => {
    const send = (message: EventMessage) => socket.send(JSON.stringify(message));
    send({ event: 'hello', payload: { apiVersion: API_VERSION } });
    const live: ReadonlySet<EventName> = new Set(['runProgress', 'metricPoints']);
    const offs = EVENT_NAMES.map((event) =>
      service.on(event, (payload) => {
        if (socket.readyState !== socket.OPEN) return;
        // A client that does not keep up loses live samples (it can re-read series), never status changes.
        if (live.has(event) && socket.bufferedAmount > backlog) return;
        send({ event, payload });
      }),
    );
    socket.on('close', () => offs.forEach((off) => off()));
    socket.on('message', () => {}); // the stream is one-way
  });

  // The renderer's files, with the single-page app's index for any other GET.
  if (built) {
    await app.register(fastifyStatic, { root: options.rendererDir, prefix: '/', index: ['index.html'], wildcard: false });
  }
  app.setNotFoundHandler(async (req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith(API_PREFIX)) {
      if (built) return reply.type('text/html; charset=utf-8').sendFile('index.html');
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><title>Distill Studio</title><p>The studio's user interface is not built (no ${options.rendererDir}/index.html). Run <code>npm run build</code> (or <code>npm start</code>, which builds it), then reload. The API is running.</p>`);
    }
    throw new ApiError('not_found', `no ${req.method} ${req.url.split('?')[0]}`);
  });

  await app.listen({ host: HOST, port: options.port ?? 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  hosts = allowedHosts(port);
  origins = allowedOrigins(port);
  let sockets = 0;
  app.websocketServer.on('connection', (ws) => {
    sockets++;
    ws.once('close', () => sockets--);
  });
  return {
    url: `http://${HOST}:${port}/?${TOKEN_QUERY}=${token}`,
    token,
    port,
    clients: () => sockets,
    close: () => app.close(),
  };
}
