/**
 * `npm run bench -- --only ui`: the renderer in Debian's Chromium (headless, software rendering) on an
 * in-memory StudioApi (bench/ui/page), so the figures are the UI's own:
 * - first paint of the experiments list with 1,000 experiments (target < 300 ms);
 * - the run monitor with 10 runs × 20,000 points per curve while every run keeps appending (target ≥ 30 fps);
 * - part 2: the compare view with 500 runs (target: rendered < 1 s), the frontier with 500 points, the replay
 *   viewer playing two episodes side by side (target 60 fps), the KB scatter of 10⁵ rows (first draw < 0.5 s);
 * - and, in Node, the curves' CSV export of 10⁶ metric rows from a database (target < 5 s).
 * The API round trip of a series is the host's bench.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build, preview } from 'vite';
import { buildCatalog } from '../../electron/service/catalog.ts';
import { chromiumMissing, launchChromium } from '../../test/ui/browser.ts';
import type { BenchPaint, BenchSetup } from './bench-api.ts';

type Row = Record<string, string | number | null>;

export async function benchUi({ quick }: { quick: boolean }): Promise<{ list: Row[]; monitor: Row[]; part2: Row[]; csv: Row[] }> {
  const csv = [await benchMetricsCsv(quick ? 200_000 : 1_000_000)];
  const missing = chromiumMissing();
  if (missing) return { list: [{ skipped: missing }], monitor: [], part2: [], csv };
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
  const part2: Row[] = [];
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

    // Part 2: a fresh page per sample, timed from mounting the app to the frame after the view is drawn.
    const views: { label: string; setup: Partial<BenchSetup>; target: string; what: string }[] = [
      { label: 'compare table, 500 runs grouped over seeds', setup: { scenario: 'compare', compareRuns: 500 }, target: '< 1,000 ms', what: 'every group row known to the table, the visible rows painted' },
      { label: 'compare table, 500 runs one per row', setup: { scenario: 'compare', compareRuns: 500, grouped: false }, target: '< 1,000 ms', what: '500 rows (windowed) known to the table' },
      { label: 'frontier, 500 points', setup: { scenario: 'frontier', compareRuns: 500, grouped: false }, target: '< 1,000 ms', what: '500 points, labels placed' },
      { label: 'replay viewer, CartPole episodes of 500 and 450 steps', setup: { scenario: 'replay', episodeLength: 500 }, target: '—', what: 'first frame of both episodes' },
      { label: 'KB browser, 10⁵ rows', setup: { scenario: 'kb', kbRows: 100_000 }, target: '< 500 ms (scatter draw)', what: 'every row in the scatter (the view: decode + histograms + scatter)' },
    ];
    for (const v of views) {
      const samples: { mountMs: number; drawMs: number | null }[] = [];
      for (let i = 0; i < (quick ? 2 : 5); i++) {
        const p = await browser.context.newPage();
        await p.goto(url);
        const paint = await p.evaluate((s) => window.benchSetup(s as never), { ...v.setup, catalog } as never);
        const drawMs = v.setup.scenario === 'kb' ? Number(await p.locator('[data-testid="kb-scatter"]').getAttribute('data-ms')) : null;
        samples.push({ mountMs: paint.mountMs, drawMs });
        if (v.setup.scenario === 'replay' && i === 0) {
          // Within the episode: 1× shows 200 of its 500 steps in 4 s, 4× 400 in 2 s.
          for (const [speed, seconds] of [[1, quick ? 2 : 4], [4, 2]] as const) {
            const play = await p.evaluate((o) => window.benchPlay(o), { seconds, speed });
            part2.push({
              view: `replay viewer playing at ${speed}× (${speed * 50} steps/s), two panes`,
              result: `${play.fps.toFixed(1)} fps`,
              measure: `requestAnimationFrame while playing (p95 frame ${play.p95FrameMs.toFixed(1)} ms, max ${play.maxFrameMs.toFixed(1)} ms; ${play.stepsShown} steps shown in ${play.seconds.toFixed(1)} s)`,
              samples: 1,
              target: '60 fps',
            });
          }
        }
        await p.close();
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      const kbDraw = v.setup.scenario === 'kb' ? `; the scatter's draw alone: median ${med(samples.map((s) => s.drawMs ?? 0)).toFixed(1)} ms` : '';
      part2.push({
        view: v.label,
        result: `${med(samples.map((s) => s.mountMs)).toFixed(0)} ms`,
        measure: `median, mount → ${v.what} (max ${Math.max(...samples.map((s) => s.mountMs)).toFixed(0)} ms${kbDraw})`,
        samples: samples.length,
        target: v.target,
      });
    }
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  return { list, monitor, part2, csv };
}

/** The curves' CSV (metricsCsv, as the compare view asks for it) of `points` metric rows of one run. */
async function benchMetricsCsv(points: number): Promise<Row> {
  const { openDatabase } = await import('../../db/index.ts');
  const { metricsCsv } = await import('../../electron/service/metrics-csv.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-csv-bench-'));
  try {
    const db = openDatabase(path.join(dir, 'studio.db'));
    const run = db.runs.create({ role: 'student', config: { env: 'CartPole-v1', name: 'csv bench' }, seed: 1 });
    const keys = ['losses/distill_loss', 'charts/alpha'] as const;
    const per = points / keys.length;
    for (const key of keys) {
      for (let from = 0; from < per; from += 50_000) {
        const batch = Array.from({ length: Math.min(50_000, per - from) }, (_, i) => ({ step: from + i, key, value: Math.sin((from + i) / 1000) }));
        db.metrics.append(run.id, batch);
      }
    }
    const t0 = performance.now();
    const file = metricsCsv(db, [run.id], [...keys]);
    const seconds = (performance.now() - t0) / 1000;
    const lines = new TextDecoder().decode(file.bytes).split('\r\n').length - 2;
    db.close();
    return { 'metric rows': lines, keys: keys.length, 'seconds (read + write CSV)': Number(seconds.toFixed(2)), 'MB': Number((file.bytes.length / 2 ** 20).toFixed(1)), 'rows per second': Math.round(lines / seconds), target: '10⁶ rows < 5 s' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
