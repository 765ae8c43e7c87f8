/**
 * The studio process under load, as `serve` runs it: the browser-mode server up, a WebSocket client
 * subscribed to every event, and two training runs on the worker threads. Measures the host's event-loop
 * delay meanwhile (target: under 50 ms) and the events the client received; then the API round trip of a
 * metric series read as the monitor does it (POST /api/metricSeries, maxPoints 2000; target under 50 ms),
 * for a 2,000-point series and for a 10⁶-point series downsampled to ≤ 2,000 points. The load part runs twice:
 * training threads at nice +5 (the default on Linux) and at the host's own priority.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { presetConfig } from '../core/dqn/presets.ts';
import { startServer } from '../electron/server/server.ts';
import type { StoredRunConfig } from '../electron/service/runs.ts';
import { openStudio } from '../electron/service/studio.ts';

type Row = Record<string, string | number>;

export async function benchStudio(options: { quick: boolean }): Promise<{ load: Row[]; roundTrip: Row[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-studio-'));
  // Long enough to measure: on the fused engine a 15k-step CartPole teacher trains in under a second.
  const steps = options.quick ? 20_000 : 150_000;
  const load: Row[] = [];
  try {
    // The training threads at the default nice +5 (Linux), and at the host's own priority for comparison.
    for (const workerNiceness of [5, 0]) load.push(await underLoad(path.join(dir, `load-${workerNiceness}.db`), steps, workerNiceness));
    return { load, roundTrip: await roundTrips(path.join(dir, 'series.db'), options.quick) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Two runs training while the server runs and a WebSocket client listens to every event. */
async function underLoad(dbFile: string, steps: number, workerNiceness: number): Promise<Row> {
  const studio = openStudio({ dbFile, poolSize: 2, workerNiceness });
  const server = await startServer({ service: studio, rendererDir: path.join(path.dirname(dbFile), 'no-renderer') });
  try {
    // A subscribed client, as the run monitor is.
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    const received: Record<string, number> = {};
    let points = 0;
    ws.on('message', (m) => {
      const msg = JSON.parse(String(m)) as { event: string; payload: { points?: unknown[] } };
      received[msg.event] = (received[msg.event] ?? 0) + 1;
      if (msg.event === 'metricPoints') points += msg.payload.points?.length ?? 0;
    });
    await new Promise((r) => ws.once('open', r));
    const ids = [1, 2].map((seed) => {
      const train = { ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1' as const, seed, totalSteps: steps, evalEvery: 5000, evalEpisodes: 5 };
      const config: StoredRunConfig = { env: 'CartPole-v1', name: `teacher ${seed}`, job: { kind: 'teacher', train, kb: { steps: 1000, epsilon: 0.05, seed }, evalEpisodes: 5, replays: 0 } };
      return studio.db.runs.create({ role: 'teacher', config, seed }).id;
    });
    // Workers start (and load tfjs) before the clock starts: this measures the studio while runs train.
    await studio.warmUp();
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const elu = performance.eventLoopUtilization();
    const t0 = performance.now();
    const outcomes = await studio.execute(ids);
    const wall = (performance.now() - t0) / 1000;
    const busy = performance.eventLoopUtilization(elu);
    lag.disable();
    await new Promise((r) => setTimeout(r, 300));
    ws.close();
    return {
      'worker nice': workerNiceness,
      'env steps per run': steps,
      statuses: outcomes.map((o) => o.status).join(','),
      'wall s': Number(wall.toFixed(2)),
      'events to client (status/progress/metric batches)': `${received.runStatus ?? 0}/${received.runProgress ?? 0}/${received.metricPoints ?? 0}`,
      'metric points to client': points,
      'host event loop busy %': Number((busy.utilization * 100).toFixed(2)),
      'event loop delay max ms': Number((lag.max / 1e6).toFixed(1)),
      'event loop delay p99 ms': Number((lag.percentile(99) / 1e6).toFixed(1)),
    };
  } finally {
    await server.close();
    await studio.close();
  }
}

/** The monitor's read of a series over HTTP: a 2,000-point series, and a large one downsampled to ≤ 2,000 points. */
async function roundTrips(dbFile: string, quick: boolean): Promise<Row[]> {
  const studio = openStudio({ dbFile });
  const server = await startServer({ service: studio, rendererDir: path.join(path.dirname(dbFile), 'no-renderer') });
  try {
    const run = studio.db.runs.create({ role: 'student', config: { env: 'CartPole-v1', name: 'series' }, seed: 1 }).id;
    const big = quick ? 200_000 : 1_000_000;
    for (let start = 0; start < big; start += 50_000) {
      studio.db.metrics.append(run, Array.from({ length: 50_000 }, (_, i) => ({ key: 'charts/episodic_return' as const, step: start + i, value: Math.sin((start + i) / 1000) * 100 })));
    }
    studio.db.metrics.append(run, Array.from({ length: 2000 }, (_, i) => ({ key: 'losses/td_loss' as const, step: i * 10, value: 1 / (i + 1) })));
    const post = async (body: unknown) => {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${server.port}/api/metricSeries`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { steps: number[] }[];
      return { ms: performance.now() - t, points: json[0].steps.length };
    };
    const rows: Row[] = [];
    for (const [label, key, total] of [['2,000-point series', 'losses/td_loss', 2000], [`${big.toLocaleString('en')}-point series, downsampled`, 'charts/episodic_return', big]] as const) {
      const samples: number[] = [];
      let points = 0;
      for (let i = 0; i < 60; i++) {
        const r = await post({ runIds: [run], keys: [key], maxPoints: 2000 });
        if (i >= 10) samples.push(r.ms); // after warm-up
        points = r.points;
      }
      samples.sort((a, b) => a - b);
      rows.push({
        series: label,
        'points stored': total,
        'points returned': points,
        'round trip median ms': Number(samples[samples.length >> 1].toFixed(2)),
        'round trip p95 ms': Number(samples[Math.floor(samples.length * 0.95)].toFixed(2)),
        'round trip max ms': Number(samples[samples.length - 1].toFixed(2)),
      });
    }
    return rows;
  } finally {
    await server.close();
    await studio.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchStudio({ quick: process.argv.includes('--quick') });
  console.table(r.load);
  console.table(r.roundTrip);
}
