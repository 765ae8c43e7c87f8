/**
 * Soak (issue 9 § Contention): two experiments training on one database in the studio process (this one),
 * while a third process imports a large experiment into the same database, lists the runs in a loop
 * (`distill-studio runs`) and tries to resume a run the studio is running. Reports the runs that failed
 * (target 0), the longest lock waits (the training runs' writes, the importer's, a `runs` listing) and the
 * longest transaction of the import, whether every resume attempt was refused with the owner's pid, and the
 * studio's event-loop delay meanwhile.
 *
 * The large experiment comes from the fault suite's fixture (test/faults/fixtures.ts): a student with metric
 * points over four keys, a knowledge base, a model, a 4 MB checkpoint.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseExperimentSpec } from '../core/experiment/spec.ts';
import { openDatabase } from '../db/index.ts';
import { openStudio } from '../electron/service/studio.ts';
import { buildLargeExperiment } from '../test/faults/fixtures.ts';
import type { SoakChildResult } from './soak-child.ts';

type Row = Record<string, string | number | null>;

const spec = (name: string, seed: number, teacherSteps: number) =>
  parseExperimentSpec({
    version: 1,
    name,
    env: 'CartPole-v1',
    teacher: { train: { preset: 'default', seed, overrides: { totalSteps: teacherSteps, evalEvery: 5000, evalEpisodes: 5 } } },
    knowledgeBase: { steps: 5000 },
    students: [{ hiddenSizes: [16, 16], steps: 3000 }, { hiddenSizes: [8, 8], steps: 3000 }],
    baselines: { steps: 5000 },
    seeds: [seed],
    evaluation: { episodes: 10, replays: 1 },
  });

export async function benchSoak(options: { quick: boolean }): Promise<{ summary: Row[]; processes: Row[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-soak-'));
  try {
    // The large experiment, exported to a file of its own (built before the clock starts).
    const points = options.quick ? 600_000 : 6_000_000;
    const kbRows = options.quick ? 100_000 : 1_000_000;
    const source = path.join(dir, 'large-source.db');
    buildLargeExperiment(source, { points, kbRows, running: true });
    const exportFile = path.join(dir, 'large.dsx');
    const src = openDatabase(source);
    src.transfer.exportExperiment(1, exportFile);
    src.close();
    fs.rmSync(source);
    const exportMb = fs.statSync(exportFile).size / 2 ** 20;
    const summary: Row[] = [];
    const processes: Row[] = [];
    // As the studio imports (short transactions), and in one long transaction as before issue 9: the lock is then
    // held for seconds, longer than the busy timeout, and the training runs must wait it out.
    for (const mode of ['chunked', 'one'] as const) {
      const r = await soakOnce(path.join(dir, `studio-${mode}.db`), exportFile, exportMb, mode, options.quick);
      summary.push(r.summary);
      processes.push(...r.processes);
    }
    return { summary, processes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One soak: a fresh database, two experiments training in this process, the third process beside them. */
async function soakOnce(dbFile: string, exportFile: string, exportMb: number, mode: 'chunked' | 'one', quick: boolean): Promise<{ summary: Row; processes: Row[] }> {
  const label = mode === 'chunked' ? 'chunked import' : 'import in one transaction';
  const studio = openStudio({ dbFile, poolSize: 2 });
  try {
    const teacherSteps = quick ? 20_000 : 60_000;
    const experiments = [await studio.createFromSpec(spec('soak A', 1, teacherSteps), { start: false }), await studio.createFromSpec(spec('soak B', 2, teacherSteps), { start: false })];
    await studio.warmUp();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'soak-child.ts'), dbFile, exportFile, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (markReady = r));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready":true')) markReady();
    });
    const childDone = new Promise<SoakChildResult>((resolve, reject) =>
      child.once('exit', (code) => {
        try {
          resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as SoakChildResult);
        } catch {
          reject(new Error(`soak child exited ${code} without a result: ${out.slice(-500)}`));
        }
      }),
    );
    await ready; // its modules loaded, its first listing done
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const t0 = performance.now();
    const training = studio.execute(experiments.flatMap((e) => e.runs.map((r) => r.runId)));
    // The third process starts once the runs train.
    await new Promise((r) => setTimeout(r, 1000));
    child.stdin.write('go\n');
    const outcomes = await training;
    const trainSeconds = (performance.now() - t0) / 1000;
    child.kill('SIGTERM'); // stops its loops; it finishes its import first
    const third = await childDone;
    lag.disable();
    const runs = experiments.flatMap((e) => studio.db.runs.list({ experimentId: e.experimentId }));
    const failed = runs.filter((r) => r.status !== 'completed');
    const waits = studio.lockWaits();
    const summary: Row = {
      import: label,
      'runs (2 experiments)': runs.length,
      'failed runs (target 0)': failed.length,
      'training wall s': Number(trainSeconds.toFixed(1)),
      'import MB': Number(exportMb.toFixed(0)),
      'import s': Number((third.import.totalMs / 1000).toFixed(1)),
      'import transactions': third.import.transactions,
      'longest import transaction ms': Math.round(third.import.longestTransactionMs),
      'longest training write ms (lock wait included)': Math.round(waits.longestCallMs),
      'training writes retried after SQLITE_BUSY': waits.waits,
      'resume attempts refused / tried': `${third.resume.refused}/${third.resume.tried}`,
      'studio event-loop delay p50 / p99 / max ms': `${(lag.percentile(50) / 1e6).toFixed(1)} / ${(lag.percentile(99) / 1e6).toFixed(1)} / ${(lag.max / 1e6).toFixed(1)}`,
    };
    const processes: Row[] = [
      { import: label, process: 'studio (2 workers)', what: 'training writes (metrics buffered, others retried)', 'longest call ms': Math.round(waits.longestCallMs), failures: failed.length, note: failed.map((r) => `run ${r.id} ${r.status}: ${r.error}`).join('; ') || 'all completed' },
      { import: label, process: 'third: import', what: `${exportMb.toFixed(0)} MB experiment`, 'longest call ms': Math.round(third.import.lock.longestCallMs), failures: third.import.error ? 1 : 0, note: third.import.error ?? `imported as experiment ${third.import.ids.join(', ')}; its longest wait for the lock` },
      { import: label, process: 'third: runs loop', what: `distill-studio runs --json × ${third.runs.calls}`, 'longest call ms': Math.round(third.runs.longestMs), failures: third.runs.failures, note: third.runs.firstError ?? `median ${third.runs.medianMs.toFixed(0)} ms` },
      { import: label, process: 'third: resume', what: `distill-studio resume <a running run> × ${third.resume.tried}`, 'longest call ms': Math.round(third.resume.longestMs), failures: third.resume.tried - third.resume.refused, note: third.resume.sample ?? 'no running run seen' },
    ];
    if (outcomes.some((o) => o.status !== 'completed') || third.resume.harmed.length > 0) processes.push({ import: label, process: 'harmed', what: third.resume.harmed.join('; '), 'longest call ms': 0, failures: third.resume.harmed.length, note: '' });
    return { summary, processes };
  } finally {
    await studio.close();
  }
}
