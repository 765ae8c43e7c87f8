import { describe, expect, it } from 'vitest';
import { parseStudentConfig, studentDefaults } from '../../../core/distill/config.ts';
import { trainStudent } from '../../../core/distill/train-student.ts';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import { useBackend } from '../../helpers.ts';
import { teacherToStudent } from '../../pipeline.ts';

await useBackend();

// The pipeline end to end, on CartPole: a teacher that reaches the reward threshold, its knowledge base, and a
// student with under 3% of its parameters that matches it (normalised score ≥ 0.95) on the test seeds.
describe('learning: teacher → knowledge base → student (CartPole-v1)', () => {
  it('the default teacher reaches 475 and an 8-8 student distilled offline from its KB reaches 0.95', async () => {
    const { teacherReturn, report } = await teacherToStudent('CartPole-v1', [8, 8]);
    expect(teacherReturn).toBeGreaterThanOrEqual(475);
    expect(report.paramRatio).toBeLessThanOrEqual(0.07);
    expect(report.normalizedScore).toBeGreaterThanOrEqual(0.95);
    expect(report.agreement).toBeGreaterThan(0.8);
  }, 400_000);
});

describe('student checkpoints', () => {
  it('an online student resumes from a checkpoint with continuous counters, deterministically', async () => {
    const { QNetwork } = await import('../../../core/nn/q-network.ts');
    const { Rng } = await import('../../../core/util/rng.ts');
    const teacher = QNetwork.create({ inputSize: 4, hiddenSizes: [8], outputSize: 2 }, new Rng(1));
    const kb = extractKnowledge(teacher, { env: 'CartPole-v1', steps: 800, seed: 1, teacherSource: 'test' });
    const config = parseStudentConfig({ ...studentDefaults('CartPole-v1', 'online'), hiddenSizes: [4], steps: 1200, learningStarts: 100, evalEvery: 400, evalEpisodes: 2, alphaSchedule: 'linear', alpha: 0, alphaEnd: 1, env: 'CartPole-v1', seed: 3 });
    const checkpoints: import('../../../core/distill/train-student.ts').StudentCheckpoint[] = [];
    const full = await trainStudent({ config, kb, teacher, teacherReturn: 100, randomReturn: 10 }, { checkpointEvery: 500, onStudentCheckpoint: (c) => void checkpoints.push(c) });
    expect(checkpoints.map((c) => c.budget)).toEqual([500, 1000]);
    expect(checkpoints[0].replay?.buffer.filled).toBe(500);
    const a = await trainStudent({ config, kb, teacher, teacherReturn: 100, randomReturn: 10 }, {}, checkpoints[0]);
    const b = await trainStudent({ config, kb, teacher, teacherReturn: 100, randomReturn: 10 }, {}, structuredClone(checkpoints[0]));
    expect(a.gradientSteps).toBe(full.gradientSteps);
    expect(a.evaluations.map((e) => e.step)).toEqual([400, 800, 1200]);
    expect(a.network.getWeights()).toEqual(b.network.getWeights());
    for (const n of [teacher, full.network, a.network, b.network]) n.dispose();
  });
});
