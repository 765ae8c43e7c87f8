/** `export`, `import` and `metrics` (CSV): moving experiments and their numbers between installations and tools. */
import path from 'node:path';
import { writeFileSafely } from '../../../core/util/safe-output.ts';
import { UsageError, intArg, parseCommand, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { dbPathFlag, openStudioFlag, outputFileFlag } from '../studio.ts';

export const usage = `Usage: distill-studio export EXPERIMENT --out FILE [--force] [--db FILE] [--json]
       distill-studio import FILE [--force] [--db FILE] [--json]
       distill-studio metrics RUN [--key KEY] [--out FILE.csv] [--force] [--db FILE]
  export   write an experiment (spec, runs, models, knowledge bases, metrics, evaluations, replays) to one SQLite file
  import   add the experiments of such a file to the database (nothing changes if the file is bad)
  metrics  a run's metrics as CSV (run_id,key,step,value), to stdout or --out
  --out    never replaces an existing file unless --force, and never the open database
  --force  export, metrics: replace an existing --out file; import: import experiments that are already in the
           database a second time`;

export async function run(argv: string[], io: CommandIo, verb: 'export' | 'import' | 'metrics'): Promise<number> {
  if (verb === 'export') {
    const { args, flags } = parseCommand(argv, { out: { type: 'string' }, force: { type: 'boolean' }, db: { type: 'string' }, json: { type: 'boolean' } }, ['EXPERIMENT']);
    const id = intArg('EXPERIMENT', args[0], { min: 1 });
    const force = flags.force === true;
    const out = outputFileFlag('out', requireFlag('out', flags.out as string | undefined), { force, dbFile: dbPathFlag(flags.db) });
    // It exports what is stored: a mistyped --db is an error, not a new empty database.
    const studio = openStudioFlag(flags.db, { create: false });
    try {
      const counts = studio.exportToFile(id, out, { force }).rows;
      if (flags.json === true) io.stdout(`${JSON.stringify({ command: 'export', experiment: id, file: out, rows: counts })}\n`);
      else io.stdout(`experiment ${id} exported to ${out} (${counts.runs} runs, ${counts.metrics} metric points, ${counts.models} models)\n`);
      return 0;
    } finally {
      await studio.close();
    }
  }
  if (verb === 'import') {
    const { args, flags } = parseCommand(argv, { force: { type: 'boolean' }, db: { type: 'string' }, json: { type: 'boolean' } }, ['FILE']);
    const file = path.resolve(args[0]);
    const studio = openStudioFlag(flags.db);
    try {
      let ids: number[];
      try {
        ids = studio.importFile(file, { allowDuplicate: flags.force === true });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (flags.json === true) io.stdout(`${JSON.stringify({ command: 'import', file, experiments: ids })}\n`);
      else io.stdout(`imported ${ids.length} experiment(s) from ${file}: ${ids.join(', ')}\n`);
      return 0;
    } finally {
      await studio.close();
    }
  }
  const { args, flags } = parseCommand(argv, { key: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, db: { type: 'string' } }, ['RUN']);
  const runId = intArg('RUN', args[0], { min: 1 });
  const force = flags.force === true;
  const out = typeof flags.out === 'string' ? outputFileFlag('out', flags.out, { force, dbFile: dbPathFlag(flags.db) }) : null;
  const studio = openStudioFlag(flags.db, { create: false });
  const db = studio.db;
  try {
    db.runs.get(runId);
    const keys = typeof flags.key === 'string' ? [flags.key] : db.metrics.keys(runId);
    const lines = ['run_id,key,step,value'];
    for (const key of keys) {
      const s = db.metrics.series(runId, key as Parameters<typeof db.metrics.series>[1]);
      for (let i = 0; i < s.steps.length; i++) lines.push(`${runId},${key},${s.steps[i]},${Number.isNaN(s.values[i]) ? '' : s.values[i]}`);
    }
    const csv = `${lines.join('\n')}\n`;
    if (out !== null) {
      writeFileSafely(out, csv, { force, protect: [db.file] });
      io.stderr(`${lines.length - 1} points written to ${out}\n`);
    } else io.stdout(csv);
    return 0;
  } finally {
    await studio.close();
  }
}
