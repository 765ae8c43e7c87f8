import { describe, expect, it } from 'vitest';
import { fmtCount, fmtDuration, fmtNum, fmtPercent, fmtRelative, slug, unitLabel } from '../../renderer/lib/format.ts';
import { progressLabel } from '../../renderer/lib/run-labels.ts';

describe('formatting', () => {
  it('formats numbers, sizes, ratios and durations compactly', () => {
    expect(fmtNum(412.345, 4)).toBe('412.3');
    expect(fmtNum(-0.5)).toBe('−0.5');
    expect(fmtNum(null)).toBe('—');
    expect(fmtNum(12345.6, 4)).toBe('12,350');
    expect(fmtCount(4610)).toBe('4.6k');
    expect(fmtCount(130)).toBe('130');
    expect(fmtCount(1_234_567)).toBe('1.23M');
    expect(fmtPercent(0.0281)).toBe('2.8 %');
    expect(fmtPercent(0.5)).toBe('50 %');
    expect(fmtDuration(45)).toBe('45 s');
    expect(fmtDuration(200)).toBe('3 min 20 s');
    expect(fmtDuration(7500)).toBe('2 h 05 min');
    expect(fmtRelative(new Date(Date.now() - 10_000).toISOString())).toBe('just now');
    expect(slug('CartPole: 64-64 → 8-8!')).toBe('cartpole-64-64-8-8');
    expect(unitLabel('gradient_updates')).toBe('gradient updates');
  });

  it('says where a run stands: progress with unit and ETA, waiting, done', () => {
    const base = { startedAt: null, finishedAt: null, checkpointStep: null };
    const progress = { phase: 'train', step: 1200, total: 5000, unit: 'env_steps', elapsedSeconds: 3, etaSeconds: 75, recentReturn: null, lastEval: null, at: '' } as const;
    expect(progressLabel({ ...base, status: 'running', progress }, null)).toBe('1,200 / 5,000 env steps · ETA 1 min 15 s');
    expect(progressLabel({ ...base, status: 'running', progress: { ...progress, phase: 'evaluate', unit: 'episodes', step: 3, total: 20, etaSeconds: null } }, null)).toBe('evaluating: 3 / 20 episodes');
    expect(progressLabel({ ...base, status: 'queued', progress: null }, 'the teacher (running)')).toBe('waiting for the teacher (running)');
    expect(progressLabel({ ...base, status: 'completed', progress: null, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:05Z' }, null)).toBe('done in 1 min 05 s');
  });
});
