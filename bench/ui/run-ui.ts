/**
 * `npm run bench -- --only ui`: the renderer in Debian's Chromium (headless, software rendering) on an
 * in-memory StudioApi (bench/ui/page), so the figures are the UI's own:
 * - first paint of the experiments list with 1,000 experiments (target < 300 ms);
 * - the run monitor with 10 runs × 20,000 points per curve while every run keeps appending (target ≥ 30 fps).
 * The API round trip of a series is the host's bench.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build, preview } from 'vite';
import { buildCatalog } from '../../electron/service/catalog.ts';
import { chromiumMissing, launchChromium } from '../../test/ui/browser.ts';
import type { BenchPaint } from './bench-api.ts';

type Row = Record<string, string | number | null>;

export async function benchUi({ quick }: { quick: boolean }): Promise<{ list: Row[]; monitor: Row[] }> {
  const missing = chromiumMissing();
  if (missing) return { list: [{ skipped: missing }], monitor: [] };
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ui-bench-'));
  const root = path.resolve(import.meta.dirname, 'page');
  await build({ root, base: './', logLevel: 'warn', plugins: [svelte()], build: { outDir, emptyOutDir: true, target: 'es2022' } });
  const server = await preview({ root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report its URL');
  const catalog = buildCatalog(null);
  const browser = await launchChromium();
  const list: Row[] = [];
  const monitor: Row[] = [];
  try {
    const repeats = quick ? 3 : 7;
    // List: a fresh page per sample (first paint includes parsing the bundle).
    const lists: BenchPaint[] = [];
    for (let i = 0; i < repeats; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${url}?scenario=list&experiments=1000`);
      lists.push(await page.evaluate(() => window.benchBoot!));
      await page.close();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    list.push({
      experiments: 1000,
      'median ms (mount → rows painted)': Number(median(lists.map((l) => l.mountMs)).toFixed(1)),
      'median ms (navigation → rows painted)': Number(median(lists.map((l) => l.sinceNavigationMs)).toFixed(1)),
      'of which: navigation → bundle runs': Number(median(lists.map((l) => l.scriptStartMs)).toFixed(1)),
      'bundle runs → app mounts': Number(median(lists.map((l) => l.appStartMs - l.scriptStartMs)).toFixed(1)),
      samples: repeats,
      target: '< 300 ms',
    });

    const page = await browser.context.newPage();
    await page.goto(url);
    const setup = await page.evaluate((c) => window.benchSetup({ scenario: 'monitor', catalog: c, runs: 10, pointsPerSeries: 20_000 }), catalog as never);
    await page.waitForTimeout(500);
    const live = await page.evaluate(({ seconds }) => window.benchStream({ seconds, batchEveryMs: 100, pointsPerBatch: 10 }), { seconds: quick ? 4 : 10 });
    monitor.push({
      runs: 10,
      'points per curve': 20_000,
      curves: '4 metric keys × 10 runs',
      'live append': 'every run, every 100 ms: 10 points per key',
      'first draw ms': Number(setup.mountMs.toFixed(0)),
      fps: Number(live.fps.toFixed(1)),
      'p95 frame ms': Number(live.p95FrameMs.toFixed(1)),
      'max frame ms': Number(live.maxFrameMs.toFixed(1)),
      'points appended': live.pointsAppended,
      'points on screen at end': live.pointsDrawn,
      target: '≥ 30 fps',
    });
    await page.close();
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  return { list, monitor };
}
