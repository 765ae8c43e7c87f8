import { describe, expect, it } from 'vitest';
import type { CompareRunView } from '../../electron/api/contract.ts';
import { COLUMNS, groupKey, sortRows, tableCsv, tableRows, visibleColumns } from '../../renderer/lib/compare-table.ts';
import { ci95, tCritical95 } from '../../renderer/lib/stats.ts';

function run(id: number, over: Partial<CompareRunView> & { alpha?: number; score?: number | null; mode?: string } = {}): CompareRunView {
  const { alpha = 0, score = 0.9, mode = 'offline', ...rest } = over;
  const role = rest.role ?? 'student';
  return {
    id,
    experimentId: 1,
    experimentName: 'exp',
    role,
    name: `run ${id}`,
    status: 'completed',
    env: 'CartPole-v1',
    seed: 1,
    backend: 'wasm',
    hiddenSizes: [8, 8],
    params: 130,
    paramRatio: 0.028,
    student: role === 'student' ? { alpha, alphaSchedule: 'constant', alphaEnd: alpha, tau: 0.01, softLoss: 'kl', hardLoss: 'td', method: 'supervised', mode, steps: 1000 } : null,
    budget: 1000,
    budgetUnit: 'gradient_updates',
    result: { evalMean: 450, evalStd: 10, evalCi95: 5, episodes: 20, normalizedScore: score, normalizedCi95: 0.01, microsecondsPerAction: 40, agreement: 0.95, qRmse: 1.5, teacherEvalMean: 500, randomEvalMean: 20 },
    trainSeconds: 3,
    startedAt: null,
    finishedAt: null,
    teacherRunId: 1,
    teacherModelId: null,
    kbId: 1,
    studentRunIds: [],
    replays: 2,
    hasModel: true,
    ...rest,
  };
}

describe('compare table', () => {
  const runs = [run(2, { seed: 1, score: 0.8 }), run(3, { seed: 2, score: 1.0 }), run(4, { seed: 1, alpha: 0.5, score: 0.6 }), run(5, { seed: 2, alpha: 0.5, score: null })];

  it('differences only hides the configuration columns that are equal on every row (n/a is no value), never the results', () => {
    const rows = tableRows(runs, false);
    const all = visibleColumns(rows, false).map((c) => c.key);
    const diff = visibleColumns(rows, true).map((c) => c.key);
    expect(all).toEqual(COLUMNS.map((c) => c.key));
    // a teacher has no α or soft loss: those stay equal (all students have kl), α differs (0, 0.5)
    const withTeacher = tableRows([...runs, run(9, { role: 'teacher', hiddenSizes: [64, 64], params: 4610 })], false);
    expect(visibleColumns(withTeacher, true).map((c) => c.key)).toEqual(['return', 'score', 'latency', 'agreement', 'qRmse', 'role', 'hidden', 'params', 'alpha', 'seed']);
    expect(diff).toEqual(['return', 'score', 'latency', 'agreement', 'qRmse', 'alpha', 'seed']);
  });

  it('groups runs that differ only in their seed: mean over seeds, n, and a t-based 95% CI across seeds', () => {
    expect(groupKey(runs[0])).toBe(groupKey(runs[1]));
    expect(groupKey(runs[0])).not.toBe(groupKey(runs[2]));
    const rows = tableRows(runs, true);
    expect(rows).toHaveLength(2);
    expect(rows[0].runs.map((r) => r.id)).toEqual([2, 3]);
    expect(rows[0].score).toBeCloseTo(0.9, 12);
    // two seeds: t(0.975, 1) · sd / √2 with sd of (0.8, 1.0) = 0.1414…
    expect(rows[0].scoreCi).toBeCloseTo(12.706 * Math.SQRT2 * 0.1 / Math.SQRT2, 6);
    expect(rows[0].texts.seed).toBe('1, 2');
    // a group with one score known: that score, no CI
    expect(rows[1].score).toBe(0.6);
    expect(rows[1].scoreCi).toBeNull();
    // in grouped mode the seed differs inside groups only: differences-only hides it
    expect(visibleColumns(rows, true).map((c) => c.key)).toEqual(['return', 'score', 'latency', 'agreement', 'qRmse', 'alpha']);
  });

  it('sorts numbers and text either way with missing values last', () => {
    const rows = tableRows(runs, false);
    expect(sortRows(rows, { key: 'score', desc: true }).map((r) => r.lead.id)).toEqual([3, 2, 4, 5]);
    expect(sortRows(rows, { key: 'score', desc: false }).map((r) => r.lead.id)).toEqual([4, 2, 3, 5]);
    expect(sortRows(rows, { key: 'alpha', desc: true }).map((r) => r.lead.id)).toEqual([4, 5, 2, 3]);
  });

  it('writes the visible table as CSV with raw numbers, quoting names that need it', () => {
    const rows = tableRows([run(7, { name: 'student "8-8", α 0' })], false);
    const csv = tableCsv(rows, visibleColumns(rows, false).filter((c) => ['hidden', 'score'].includes(c.key)), false);
    expect(csv).toBe('name,score,hidden,run_id,score_ci95\r\n"student ""8-8"", α 0",0.9,8-8,7,0.01\r\n');
  });

  it('t quantiles and CI', () => {
    expect(tCritical95(1)).toBe(12.706);
    expect(tCritical95(30)).toBe(2.042);
    expect(ci95([1, 2, 3])).toBeCloseTo((4.303 * 1) / Math.sqrt(3), 6);
    expect(Number.isNaN(ci95([1]))).toBe(true);
  });
});
