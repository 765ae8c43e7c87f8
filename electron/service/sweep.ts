/**
 * A sweep (students × α × seeds, plus from-scratch baselines of every size) is an experiment: its spec is
 * built here from the sweep's grid, and its completed runs are aggregated into the frontier table (parameters
 * vs normalised score, mean ± 95% CI over seeds).
 */
import { returnStats } from '../../core/eval/stats.ts';
import type { ExperimentSpec } from '../../core/experiment/spec.ts';
import type { RunRecord } from '../../db/index.ts';
import { storedConfig } from './runs.ts';

export interface SweepGrid {
  readonly name: string;
  readonly env: ExperimentSpec['env'];
  /** Path of the teacher's bundle folder. */
  readonly teacherModel: string;
  readonly students: readonly number[][];
  readonly alphas: readonly number[];
  readonly seeds: readonly number[];
  readonly method: 'supervised' | 'retrieval' | 'teacher';
  readonly mode: 'offline' | 'online';
  readonly softLoss?: 'kl' | 'kl-two-sided' | 'mse' | 'nll';
  readonly studentSteps: number;
  /** Knowledge-base extraction (ignored when the sweep brings its own knowledge base). */
  readonly kbSteps: number;
  /** Env-step budget of each baseline; null for no baselines. */
  readonly baselineSteps: number | null;
  readonly evalEpisodes: number;
}

export function sweepSpec(g: SweepGrid): unknown {
  return {
    version: 1,
    name: g.name,
    env: g.env,
    teacher: { model: g.teacherModel },
    knowledgeBase: { steps: g.kbSteps, epsilon: 0.05, seed: g.seeds[0] },
    students: g.students.flatMap((hiddenSizes) =>
      g.alphas.map((alpha) => ({
        name: `${hiddenSizes.join('-')} α=${alpha}`,
        hiddenSizes,
        alpha,
        method: g.method,
        mode: g.mode,
        steps: g.studentSteps,
        // A soft loss means nothing to a pure-L_hard student (α = 1): the spec would refuse it.
        ...(g.softLoss && alpha < 1 ? { softLoss: g.softLoss } : {}),
      })),
    ),
    baselines: g.baselineSteps === null ? false : { steps: g.baselineSteps },
    seeds: [...g.seeds],
    evaluation: { episodes: g.evalEpisodes, replays: 0 },
  };
}

export interface SweepRow {
  kind: 'distill' | 'baseline';
  student: string;
  params: number;
  paramRatio: number | null;
  alpha: number | null;
  seeds: number;
  scoreMean: number;
  scoreCi95: number;
  returnMean: number;
  agreement: number | null;
}

const round4 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x);

/** Groups the completed students by (size, α) and baselines by size, over seeds. */
export function sweepRows(runs: readonly RunRecord[]): SweepRow[] {
  const groups = new Map<string, { kind: SweepRow['kind']; sizes: number[]; alpha: number | null; summaries: Record<string, unknown>[] }>();
  for (const r of runs) {
    const job = storedConfig(r)?.job;
    if (r.status !== 'completed' || !job || job.kind === 'teacher') continue;
    const kind = job.kind === 'student' ? 'distill' : 'baseline';
    const alpha = job.kind === 'student' ? job.config.alpha : null;
    const key = `${kind}|${job.config.hiddenSizes.join(',')}|${alpha ?? ''}`;
    const g = groups.get(key) ?? { kind, sizes: job.config.hiddenSizes, alpha, summaries: [] };
    g.summaries.push((r.summary ?? {}) as Record<string, unknown>);
    groups.set(key, g);
  }
  const rows: SweepRow[] = [...groups.values()].map((g) => {
    const first = g.summaries[0];
    const scores = returnStats(g.summaries.map((s) => Number(s.normalizedScore)));
    const returns = returnStats(g.summaries.map((s) => Number(s.evalMean)));
    const agreements = g.summaries.map((s) => s.agreement).filter((x): x is number => typeof x === 'number');
    return {
      kind: g.kind,
      student: g.sizes.join('-'),
      params: Number(first.studentParams),
      paramRatio: typeof first.paramRatio === 'number' ? first.paramRatio : null,
      alpha: g.alpha,
      seeds: g.summaries.length,
      scoreMean: round4(scores.mean),
      scoreCi95: round4(scores.ci95),
      returnMean: round4(returns.mean),
      agreement: agreements.length ? round4(agreements.reduce((a, b) => a + b, 0) / agreements.length) : null,
    };
  });
  rows.sort((a, b) => a.params - b.params || (a.kind === b.kind ? (a.alpha ?? -1) - (b.alpha ?? -1) : a.kind === 'baseline' ? 1 : -1));
  return rows;
}

export function formatSweepTable(rows: readonly SweepRow[]): string {
  const header = ['kind', 'student', 'params', '% teacher', 'α', 'seeds', 'normalised score (mean ± 95% CI)', 'return', 'agreement'];
  const body = rows.map((r) => [
    r.kind,
    r.student,
    String(r.params),
    r.paramRatio === null ? '-' : `${(r.paramRatio * 100).toFixed(1)}%`,
    r.alpha === null ? '-' : String(r.alpha),
    String(r.seeds),
    `${r.scoreMean.toFixed(3)} ± ${Number.isFinite(r.scoreCi95) ? r.scoreCi95.toFixed(3) : 'n/a'}`,
    r.returnMean.toFixed(1),
    r.agreement === null ? '-' : `${(r.agreement * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n') + '\n';
}
