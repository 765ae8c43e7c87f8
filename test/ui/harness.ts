/**
 * The browser UI tests' harness: the built renderer (rebuilt when its sources are newer), `distill-studio
 * serve` on a temporary database (one per test file), a small API caller for set-up and checks, screenshots.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ApiError, type RequestInput, type RequestName, type ResponseMap } from '../../electron/api/contract.ts';
import { ARTIFACTS } from './browser.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const RENDERER_OUT = path.join(ROOT, 'dist', 'renderer');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/renderer when it is missing or older than renderer/, the contract or the Vite config. Test files
 * run in parallel: a lock folder makes the others wait for the one build.
 */
export async function ensureRendererBuilt(): Promise<void> {
  const index = path.join(RENDERER_OUT, 'index.html');
  const sources = Math.max(newestMtime(path.join(ROOT, 'renderer')), newestMtime(path.join(ROOT, 'electron', 'api')), fs.statSync(path.join(ROOT, 'vite.config.ts')).mtimeMs);
  const fresh = () => fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources;
  if (fresh()) return;
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const lock = path.join(ROOT, 'dist', '.renderer-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // another test file is building; a lock older than the deadline is a leftover of a killed run
      if (fresh()) return;
      if (Date.now() > deadline || Date.now() - fs.statSync(lock).mtimeMs > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (fresh()) return;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the renderer build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export interface Serve {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly dbFile: string;
  /** Calls a verb over HTTP as the page does. */
  call<K extends RequestName>(verb: K, input: RequestInput<K>): Promise<ResponseMap[K]>;
  stop(): Promise<void>;
  /** What the server wrote to stderr (for failure messages). */
  stderr(): string;
}

/**
 * `distill-studio serve --json` on a new temporary database (or on `dbFile`, which then outlives the server);
 * resolves when it printed its URL.
 */
export async function startServe(options: { jobs?: number; dbFile?: string } = {}): Promise<Serve> {
  const dir = options.dbFile ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ui-'));
  const dbFile = options.dbFile ?? path.join(dir!, 'studio.db');
  const proc: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin', 'distill-studio.mjs'), 'serve', '--port', '0', '--db', dbFile, '--json', '--jobs', String(options.jobs ?? 2)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISTILL_BACKEND: process.env.DISTILL_BACKEND ?? 'wasm' },
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<{ url: string; token: string; port: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not print its URL within 60 s; stderr:\n${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.trim().startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { url: string; token: string; port: number });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
  const origin = new URL(ready.url).origin;
  return {
    url: ready.url,
    origin,
    token: ready.token,
    dbFile,
    async call(verb, input) {
      const res = await fetch(`${origin}/api/${verb}`, { method: 'POST', headers: { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
      const body = (await res.json()) as unknown;
      if (!res.ok) {
        const e = body as { code: 'internal'; message: string; issues?: [] };
        throw new ApiError(e.code, e.message, e.issues ?? []);
      }
      return body as never;
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timeout = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timeout);
      }
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
    stderr: () => err,
  };
}

/**
 * A small CartPole experiment spec for tests that create runs through the API: a 16-16 teacher on the
 * default preset with `teacher` overriding its DQN fields, one 4-unit offline student, no baselines.
 */
export function tinySpec(name: string, teacher: Record<string, unknown>, students: unknown[] = [{ hiddenSizes: [4], steps: 100 }]) {
  return {
    version: 1,
    name,
    env: 'CartPole-v1',
    teacher: { train: { preset: 'default', seed: 1, overrides: { hiddenSizes: [16, 16], learningStarts: 200, ...teacher } } },
    knowledgeBase: { steps: 300 },
    students,
    baselines: false,
    seeds: [1],
    evaluation: { episodes: 2, replays: 0 },
  };
}

/** Saves a screenshot to test/artifacts/<name>.png (git-ignored) for a person to look at. */
export async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });
}

/**
 * A screenshot of the whole view: the app scrolls inside <main>, so the window is made as tall as its content
 * for the picture, then put back.
 */
export async function shotTall(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  const height = await page.evaluate(() => {
    const main = document.querySelector('main');
    return main ? main.scrollHeight + main.getBoundingClientRect().top : document.body.scrollHeight;
  });
  await page.setViewportSize({ width: size.width, height: Math.min(4000, Math.max(size.height, Math.ceil(height))) });
  await page.waitForTimeout(300); // charts follow their new size on the next frame
  await shot(page, name);
  await page.setViewportSize(size);
}

/** Polls `fn` until it returns a truthy value (or throws with `what` after `ms`). */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000, every = 250): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
