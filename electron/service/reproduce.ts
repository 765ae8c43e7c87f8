/**
 * The reproduce check of `experiment replay`: run by run, a replayed experiment against its original. On the
 * same backend the final greedy returns must be identical (every run is deterministic per seed and backend);
 * across backends the replayed mean must fall within the original's 95% confidence interval.
 */
import { ciText } from './views.ts';
import type { RunRecord, StudioDb } from '../../db/index.ts';
import { storedConfig } from './runs.ts';

export interface RunComparison {
  readonly name: string;
  readonly original: number;
  readonly replayed: number | null;
  readonly reproduced: boolean;
  readonly how: string;
}

export function compareRuns(db: StudioDb, originals: readonly RunRecord[], copies: readonly RunRecord[]): RunComparison[] {
  return originals.map((orig, i) => {
    const copy = copies[i];
    const name = storedConfig(orig)?.name ?? `run ${orig.id}`;
    const ea = db.evaluations.latestFinal(orig.id);
    const eb = copy ? db.evaluations.latestFinal(copy.id) : undefined;
    if (!copy || !ea || !eb) return { name, original: orig.id, replayed: copy?.id ?? null, reproduced: false, how: 'missing evaluation' };
    if (orig.backend !== null && orig.backend === copy.backend) {
      const same = JSON.stringify(ea.returns) === JSON.stringify(eb.returns);
      return { name, original: orig.id, replayed: copy.id, reproduced: same, how: `same backend ${orig.backend}: returns ${same ? 'identical' : 'differ'}` };
    }
    const within = Math.abs(eb.mean - ea.mean) <= (Number.isFinite(ea.ci95) ? ea.ci95 : 0);
    return { name, original: orig.id, replayed: copy.id, reproduced: within, how: `backend ${orig.backend} → ${copy.backend}: mean ${eb.mean.toFixed(2)} vs ${ea.mean.toFixed(2)} (${ciText(ea.ci95, ea.returns.length)})` };
  });
}
