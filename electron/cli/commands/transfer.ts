/** `export`, `import` and `metrics` (CSV): moving experiments and their numbers between installations and tools. */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio export EXPERIMENT --out FILE [--db FILE] [--json]
       distill-studio import FILE [--db FILE] [--json]
       distill-studio metrics RUN [--key KEY] [--out FILE.csv] [--db FILE]
  export   write an experiment (spec, runs, models, knowledge bases, metrics, evaluations, replays) to one SQLite file
  import   add the experiments of such a file to the database (nothing changes if the file is bad)
  metrics  a run's metrics as CSV (run_id,key,step,value), to stdout or --out`;

export async function run(argv: string[], io: CommandIo, verb: 'export' | 'import' | 'metrics'): Promise<number> {
  const [target, ...rest] = argv;
  if (target === undefined || target.startsWith('--')) throw new UsageError(verb === 'import' ? 'missing FILE' : `missing the ${verb === 'export' ? 'experiment' : 'run'} id`);
  if (verb === 'export') {
    const flags = parseFlags(rest, { out: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } });
    const id = intFlag('EXPERIMENT', target, { min: 1 })!;
    const out = path.resolve(requireFlag('out', flags.out as string | undefined));
    const studio = openStudioFlag(flags.db);
    try {
      const counts = studio.exportToFile(id, out).rows;
      if (flags.json === true) io.stdout(`${JSON.stringify({ command: 'export', experiment: id, file: out, rows: counts })}\n`);
      else io.stdout(`experiment ${id} exported to ${out} (${counts.runs} runs, ${counts.metrics} metric points, ${counts.models} models)\n`);
      return 0;
    } finally {
      await studio.close();
    }
  }
  if (verb === 'import') {
    const flags = parseFlags(rest, { db: { type: 'string' }, json: { type: 'boolean' } });
    const file = path.resolve(target);
    const studio = openStudioFlag(flags.db);
    try {
      let ids: number[];
      try {
        ids = studio.importFile(file);
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
  const flags = parseFlags(rest, { key: { type: 'string' }, out: { type: 'string' }, db: { type: 'string' } });
  const runId = intFlag('RUN', target, { min: 1 })!;
  const studio = openStudioFlag(flags.db);
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
    if (typeof flags.out === 'string') {
      fs.writeFileSync(path.resolve(flags.out), csv);
      io.stderr(`${lines.length - 1} points written to ${path.resolve(flags.out)}\n`);
    } else io.stdout(csv);
    return 0;
  } finally {
    await studio.close();
  }
}
