import { UsageError, intFlag, parseFlags } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ApiError } from '../../api/contract.ts';
import { cancellableOnSigint, followRuns, openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio resume RUN [--db FILE] [--json]
  Continues an interrupted, cancelled or failed run from its last checkpoint (weights, optimizer state, replay
  buffer, step counters, ε/α schedule position), then the runs of its experiment that were waiting for it. Runs
  of stand-alone commands (train-teacher, distill, baseline) resume too. A run that diverged is refused (it would
  diverge again), and so is a run another process is running.`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [target, ...rest] = argv;
  const id = intFlag('RUN', target, { min: 1 });
  if (id === undefined) throw new UsageError('missing the run id');
  const flags = parseFlags(rest, { db: { type: 'string' }, json: { type: 'boolean' } });
  const json = flags.json === true;
  const studio = openStudioFlag(flags.db);
  try {
    let resumed;
    try {
      resumed = studio.resume(id);
    } catch (err) {
      // Refusals (running elsewhere, completed, diverged) name the run and the reason; nothing was changed.
      throw new Error(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    }
    const waiting = resumed.runIds.length - 1;
    if (!json) io.stderr(`resuming run ${id} ${resumed.checkpointStep !== null ? `from its checkpoint at step ${resumed.checkpointStep}` : 'from the start (no checkpoint)'}${waiting ? `, then ${waiting} waiting runs` : ''}\n`);
    const stop = json ? () => {} : followRuns(studio, io);
    let outcomes;
    try {
      outcomes = await cancellableOnSigint(studio, () => resumed.runIds, io, studio.waitFor(resumed.runIds));
    } finally {
      stop();
    }
    const refused = outcomes.find((o) => o.status === 'refused');
    if (refused && refused.status === 'refused') io.stderr(`distill-studio resume: ${refused.error}\n`);
    const all = new Map(studio.runRows().map((row) => [row.id, row]));
    const rows = resumed.runIds.map((r) => all.get(r)!);
    if (json) io.stdout(`${JSON.stringify({ command: 'resume', run: id, resumedFrom: resumed.checkpointStep, runs: rows })}\n`);
    else for (const r of rows) io.stdout(`run ${r.id} ${r.name}: ${r.status}${r.evalMean === null ? '' : `, return ${r.evalMean.toFixed(1)}`}\n`);
    return rows.every((r) => r.status === 'completed') ? 0 : 1;
  } finally {
    await studio.close();
  }
}
