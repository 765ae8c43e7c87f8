/**
 * `distill-studio serve` as a user runs it: --json prints the URL, token and port when ready; the API answers;
 * a run started through the API keeps going, and SIGTERM leaves it interrupted (resumable) and exits cleanly.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'distill-studio.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('distill-studio serve', () => {
  it('serves the API on loopback with a token; SIGTERM leaves running runs interrupted', async () => {
    const dbFile = path.join(tmp, 'studio.db');
    const child = spawn(process.execPath, [bin, 'serve', '--db', dbFile, '--json', '--jobs', '1'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stdout.includes('\n'), { timeout: 30_000 }).toBe(true);
      const ready = JSON.parse(stdout.split('\n')[0]) as { url: string; token: string; port: number };
      expect(ready.url).toBe(`http://127.0.0.1:${ready.port}/?token=${ready.token}`);
      expect(ready.token.length).toBeGreaterThanOrEqual(32);
      const api = (verb: string, body: unknown) =>
        fetch(`http://127.0.0.1:${ready.port}/api/${verb}`, { method: 'POST', headers: { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
      expect(await fetch(`http://127.0.0.1:${ready.port}/api/experiments`).then((r) => r.status)).toBe(401);

      const ws = new WebSocket(`ws://127.0.0.1:${ready.port}/api/events?token=${ready.token}`);
      const progress: number[] = [];
      ws.on('message', (m) => {
        const msg = JSON.parse(String(m));
        if (msg.event === 'runProgress') progress.push(msg.payload.progress.step);
      });
      const created = await api('createExperiment', {
        spec: {
          version: 1,
          name: 'served',
          env: 'CartPole-v1',
          teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: 300_000, evalEvery: 0 } } },
          knowledgeBase: { steps: 300 },
          students: [{ hiddenSizes: [4], steps: 100 }],
          baselines: false,
        },
      });
      expect(created).toMatchObject({ started: true, runIds: [expect.any(Number), expect.any(Number)] });
      await expect.poll(() => progress.length, { timeout: 60_000 }).toBeGreaterThan(2);
      ws.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const runs = spawnSync(process.execPath, [bin, 'runs', '--db', dbFile, '--json'], { encoding: 'utf8' });
      const rows = JSON.parse(runs.stdout.trim().split('\n').at(-1)!).runs as { status: string; resumable: boolean; error: string }[];
      expect(rows.map((r) => r.status)).toEqual(['interrupted', 'interrupted']);
      expect(rows.every((r) => r.resumable)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
