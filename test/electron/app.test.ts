/**
 * The packaged shape of the app: the host bundles (esbuild) run without tsx, the job worker included; `npm
 * start` falls back to browser mode in one line where Electron cannot run; and, where the Electron binary
 * exists, a Playwright `_electron` launch checks the window's security settings and the preload bridge.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: JavaScript build tools, no types
import { buildHost } from '../../electron/tools/build.mjs';
// @ts-expect-error: JavaScript build tools, no types
import { electronBinary, ensureElectronSqlite } from '../../electron/tools/electron-env.mjs';
import { REQUEST_NAMES } from '../../electron/api/ipc.ts';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, `.test-dist-${process.pid}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'app-test-'));
beforeAll(async () => {
  await buildHost(out);
}, 60_000);
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('host bundles', () => {
  it('bundle main, preload, worker and CLI; the CLI runs a job on the bundled worker without tsx', () => {
    for (const f of ['main.mjs', 'preload.cjs', 'worker.mjs', 'cli.mjs']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const cli = fs.readFileSync(path.join(out, 'cli.mjs'), 'utf8');
    expect(cli).not.toMatch(/tsx\/esm/); // and the job below would fail if the worker were looked up as TypeScript
    expect(cli).toMatch(/"\.\/worker\.mjs"/);
    // The sandboxed preload requires nothing but electron.
    const preload = fs.readFileSync(path.join(out, 'preload.cjs'), 'utf8');
    expect([...new Set([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))]).toEqual(['electron']);
    expect(preload).not.toMatch(/zod/);
    const r = spawnSync(process.execPath, [path.join(out, 'cli.mjs'), 'train-teacher', '--env', 'CartPole-v1', '--seed', '2', '--steps', '400', '--eval-episodes', '1', '--db', path.join(tmp, 'b.db'), '--out', path.join(tmp, 'bundle-teacher'), '--json'], { encoding: 'utf8', cwd: tmp, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ envSteps: 400, params: 4610, backend: expect.any(String) });
  }, 120_000);
});

describe('npm start', () => {
  it('without an Electron it can run, says so in one line and starts browser mode, printing the URL', async () => {
    const dist = path.join(root, 'dist');
    fs.mkdirSync(dist, { recursive: true });
    for (const f of ['main.mjs', 'preload.cjs', 'worker.mjs', 'cli.mjs']) fs.copyFileSync(path.join(out, f), path.join(dist, f));
    const child = spawn(process.execPath, [path.join(root, 'electron/tools/start.mjs'), '--json', '--db', path.join(tmp, 'start.db')], {
      cwd: root,
      env: { ...process.env, DISTILL_SKIP_BUILD: '1', DISTILL_ELECTRON_DOWNLOAD: '0', ELECTRON_OVERRIDE_DIST_PATH: path.join(tmp, 'no-electron'), DISPLAY: '', WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => stdout.includes('\n'), { timeout: 30_000 }).toBe(true);
      const ready = JSON.parse(stdout.split('\n')[0]);
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const lines = stderr.split('\n').filter((l) => l.startsWith('distill-studio: '));
      expect(lines).toEqual([expect.stringMatching(/^distill-studio: starting browser mode: the Electron binary is not installed and could not be downloaded \(.*\)\.$/)]);
      expect(await fetch(`http://127.0.0.1:${ready.port}/api/experiments`, { headers: { authorization: `Bearer ${ready.token}` } }).then((r) => r.json())).toEqual([]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

const binary: string | null = electronBinary();
if (!binary) console.warn('Electron launch test skipped: no Electron binary in node_modules/electron/dist (`npm start` downloads it where there is internet).');
describe('Electron app', () => {
  it.skipIf(!binary)(`launches with a sandboxed, isolated window and the contract bridge${binary ? '' : ' (skipped: no Electron binary in node_modules/electron/dist; `npm start` downloads it where there is internet)'}`, async (ctx) => {
    const sqlite = await ensureElectronSqlite();
    if (!sqlite.file) return ctx.skip(`better-sqlite3 could not be built for Electron: ${sqlite.reason}`);
    const dist = path.join(root, 'dist');
    fs.mkdirSync(dist, { recursive: true });
    for (const f of ['main.mjs', 'preload.cjs', 'worker.mjs', 'cli.mjs']) fs.copyFileSync(path.join(out, f), path.join(dist, f));
    const { _electron } = await import('playwright-core');
    const app = await _electron.launch({ executablePath: binary!, args: [root], env: { ...process.env, DISTILL_DB: path.join(tmp, 'app.db'), DISTILL_SQLITE_BINDING: sqlite.file } });
    try {
      const page = await app.firstWindow();
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const contents = BrowserWindow.getAllWindows()[0].webContents as unknown as { getLastWebPreferences(): Record<string, unknown> };
        const p = contents.getLastWebPreferences();
        return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
      });
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
      expect(page.url()).toMatch(/^app:\/\/studio\//);
      const inPage = await page.evaluate(async () => {
        const w = window as unknown as Record<string, unknown>;
        const bridge = w.distillStudio as Record<string, (i: unknown) => Promise<unknown>>;
        return { require: typeof w.require, process: typeof w.process, keys: Object.keys(bridge).sort(), list: await bridge.listExperiments({}) };
      });
      expect(inPage).toEqual({ require: 'undefined', process: 'undefined', keys: [...REQUEST_NAMES, 'on'].sort(), list: { ok: true, value: [] } });
      await page.evaluate(() => void (window.location.href = 'https://example.com/'));
      await new Promise((r) => setTimeout(r, 500));
      expect(page.url()).toMatch(/^app:\/\/studio\//); // navigation away is refused
    } finally {
      await app.close();
    }
  }, 180_000);
});
