import { BACKEND_NAMES } from '../../../core/nn/backend.ts';
import { choiceFlag, intArg, parseCommand } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { cancellableOnSigint, followRuns, openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio resume RUN [--db FILE] [--backend NAME] [--json]
  Continues an interrupted, cancelled or failed run from its last checkpoint (weights, optimizer state, replay
  buffer, step counters, ε/α schedule position), then the runs of its experiment that were waiting for it. Runs
  of stand-alone commands (train-teacher, distill, baseline) resume too. A run that diverged is refused (it would
  diverge again), and so is a run another process is running.
  --backend  continue on this backend (${BACKEND_NAMES.join(' | ')}) instead of the one the run was recorded with;
             by default a run continues on its own backend, and is refused if that one is not available here
             (another backend rounds differently, so the continued run would not match one that never stopped)`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand(argv, { db: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } }, ['RUN']);
  const id = intArg('RUN', args[0], { min: 1 });
  const backend = choiceFlag('backend', flags.backend, BACKEND_NAMES);
  const json = flags.json === true;
  // It continues a stored run: a mistyped --db is an error, not a new empty database.
  const studio = openStudioFlag(flags.db, { create: false, ...(backend ? { backend } : {}) });
  try {
    // Refusals (running elsewhere, completed, diverged, backend missing) name the run and the reason; nothing was changed.
    const resumed = studio.resume(id, backend ? { backend } : {});
    const waiting = resumed.runIds.length - 1;
    const on = resumed.backend ? ` on ${resumed.backend}${backend ? '' : ' (its recorded backend)'}` : '';
    if (!json) io.stderr(`resuming run ${id} ${resumed.checkpointStep !== null ? `from its checkpoint at step ${resumed.checkpointStep}` : 'from the start (no checkpoint)'}${on}${waiting ? `, then ${waiting} waiting runs` : ''}\n`);
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
    if (json) io.stdout(`${JSON.stringify({ command: 'resume', run: id, resumedFrom: resumed.checkpointStep, backend: resumed.backend, runs: rows })}\n`);
    else for (const r of rows) io.stdout(`run ${r.id} ${r.name}: ${r.status}${r.evalMean === null ? '' : `, return ${r.evalMean.toFixed(1)}`}\n`);
    return rows.every((r) => r.status === 'completed') ? 0 : 1;
  } finally {
    await studio.close();
  }
}
