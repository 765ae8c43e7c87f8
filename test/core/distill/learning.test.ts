import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../../core/dqn/presets.ts';
import { trainTeacher } from '../../../core/dqn/train-teacher.ts';
import { parseStudentConfig, studentDefaults } from '../../../core/distill/config.ts';
import { evaluateRandomPolicy, reportStudent } from '../../../core/distill/report.ts';
import { trainStudent } from '../../../core/distill/train-student.ts';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import { useBackend } from '../../helpers.ts';

await useBackend();

// The pipeline end to end, on CartPole: a teacher that reaches the reward threshold, its knowledge base, and a
// student with under 3% of its parameters that matches it (normalised score ≥ 0.95) on the test seeds.
describe('learning: teacher → knowledge base → student (CartPole-v1)', () => {
  it('the default teacher reaches 475 and an 8-8 student distilled offline from its KB reaches 0.95', async () => {
    const teacher = await trainTeacher({ ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed: 1 });
    const seeds = episodeSeeds(20);
    const teacherReturn = evaluatePolicy('CartPole-v1', (o, b) => teacher.network.act(o, b), seeds).mean;
    expect(teacherReturn).toBeGreaterThanOrEqual(475);

    const kb = extractKnowledge(teacher.network, { env: 'CartPole-v1', steps: 20_000, seed: 1, epsilon: 0.05, teacherSource: 'test' });
    const randomReturn = evaluateRandomPolicy('CartPole-v1', seeds).mean;
    const config = parseStudentConfig({ ...studentDefaults('CartPole-v1', 'offline'), hiddenSizes: [8, 8], steps: 4000, env: 'CartPole-v1', seed: 1 });
    const student = await trainStudent({ config, kb, teacher: teacher.network, teacherReturn, randomReturn });
    const report = reportStudent({ env: 'CartPole-v1', student: student.network, seeds, teacherReturn, randomReturn, teacherParams: teacher.network.paramCount, kb, heldOutRows: student.heldOutRows });
    expect(report.paramRatio).toBeLessThanOrEqual(0.07);
    expect(report.normalizedScore).toBeGreaterThanOrEqual(0.95);
    expect(report.agreement).toBeGreaterThan(0.8);
    teacher.network.dispose();
    student.network.dispose();
  }, 400_000);
});
