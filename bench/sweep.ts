/**
 * `npm run bench -- --only sweep`: "bigger batches, fewer updates" on the project-default CartPole-v1
 * teacher. Each variant keeps the samples per env step (batch × updates per block) of the default or halves
 * them; the question is whether fewer, larger updates reach 475 sooner in wall-clock time.
 */
import { presetConfig } from '../core/dqn/presets.ts';
import { trainTeacher } from '../core/dqn/train-teacher.ts';
import { episodeSeeds, evaluatePolicy } from '../core/eval/evaluate.ts';

const VARIANTS: { batchSize: number; gradientSteps: number }[] = [
  { batchSize: 64, gradientSteps: 128 }, // the default (the Zoo's)
  { batchSize: 128, gradientSteps: 64 },
  { batchSize: 256, gradientSteps: 32 },
  { batchSize: 64, gradientSteps: 64 },
  { batchSize: 128, gradientSteps: 32 },
];

export async function benchSweep(options: { seeds: number[] }): Promise<Record<string, string | number | null>[]> {
  const rows: Record<string, string | number | null>[] = [];
  for (const v of VARIANTS) {
    const times: number[] = [];
    const finals: number[] = [];
    const steps: (number | null)[] = [];
    let updates = 0;
    let train = 0;
    for (const seed of options.seeds) {
      const r = await trainTeacher({ ...presetConfig('CartPole-v1', 'default'), ...v, env: 'CartPole-v1', seed });
      finals.push(evaluatePolicy('CartPole-v1', (o, b) => r.network.act(o, b), episodeSeeds(20)).mean);
      times.push(r.thresholdSeconds ?? Number.POSITIVE_INFINITY);
      steps.push(r.thresholdStep);
      updates = r.gradientSteps;
      train += r.trainSeconds;
      r.network.dispose();
    }
    const sorted = [...times].sort((a, b) => a - b);
    rows.push({
      batch: v.batchSize,
      'updates per 256 steps': v.gradientSteps,
      'samples per env step': (v.batchSize * v.gradientSteps) / 256,
      updates,
      'time to ≥475 s (per seed)': times.map((t) => (Number.isFinite(t) ? t.toFixed(2) : 'never')).join(' / '),
      'median s': Number.isFinite(sorted[sorted.length >> 1]) ? Number(sorted[sorted.length >> 1].toFixed(2)) : null,
      'threshold step (per seed)': steps.map((s) => s ?? 'never').join(' / '),
      'mean train s (whole run)': Number((train / options.seeds.length).toFixed(2)),
      'final test return (per seed)': finals.map((f) => f.toFixed(0)).join(' / '),
    });
  }
  return rows;
}
