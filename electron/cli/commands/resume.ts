import { UsageError, intFlag, parseFlags } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { createRunner, submitRuns } from '../../jobs/orchestrator.ts';
import { openDbFlag } from '../shared.ts';
import { runRow } from './experiment.ts';

export const usage = `Usage: distill-studio resume RUN [--db FILE] [--json]
  Continues an interrupted (or failed) run from its last checkpoint (weights, optimizer state, replay buffer,
  step counters, ε/α schedule position), then the runs of its experiment that were waiting for it.`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [target, ...rest] = argv;
  const id = intFlag('RUN', target, { min: 1 });
  if (id === undefined) throw new UsageError('missing the run id');
  const flags = parseFlags(rest, { db: { type: 'string' }, json: { type: 'boolean' } });
  const db = await openDbFlag(flags.db);
  try {
    db.runs.markInterruptedOnStartup();
    const run = db.runs.get(id);
    if (run.status === 'completed') throw new UsageError(`run ${id} has already completed`);
    if (run.status === 'running') throw new UsageError(`run ${id} is running in another process`);
    // The run itself, then queued or interrupted runs of its experiment that depend on it.
    const waiting = run.experimentId === null ? [] : db.runs.list({ experimentId: run.experimentId }).filter((r) => r.id !== id && r.teacherRunId === id && ['queued', 'interrupted'].includes(r.status));
    const ids = [id, ...waiting.map((r) => r.id)];
    const checkpoint = db.checkpoints.load(id);
    if (flags.json !== true) io.stderr(`resuming run ${id} ${checkpoint ? `from its checkpoint at step ${checkpoint.step}` : 'from the start (no checkpoint)'}${waiting.length ? `, then ${waiting.length} waiting runs` : ''}\n`);
    const runner = createRunner(db);
    try {
      await Promise.all(submitRuns(db, runner, ids));
    } finally {
      await runner.close();
    }
    const rows = ids.map((r) => runRow(db, db.runs.get(r)));
    if (flags.json === true) io.stdout(`${JSON.stringify({ command: 'resume', run: id, resumedFrom: checkpoint?.step ?? null, runs: rows })}\n`);
    else for (const r of rows) io.stdout(`run ${r.id} ${r.name}: ${r.status}${r.evalMean === null ? '' : `, return ${Number(r.evalMean).toFixed(1)}`}\n`);
    return rows.every((r) => r.status === 'completed') ? 0 : 1;
  } finally {
    db.close();
  }
}
