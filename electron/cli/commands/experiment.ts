/**
 * `experiment run SPEC.json`: validates the spec, stores the experiment and its runs, and runs the pipeline
 * (teacher → knowledge base → students and baselines over seeds → evaluations → replays) on a pool of worker
 * threads. `experiment replay ID`: re-runs a stored experiment from its spec, seeds and backend into a new
 * experiment and says, run by run, whether the results reproduce.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseExperimentSpec, SpecError } from '../../../core/experiment/spec.ts';
import { BACKEND_NAMES } from '../../../core/nn/backend.ts';
import type { RunRecord, StudioDb } from '../../../db/index.ts';
import { createExperiment, createRunner, submitRuns, type StoredRunConfig } from '../../jobs/orchestrator.ts';
import { UsageError, choiceFlag, intFlag, parseFlags } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { formatDuration } from '../progress.ts';
import { openDbFlag } from '../shared.ts';

export const usage = `Usage: distill-studio experiment run SPEC.json [--db FILE] [--jobs N] [--backend NAME] [--json]
       distill-studio experiment replay ID [--db FILE] [--jobs N] [--json]
  run     validate SPEC.json, store the experiment and run it (teacher → KB → students and baselines → evaluations)
  replay  re-run stored experiment ID from its spec, seeds and backend, and report whether each run reproduces
  --db    database file (default: the app's, e.g. ~/.config/distill-studio/studio.db; env DISTILL_DB)
  --jobs  worker threads (default: the number of cores)`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, target, ...rest] = argv;
  if (sub !== 'run' && sub !== 'replay') throw new UsageError(`expected "experiment run SPEC.json" or "experiment replay ID", got "${sub ?? ''}"`);
  if (target === undefined || target.startsWith('--')) throw new UsageError(sub === 'run' ? 'missing SPEC.json' : 'missing the experiment ID');
  const flags = parseFlags(rest, { db: { type: 'string' }, jobs: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } });
  const jobs = intFlag('jobs', flags.jobs, { min: 1, max: 64 });
  const backend = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const);
  const json = flags.json === true;

  if (sub === 'run') {
    const file = path.resolve(target);
    if (!fs.existsSync(file)) throw new UsageError(`${file}: no such spec file`);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    let spec;
    try {
      spec = parseExperimentSpec(raw, file);
    } catch (err) {
      if (err instanceof SpecError) throw new UsageError(err.message);
      throw err;
    }
    const db = await openDbFlag(flags.db);
    try {
      db.runs.markInterruptedOnStartup();
      let created;
      try {
        created = createExperiment(db, spec, { specDir: path.dirname(file) });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (!json) io.stderr(`experiment ${created.experimentId} "${spec.name}": ${created.runs.length} runs in ${db.file}\n`);
      await execute(db, created.runs.map((r) => r.runId), { jobs, backend, json, io });
      return report(db, created.experimentId, io, json);
    } finally {
      db.close();
    }
  }

  // replay
  const id = intFlag('ID', target, { min: 1 });
  const db = await openDbFlag(flags.db);
  try {
    db.runs.markInterruptedOnStartup();
    const original = db.experiments.get(id!);
    const spec = parseExperimentSpec(original.spec, `experiment ${id}`);
    const originalRuns = db.runs.list({ experimentId: id! });
    const originalBackend = originalRuns.find((r) => r.backend)?.backend ?? undefined;
    const created = createExperiment(db, { ...spec, name: `${spec.name} (replay of ${id})` });
    if (!json) io.stderr(`replaying experiment ${id} as experiment ${created.experimentId} on backend ${backend ?? originalBackend ?? 'auto'}\n`);
    await execute(db, created.runs.map((r) => r.runId), { jobs, backend: backend ?? originalBackend, json, io });
    const comparison = compareExperiments(db, originalRuns, db.runs.list({ experimentId: created.experimentId }));
    const all = comparison.every((c) => c.reproduced);
    if (json) io.stdout(`${JSON.stringify({ command: 'experiment replay', original: id, replay: created.experimentId, reproduced: all, runs: comparison })}\n`);
    else {
      for (const c of comparison) io.stdout(`${c.name.padEnd(40)} ${c.reproduced ? 'reproduced' : 'DIFFERS'} (${c.how}): ${c.original} → ${c.replayed}\n`);
      io.stdout(all ? 'every run reproduced\n' : 'some runs did not reproduce\n');
    }
    return all ? 0 : 1;
  } finally {
    db.close();
  }
}

async function execute(db: StudioDb, runIds: number[], o: { jobs?: number; backend?: string; json: boolean; io: CommandIo }): Promise<void> {
  const runner = createRunner(db, { ...(o.jobs ? { poolSize: o.jobs } : {}), ...(o.backend ? { backend: o.backend } : {}) });
  const names = new Map(runIds.map((id) => [id, (db.runs.get(id).config as StoredRunConfig).name]));
  if (!o.json) {
    runner.on('started', (id) => o.io.stderr(`  run ${id} ${names.get(id)}: started\n`));
    runner.on('finished', (id, outcome) => o.io.stderr(`  run ${id} ${names.get(id)}: ${outcome.status}${outcome.status === 'failed' ? ` (${outcome.error})` : ''}\n`));
    let last = 0;
    runner.on('progress', (id, p) => {
      if (!process.stderr.isTTY || Date.now() - last < 500) return;
      last = Date.now();
      o.io.stderr(`\r  run ${id} ${names.get(id)}: ${p.envSteps}/${p.totalSteps} ETA ${p.etaSeconds === null ? '--:--' : formatDuration(p.etaSeconds)}\x1b[K\r`);
    });
  }
  // Ctrl-C cancels the whole experiment: queued runs never start, running ones stop at their next step.
  const cancelAll = () => {
    o.io.stderr('\ncancelling the experiment…\n');
    for (const id of runIds) runner.cancel(id);
  };
  process.once('SIGINT', cancelAll);
  try {
    await Promise.all(submitRuns(db, runner, runIds));
  } finally {
    process.off('SIGINT', cancelAll);
    await runner.close();
  }
}

function report(db: StudioDb, experimentId: number, io: CommandIo, json: boolean): number {
  const runs = db.runs.list({ experimentId });
  const rows = runs.map((r) => runRow(db, r));
  if (json) io.stdout(`${JSON.stringify({ command: 'experiment run', experimentId, db: db.file, runs: rows })}\n`);
  else {
    io.stdout(`experiment ${experimentId}\n`);
    for (const r of rows) {
      const score = r.normalizedScore === null || r.normalizedScore === undefined ? '' : ` score ${Number(r.normalizedScore).toFixed(3)}`;
      io.stdout(`  ${String(r.id).padStart(4)} ${r.role.padEnd(8)} ${r.status.padEnd(11)} ${r.name.padEnd(40)} return ${r.evalMean === null ? '-' : Number(r.evalMean).toFixed(1)}${score}${r.error ? `  ${r.error}` : ''}\n`);
    }
  }
  return runs.every((r) => r.status === 'completed') ? 0 : 1;
}

export function runRow(db: StudioDb, r: RunRecord) {
  const summary = (r.summary ?? {}) as Record<string, unknown>;
  return {
    id: r.id,
    experimentId: r.experimentId,
    role: r.role,
    status: r.status,
    name: (r.config as StoredRunConfig)?.name ?? '',
    seed: r.seed,
    backend: r.backend,
    evalMean: (summary.evalMean as number | undefined) ?? null,
    evalCi95: (summary.evalCi95 as number | undefined) ?? null,
    normalizedScore: (summary.normalizedScore as number | undefined) ?? null,
    params: (summary.studentParams as number | undefined) ?? (summary.params as number | undefined) ?? null,
    metricsLastStep: db.metrics.lastStep(r.id),
    error: r.error,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  };
}

/** Same backend: final returns must be identical; otherwise the replayed mean must fall in the original's 95% CI. */
function compareExperiments(db: StudioDb, a: RunRecord[], b: RunRecord[]) {
  return a.map((orig, i) => {
    const copy = b[i];
    const name = (orig.config as StoredRunConfig)?.name ?? `run ${orig.id}`;
    const ea = db.evaluations.latestFinal(orig.id);
    const eb = copy ? db.evaluations.latestFinal(copy.id) : undefined;
    if (!copy || !ea || !eb) return { name, original: orig.id, replayed: copy?.id ?? null, reproduced: false, how: 'missing evaluation' };
    if (orig.backend !== null && orig.backend === copy.backend) {
      const same = JSON.stringify(ea.returns) === JSON.stringify(eb.returns);
      return { name, original: orig.id, replayed: copy.id, reproduced: same, how: `same backend ${orig.backend}: returns ${same ? 'identical' : 'differ'}` };
    }
    const within = Math.abs(eb.mean - ea.mean) <= (Number.isFinite(ea.ci95) ? ea.ci95 : 0);
    return { name, original: orig.id, replayed: copy.id, reproduced: within, how: `backend ${orig.backend} → ${copy.backend}: mean ${eb.mean.toFixed(2)} vs ${ea.mean.toFixed(2)} ± ${ea.ci95.toFixed(2)}` };
  });
}
