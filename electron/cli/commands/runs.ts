import { parseFlags, intFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio runs [--experiment ID] [--db FILE] [--json]
  Lists the stored runs (with --json: an object with a "runs" array). Runs left "running" by a process that
  died are marked "interrupted".`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, { experiment: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } });
  const experimentId = intFlag('experiment', flags.experiment, { min: 1 });
  // A listing reads what is stored: a mistyped --db is an error, not a new empty database.
  const studio = openStudioFlag(flags.db, { create: false });
  try {
    const rows = studio.runRows(experimentId !== undefined ? { experimentId } : {});
    if (flags.json === true) io.stdout(`${JSON.stringify({ db: studio.db.file, runs: rows })}\n`);
    else if (rows.length === 0) io.stdout(`no runs in ${studio.db.file}\n`);
    else for (const r of rows) io.stdout(`${String(r.id).padStart(5)}  exp ${String(r.experimentId ?? '-').padStart(3)}  ${r.role.padEnd(8)} ${r.status.padEnd(11)} ${r.name.padEnd(40)} ${r.evalMean === null ? '' : `return ${r.evalMean.toFixed(1)}`}${r.error ? `  ${r.error}` : ''}\n`);
    return 0;
  } finally {
    await studio.close();
  }
}
