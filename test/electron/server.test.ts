/**
 * Browser mode's transport and its security: token on every API call and on the event stream, Host and Origin
 * checks, body limits and validation, the binary export/import, the renderer's files with a CSP.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EVENTS_PATH, FILE_NAME_HEADER, MAX_JSON_BODY_BYTES } from '../../electron/api/transport.ts';
import { startServer, type RunningServer } from '../../electron/server/server.ts';
import { openStudio, type Studio } from '../../electron/service/studio.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'server-test-'));
const renderer = path.join(tmp, 'renderer');
let studio: Studio;
let server: RunningServer;

beforeAll(async () => {
  fs.mkdirSync(renderer);
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Distill Studio</title><script type="module" src="/app.js"></script>');
  fs.writeFileSync(path.join(renderer, 'app.js'), 'console.log(1)');
  studio = openStudio({ dbFile: path.join(tmp, 'studio.db'), poolSize: 1 });
  server = await startServer({ service: studio, rendererDir: renderer });
});
afterAll(async () => {
  await server.close();
  await studio.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A raw request, so that any Host or Origin header can be sent. */
function request(method: string, url: string, o: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; json: () => any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://127.0.0.1:${server.port}${url}`, { method, headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
const auth = () => ({ authorization: `Bearer ${server.token}` });
const post = (verb: string, body: unknown, headers: Record<string, string> = auth()) =>
  request('POST', `/api/${verb}`, { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

const spec = (name: string) => ({
  version: 1,
  name,
  env: 'CartPole-v1',
  teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: 1000, evalEvery: 500, evalEpisodes: 2 } } },
  knowledgeBase: { steps: 300 },
  students: [{ hiddenSizes: [4], steps: 100, evalEvery: 50, evalEpisodes: 2 }],
  seeds: [1],
  evaluation: { episodes: 2, replays: 0 },
});

function connect(o: { token?: string | null; origin?: string; host?: string } = {}): Promise<{ ws: WebSocket; messages: any[] } | { refused: number }> {
  const token = o.token === undefined ? server.token : o.token;
  const query = token === null ? '' : `?token=${token}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${EVENTS_PATH}${query}`, { ...(o.origin ? { origin: o.origin } : {}), ...(o.host ? { headers: { host: o.host } } : {}) });
    const messages: any[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('unexpected-response', (_req, res) => resolve({ refused: res.statusCode! }));
    ws.on('error', () => {});
  });
}

