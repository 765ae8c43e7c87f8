/**
 * Every point of chosen metric series as one CSV file (the compare view's "curves as CSV"): a header, then one
 * line per point in run, key, step order. Read at full resolution (not the charts' downsampled envelope), so a
 * spreadsheet or pandas sees what the run recorded; 10⁶ points take a few seconds (`npm run bench -- --only ui`).
 */
import type { MetricKey } from '../../core/metrics.ts';
import type { StudioDb } from '../../db/index.ts';
import { csvLine, type ExportedFile } from '../api/contract.ts';
import { stepUnitOf } from './execution.ts';
import { storedConfig } from './runs.ts';

export const METRICS_CSV_HEADER = ['run_id', 'run_name', 'role', 'seed', 'key', 'unit', 'step', 'value'] as const;

export function metricsCsv(db: StudioDb, runIds: readonly number[], keys: readonly string[]): ExportedFile {
  const runs = runIds.map((id) => db.runs.get(id));
  const parts: string[] = [csvLine(METRICS_CSV_HEADER)];
  for (const run of runs) {
    const name = storedConfig(run)?.name ?? `run ${run.id}`;
    // Everything before the step is the same for every point of a series: written once per series.
    for (const key of keys) {
      const s = db.metrics.series(run.id, key as MetricKey);
      if (s.steps.length === 0) continue;
      // The unit recorded with the series (schema v2); older series are in the run's budget unit.
      const prefix = `${csvLine([run.id, name, run.role, run.seed, key, s.unit ?? stepUnitOf(run)]).slice(0, -2)},`;
      // Appending to a string in chunks of 65,536 lines was the fastest of the ways measured (an array joined
      // once, a Buffer written row by row): 10⁶ rows in 1-2 s here, most of it turning numbers into text.
      for (let start = 0; start < s.steps.length; start += 65_536) {
        let chunk = '';
        const end = Math.min(s.steps.length, start + 65_536);
        for (let i = start; i < end; i++) {
          const v = s.values[i];
          chunk += prefix + s.steps[i] + ',' + (Number.isFinite(v) ? v : '') + '\r\n';
        }
        parts.push(chunk);
      }
    }
  }
  const label = runs.length === 1 ? `run-${runs[0].id}` : `${runs.length}-runs`;
  const buffers = parts.map((p) => Buffer.from(p, 'utf8'));
  const bytes = new Uint8Array(buffers.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of buffers) {
    bytes.set(b, offset);
    offset += b.length;
  }
  return { fileName: `metrics-${label}.csv`, bytes };
}
