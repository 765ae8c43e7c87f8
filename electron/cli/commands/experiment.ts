/**
 * `experiment run SPEC.json`: validates the spec, stores the experiment and its runs, and runs the pipeline
 * (teacher → knowledge base → students and baselines over seeds → evaluations → replays) on the studio's
 * worker threads. `experiment replay ID`: re-runs a stored experiment from its spec, seeds and backend into a
 * new experiment and says, run by run, whether the results reproduce.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseExperimentSpec, SpecError, type ExperimentSpec } from '../../../core/experiment/spec.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import type { Studio } from '../../service/studio.ts';
import { UsageError, choiceFlag, intArg, intFlag, parseCommand } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { cancellableOnSigint, executeRuns, followRuns, openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio experiment run SPEC.json [--db FILE] [--jobs N] [--backend NAME] [--json]
       distill-studio experiment replay ID [--db FILE] [--jobs N] [--backend NAME] [--json]
  run     validate SPEC.json, store the experiment and run it (teacher → KB → students and baselines → evaluations)
  replay  re-run stored experiment ID from its spec, seeds and backend, and report whether each run reproduces
  --db    database file (default: the app's, e.g. ~/.config/distill-studio/studio.db; env DISTILL_DB)
  --jobs  worker threads (default: the number of cores)`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand(argv, { db: { type: 'string' }, jobs: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } }, ['run|replay', 'SPEC.json|ID'], 0);
  const [sub, target] = args;
  if (sub !== 'run' && sub !== 'replay') throw new UsageError(`expected "experiment run SPEC.json" or "experiment replay ID", got "${sub ?? ''}"`);
  if (target === undefined) throw new UsageError(sub === 'run' ? 'SPEC.json is required' : 'ID (the experiment to replay) is required');
  const jobs = intFlag('jobs', flags.jobs, { min: 1, max: 64 });
  const backend = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const);
  const json = flags.json === true;
  const runnerOptions = { ...(jobs ? { poolSize: jobs } : {}), ...(backend ? { backend } : {}) };
  // A forced backend must load before anything is stored: a missing one is refused here, not by every run.
  if (backend && backend !== 'auto') {
    try {
      await selectBackend(backend);
    } catch (err) {
      throw new UsageError(`--backend: ${(err as Error).message}`);
    }
  }

  if (sub === 'run') {
    const file = path.resolve(target);
    const spec = readSpec(file);
    const studio = openStudioFlag(flags.db, { ...runnerOptions, specDir: path.dirname(file) });
    try {
      let created;
      try {
        created = await studio.createFromSpec(spec, { start: false });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (!json) io.stderr(`experiment ${created.experimentId} "${spec.name}": ${created.runs.length} runs in ${studio.db.file}\n`);
      await executeRuns(studio, created.runs.map((r) => r.runId), io, json);
      return report(studio, created.experimentId, io, json);
    } finally {
      await studio.close();
    }
  }

  const id = intArg('ID', target, { min: 1 });
  // A replay reads a stored experiment: a mistyped --db is an error, not a new empty database.
  const studio = openStudioFlag(flags.db, { ...runnerOptions, create: false });
  try {
    const stop = json ? () => {} : followRuns(studio, io);
    const replayIds = () => studio.db.runs.list().filter((r) => r.status === 'queued' || r.status === 'running').map((r) => r.id);
    let result;
    try {
      result = await cancellableOnSigint(studio, replayIds, io, studio.replayExperiment(id, backend ? { backend } : {}));
    } finally {
      stop();
    }
    if (json) io.stdout(`${JSON.stringify({ command: 'experiment replay', original: id, replay: result.replayId, reproduced: result.reproduced, runs: result.runs })}\n`);
    else {
      for (const c of result.runs) io.stdout(`${c.name.padEnd(40)} ${c.reproduced ? 'reproduced' : 'DIFFERS'} (${c.how}): ${c.original} → ${c.replayed}\n`);
      io.stdout(result.reproduced ? 'every run reproduced\n' : 'some runs did not reproduce\n');
    }
    return result.reproduced ? 0 : 1;
  } finally {
    await studio.close();
  }
}

function readSpec(file: string): ExperimentSpec {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such spec file`);
  let raw: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte-order mark; JSON.parse would reject it.
    raw = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return parseExperimentSpec(raw, file);
  } catch (err) {
    if (err instanceof SpecError) throw new UsageError(err.message);
    throw err;
  }
}

function report(studio: Studio, experimentId: number, io: CommandIo, json: boolean): number {
  const rows = studio.runRows({ experimentId });
  if (json) io.stdout(`${JSON.stringify({ command: 'experiment run', experimentId, db: studio.db.file, runs: rows })}\n`);
  else {
    io.stdout(`experiment ${experimentId}\n`);
    for (const r of rows) {
      const score = r.normalizedScore === null ? '' : ` score ${r.normalizedScore.toFixed(3)}`;
      io.stdout(`  ${String(r.id).padStart(4)} ${r.role.padEnd(8)} ${r.status.padEnd(11)} ${r.name.padEnd(40)} return ${r.evalMean === null ? '-' : r.evalMean.toFixed(1)}${score}${r.error ? `  ${r.error}` : ''}\n`);
    }
  }
  return rows.every((r) => r.status === 'completed') ? 0 : 1;
}