describe('browser-mode server', () => {
  it('answers GET /api/experiments with the token, and 401 without it or with a wrong one', async () => {
    const ok = await request('GET', '/api/experiments', { headers: auth() });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/application\/json/);
    expect(ok.json()).toEqual([]);
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: server.token }] as Record<string, string>[]) {
      const r = await request('GET', '/api/experiments', { headers });
      expect(r.status).toBe(401);
      expect(r.json()).toMatchObject({ code: 'unauthorized' });
    }
    expect((await post('listExperiments', {}, {})).status).toBe(401);
    // The token in the query is only for the event stream.
    expect((await request('GET', `/api/experiments?token=${server.token}`)).status).toBe(401);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin, even with the token', async () => {
    const rebound = await request('GET', '/api/experiments', { headers: { ...auth(), host: `evil.example:${server.port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.json().message).toMatch(/Host "evil\.example:\d+" is not this server/);
    expect((await request('GET', '/', { headers: { host: `127.0.0.1:${server.port + 1}` } })).status).toBe(403);
    expect((await request('GET', '/api/experiments', { headers: { ...auth(), host: `localhost:${server.port}` } })).status).toBe(200);
    const crossSite = await post('listExperiments', {}, { ...auth(), origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await post('listExperiments', {}, { ...auth(), origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('validates bodies with the contract: 400 with field messages, 413 over the limit, 404 for unknown verbs', async () => {
    const bad = await post('getExperiment', { id: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid', issues: [{ path: 'id', message: expect.stringMatching(/expected number/) }] });
    const extra = await post('listRuns', { experimentId: 1, sneaky: true });
    expect(extra.status).toBe(400);
    expect(extra.json().message).toMatch(/sneaky/);
    const notJson = await request('POST', '/api/getExperiment', { headers: { ...auth(), 'content-type': 'application/json' }, body: '{"id": 1' });
    expect(notJson.status).toBe(400);
    const huge = await request('POST', '/api/validateSpec', { headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ spec: 'x'.repeat(MAX_JSON_BODY_BYTES) }) });
    expect(huge.status).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'too_large' });
    const unknown = await post('dropDatabase', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toMatch(/unknown request "dropDatabase"; known: catalog, /);
    const missing = await post('getExperiment', { id: 424242 });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ code: 'not_found', message: 'experiment 424242 does not exist', issues: [] });
    const invalidSpec = await post('createExperiment', { spec: { ...spec('bad'), seeds: [] } });
    expect(invalidSpec.status).toBe(400);
    expect(invalidSpec.json().issues).toEqual([{ path: 'seeds', message: expect.any(String) }]);
  });

  it('the event stream needs the token and our Origin; it says hello and then streams events', async () => {
    expect(await connect({ token: null })).toEqual({ refused: 401 });
    expect(await connect({ token: 'wrong' })).toEqual({ refused: 401 });
    expect(await connect({ origin: 'http://evil.example' })).toEqual({ refused: 403 });
    expect(await connect({ host: `evil.example:${server.port}` })).toEqual({ refused: 403 });
    const c = await connect({ origin: `http://127.0.0.1:${server.port}` });
    if (!('ws' in c)) throw new Error(`refused: ${c.refused}`);
    try {
      await expect.poll(() => c.messages.length).toBeGreaterThan(0);
      expect(c.messages[0]).toEqual({ event: 'hello', payload: { apiVersion: 1 } });
      const created = await post('createExperiment', { spec: spec('streamed'), start: false });
      expect(created.status).toBe(200);
      const { experimentId } = created.json();
      await expect.poll(() => c.messages.find((m) => m.event === 'experimentsChanged')).toEqual({ event: 'experimentsChanged', payload: { experimentId, change: 'created' } });
      expect(server.clients()).toBeGreaterThanOrEqual(1);
    } finally {
      c.ws.close();
    }
  });

  it('exports an experiment as a file download and imports it back (refusing a duplicate)', async () => {
    const { experimentId } = (await post('createExperiment', { spec: spec('to export'), start: false })).json();
    const exported = await post('exportExperiment', { id: experimentId });
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toBe('application/octet-stream');
    expect(exported.headers['content-disposition']).toBe('attachment; filename="to-export.dsx"');
    expect(exported.body.subarray(0, 15).toString()).toBe('SQLite format 3');
    const upload = (body: Buffer) => request('POST', '/api/importExperiment', { headers: { ...auth(), 'content-type': 'application/octet-stream', [FILE_NAME_HEADER]: encodeURIComponent('to export.dsx') }, body });
    const duplicate = await upload(exported.body);
    expect(duplicate.status).toBe(400);
    expect(duplicate.json().message).toMatch(/is already in this database/);
    expect((await post('deleteExperiment', { id: experimentId })).json()).toEqual({ deleted: experimentId });
    const imported = await upload(exported.body);
    expect(imported.status).toBe(200);
    const [id] = imported.json().experimentIds;
    expect((await post('getExperiment', { id })).json()).toMatchObject({ name: 'to export', runCounts: { total: 3, queued: 3 } });
    expect((await post('exportExperiment', { id: 9999 })).json()).toEqual({ code: 'not_found', message: 'experiment 9999 does not exist', issues: [] });
    const garbage = await upload(Buffer.from('not a database'));
    expect(garbage.status).toBe(400);
    expect(garbage.json().message).toMatch(/not a Distill Studio database/);
  });

  it('serves the renderer with a strict CSP, and its index for client-side routes, without a token', async () => {
    const index = await request('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body.toString()).toMatch(/<title>Distill Studio<\/title>/);
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self';.*connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect((await request('GET', '/app.js')).body.toString()).toBe('console.log(1)');
    expect((await request('GET', '/experiments/3')).body.toString()).toMatch(/<title>Distill Studio/);
  });
});
