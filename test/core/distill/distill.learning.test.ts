/**
 * Learning tests (tier `learning`): thresholds that real runs must reach, on the pinned wasm backend, each
 * asserted on the median of 3 seeds with a margin below what was measured (numbers in the comments: 2-core
 * AMD EPYC VM, wasm).
 *
 * The pipeline on CartPole-v1: the default teacher (seed 1) reaches the reward threshold; from its 20,000-step
 * knowledge base, an 8-8 student (2.8% of the teacher's parameters) distilled by supervised distillation, and
 * one trained by retrieval-based online transfer (the seed's method: its own states, targets retrieved from
 * the KB within the 'auto' radius) with α rising linearly 0 → 0.5, both match the teacher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinBackend } from '../../helpers.ts';
import { defaultTeacher, distilled, median, type TrainedTeacher } from '../../pipeline.ts';

let t: TrainedTeacher;
beforeAll(async () => {
  await pinBackend();
  t = await defaultTeacher('CartPole-v1');
}, 400_000);
afterAll(() => t?.network.dispose());

const SEEDS = [1, 2, 3];

describe('learning: CartPole-v1 teacher → knowledge base → students', () => {
  it('the default teacher reaches the reward threshold (475)', () => {
    expect(t.teacherReturn).toBeGreaterThanOrEqual(475);
  });

  // Measured: 1.000 / 0.980 / 0.999 (agreement 0.84 / 0.94 / 0.91).
  it('supervised distillation (Rusu KL, τ 0.01), 8-8 student, 4000 updates: median normalised score ≥ 0.95', async () => {
    const reports = [];
    for (const seed of SEEDS) reports.push(await distilled(t, { hiddenSizes: [8, 8], method: 'supervised', steps: 4000 }, seed));
    const scores = reports.map((r) => r.normalizedScore);
    expect(reports[0].paramRatio).toBeLessThanOrEqual(0.03);
    expect(median(scores)).toBeGreaterThanOrEqual(0.95);
    expect(median(reports.map((r) => r.agreement!))).toBeGreaterThan(0.8);
  }, 300_000);

  // Measured: 1.000 / 1.000 / 1.000; radius 0.251 (auto); mask rate 0.41 / 0.17 / 0.52. With Rusu's kl instead of
  // the default kl-two-sided (a hard loss is in play) the same runs scored 0.17 / 0.20 / 0.21.
  it('retrieval-based online transfer, α linear 0 → 0.5, auto (finite) radius, 8-8 student, 20k env steps: median ≥ 0.95', async () => {
    const reports = [];
    for (const seed of SEEDS) {
      reports.push(await distilled(t, { hiddenSizes: [8, 8], method: 'retrieval', mode: 'online', alphaSchedule: 'linear', alpha: 0, alphaEnd: 0.5, steps: 20_000 }, seed));
    }
    const scores = reports.map((r) => r.normalizedScore);
    for (const r of reports) {
      expect(r.retrieval!.radiusRule).toBe('auto');
      expect(Number.isFinite(r.retrieval!.radius)).toBe(true);
      // The radius binds: some of the student's states get no target, most do.
      expect(r.retrieval!.maskRate).toBeGreaterThan(0);
      expect(r.retrieval!.maskRate).toBeLessThan(0.8);
    }
    expect(median(scores)).toBeGreaterThanOrEqual(0.95);
  }, 400_000);
});
