import { parseFlags, intFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { openDbFlag } from '../shared.ts';
import { runRow } from './experiment.ts';

export const usage = `Usage: distill-studio runs [--experiment ID] [--db FILE] [--json]
  Lists the stored runs (with --json: an object with a "runs" array). Runs left "running" by a process that
  died are marked "interrupted".`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, { experiment: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } });
  const experimentId = intFlag('experiment', flags.experiment, { min: 1 });
  const db = await openDbFlag(flags.db);
  try {
    db.runs.markInterruptedOnStartup();
    const rows = db.runs.list(experimentId !== undefined ? { experimentId } : {}).map((r) => runRow(db, r));
    if (flags.json === true) io.stdout(`${JSON.stringify({ db: db.file, runs: rows })}\n`);
    else if (rows.length === 0) io.stdout(`no runs in ${db.file}\n`);
    else for (const r of rows) io.stdout(`${String(r.id).padStart(5)}  exp ${String(r.experimentId ?? '-').padStart(3)}  ${r.role.padEnd(8)} ${r.status.padEnd(11)} ${r.name.padEnd(40)} ${r.evalMean === null ? '' : `return ${Number(r.evalMean).toFixed(1)}`}${r.error ? `  ${r.error}` : ''}\n`);
    return 0;
  } finally {
    db.close();
  }
}
