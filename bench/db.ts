/**
 * Database benchmarks (db/): metric ingest, downsampled series reads, knowledge-base save/load, on a temporary
 * file database (WAL, as the studio runs it). `npx tsx bench/db.ts [--quick]` prints a table; bench/run.ts can
 * call benchDb() for its report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { METRIC_KEYS, type MetricKey } from '../core/metrics.ts';
import { openDatabase } from '../db/index.ts';
import type { MetricPointInput } from '../db/repositories/metrics.ts';
import type { KnowledgeBase } from '../core/kb/knowledge-base.ts';

type Row = Record<string, string | number>;

const KEYS = Object.values(METRIC_KEYS).slice(0, 10) as MetricKey[];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** A CartPole-shaped KB (4 dims, 2 actions) of `size` rows, episodes of 200 steps. */
function cartPoleKb(size: number): KnowledgeBase {
  const states = new Float32Array(size * 4);
  const nextStates = new Float32Array(size * 4);
  const teacherQ = new Float32Array(size * 2);
  const actions = new Int32Array(size);
  const rewards = new Float32Array(size).fill(1);
  const terminated = new Uint8Array(size);
  const episodeEnd = new Uint8Array(size);
  const episode = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    for (let d = 0; d < 4; d++) {
      states[i * 4 + d] = Math.sin(i * 0.001 + d);
      nextStates[i * 4 + d] = Math.sin((i + 1) * 0.001 + d);
    }
    teacherQ[i * 2] = 50 + Math.cos(i);
    teacherQ[i * 2 + 1] = 50 + Math.sin(i);
    actions[i] = teacherQ[i * 2 + 1] > teacherQ[i * 2] ? 1 : 0;
    episode[i] = Math.floor(i / 200);
    if (i % 200 === 199 || i === size - 1) {
      episodeEnd[i] = 1;
      terminated[i] = 1;
    }
  }
  const meta = {
    env: 'CartPole-v1' as const,
    observationSize: 4,
    actionCount: 2,
    teacher: { source: 'bench', paramCount: 4610, hiddenSizes: [64, 64] },
    seed: 1,
    epsilon: 0.05,
    createdAt: new Date(0).toISOString(),
  };
  return { meta, size, states, actions, rewards, nextStates, terminated, episodeEnd, episode, teacherQ };
}

export async function benchDb(options: { quick: boolean }): Promise<Row[]> {
  const scale = options.quick ? 10 : 1;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-bench-db-'));
  const rows: Row[] = [];
  const db = openDatabase(path.join(dir, 'bench.db'));
  try {
    const run = db.runs.create({ role: 'teacher', config: { bench: true }, seed: 1 });

    // 1. Ingest: 10 keys per step, as a training loop emits them, in batches of 10k points.
    const total = 1_000_000 / scale;
    const batch = 10_000;
    let ingestMs = 0;
    const points: MetricPointInput[] = new Array(batch);
    for (let start = 0; start < total; start += batch) {
      for (let i = 0; i < batch; i++) {
        const n = start + i;
        points[i] = { step: Math.floor(n / KEYS.length), key: KEYS[n % KEYS.length], value: Math.sin(n * 1e-4) + (n % 7) * 0.01 };
      }
      const t0 = performance.now();
      db.metrics.append(run.id, points);
      ingestMs += performance.now() - t0;
    }
    rows.push({ measure: `metric ingest, ${KEYS.length} keys, batches of ${batch}`, n: total, value: Math.round(total / (ingestMs / 1000)), unit: 'rows/s' });

    // 2. One dense series of 10⁶ points (one key, every step), read downsampled to ≤ 2000 points.
    const seriesRun = db.runs.create({ role: 'teacher', config: { bench: true }, seed: 2 });
    const seriesPoints = 1_000_000 / scale;
    let seriesIngestMs = 0;
    for (let start = 0; start < seriesPoints; start += batch) {
      for (let i = 0; i < batch; i++) {
        const step = start + i;
        points[i] = { step, key: METRIC_KEYS.tdLoss, value: Math.sin(step * 1e-4) + ((step * 7919) % 1000) * 1e-3 };
      }
      const t0 = performance.now();
      db.metrics.append(seriesRun.id, points);
      seriesIngestMs += performance.now() - t0;
    }
    rows.push({ measure: 'metric ingest, 1 key, batches of 10000', n: seriesPoints, value: Math.round(seriesPoints / (seriesIngestMs / 1000)), unit: 'rows/s' });
    const times: number[] = [];
    let returned = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const s = db.metrics.series(seriesRun.id, METRIC_KEYS.tdLoss, { maxPoints: 2000 });
      times.push(performance.now() - t0);
      returned = s.steps.length;
    }
    rows.push({ measure: `series read, downsampled to ${returned} points (first read)`, n: seriesPoints, value: Number(times[0].toFixed(1)), unit: 'ms' });
    rows.push({ measure: `series read, downsampled to ${returned} points (median of 6)`, n: seriesPoints, value: Number(median(times.slice(1)).toFixed(1)), unit: 'ms' });
    const zoom = [];
    const from = Math.floor(seriesPoints / 3);
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      db.metrics.series(seriesRun.id, METRIC_KEYS.tdLoss, { maxPoints: 2000, fromStep: from, toStep: from + 49_999 });
      zoom.push(performance.now() - t0);
    }
    rows.push({ measure: 'series read, 50k-step zoom to ≤ 2000 points (median of 5)', n: 50_000, value: Number(median(zoom).toFixed(1)), unit: 'ms' });
    const fullTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      db.metrics.series(seriesRun.id, METRIC_KEYS.tdLoss);
      fullTimes.push(performance.now() - t0);
    }
    rows.push({ measure: 'series read, all points (median of 3)', n: seriesPoints, value: Number(median(fullTimes).toFixed(1)), unit: 'ms' });

    // 3. Knowledge base, CartPole shape: 10⁶ rows (~54 MB of columns).
    const kbSize = 1_000_000 / scale;
    const kb = cartPoleKb(kbSize);
    const mb = (kb.states.byteLength * 2 + kb.teacherQ.byteLength + kb.actions.byteLength * 3 + kb.terminated.byteLength * 2) / 1e6;
    let t0 = performance.now();
    const record = db.knowledgeBases.save(kb);
    const saveS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const loaded = db.knowledgeBases.load(record.id);
    const loadS = (performance.now() - t0) / 1000;
    if (loaded.size !== kb.size || loaded.teacherQ[kbSize * 2 - 1] !== kb.teacherQ[kbSize * 2 - 1]) throw new Error('bench: KB did not round-trip');
    rows.push({ measure: `KB save (CartPole, ${mb.toFixed(0)} MB, stats computed)`, n: kbSize, value: Number(saveS.toFixed(3)), unit: 's' });
    rows.push({ measure: 'KB load (validated)', n: kbSize, value: Number(loadS.toFixed(3)), unit: 's' });
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  console.log(`db bench${quick ? ' (quick)' : ''}: ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, Node ${process.versions.node}`);
  console.table(await benchDb({ quick }));
}
