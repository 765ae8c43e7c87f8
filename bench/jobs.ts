/**
 * Two training runs at once on the job runner's worker threads, and the host's event-loop delay meanwhile
 * (target: never above 50 ms). Also one run alone, so that the speed-up of running two at once shows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { presetConfig } from '../core/dqn/presets.ts';
import type { StoredRunConfig } from '../electron/service/runs.ts';
import { openStudio } from '../electron/service/studio.ts';

export async function benchJobs(options: { quick: boolean }): Promise<Record<string, string | number>[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jobs-'));
  const dbFile = path.join(dir, 'studio.db');
  const steps = options.quick ? 4000 : 15_000;
  const makeRun = (db: ReturnType<typeof openStudio>['db'], seed: number) => {
    const train = { ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1' as const, seed, totalSteps: steps, evalEvery: 5000, evalEpisodes: 5 };
    const config: StoredRunConfig = { env: 'CartPole-v1', name: `teacher ${seed}`, job: { kind: 'teacher', train, kb: { steps: 1000, epsilon: 0.05, seed }, evalEpisodes: 5, replays: 0 } };
    return db.runs.create({ role: 'teacher', config, seed }).id;
  };
  const rows: Record<string, string | number>[] = [];
  try {
    for (const parallel of [1, 2]) {
      const studio = openStudio({ dbFile, poolSize: parallel });
      const ids = Array.from({ length: parallel }, (_, i) => makeRun(studio.db, i + 1));
      // Workers start (and load tfjs) before the clock starts.
      await studio.warmUp();
      const lag = monitorEventLoopDelay({ resolution: 5 });
      let progressEvents = 0;
      studio.on('runProgress', () => progressEvents++);
      lag.enable();
      const t0 = performance.now();
      const outcomes = await studio.execute(ids);
      const wall = (performance.now() - t0) / 1000;
      lag.disable();
      await studio.close();
      rows.push({
        'runs at once': parallel,
        'env steps per run': steps,
        statuses: outcomes.map((o) => o.status).join(','),
        'wall s': Number(wall.toFixed(2)),
        'env steps/s (all runs)': Math.round((steps * parallel) / wall),
        'progress events': progressEvents,
        'event loop delay max ms': Number((lag.max / 1e6).toFixed(1)),
        'event loop delay p99 ms': Number((lag.percentile(99) / 1e6).toFixed(1)),
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchJobs({ quick: process.argv.includes('--quick') }));
}
