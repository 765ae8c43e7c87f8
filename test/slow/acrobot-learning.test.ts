/**
 * Long learning test, opt-in: DISTILL_SLOW=1 npx vitest run test/slow (about 2–3 minutes on 2 cores).
 * The Acrobot pipeline: the default teacher reaches the reward threshold (−100) and a 12-12 student with under
 * 7% of its parameters, distilled offline from its knowledge base, keeps a normalised score ≥ 0.95.
 */
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../core/dqn/presets.ts';
import { trainTeacher } from '../../core/dqn/train-teacher.ts';
import { parseStudentConfig, studentDefaults } from '../../core/distill/config.ts';
import { evaluateRandomPolicy, reportStudent } from '../../core/distill/report.ts';
import { trainStudent } from '../../core/distill/train-student.ts';
import { episodeSeeds, evaluatePolicy } from '../../core/eval/evaluate.ts';
import { extractKnowledge } from '../../core/kb/extract.ts';
import { useBackend } from '../helpers.ts';

const slow = process.env.DISTILL_SLOW === '1';
if (slow) await useBackend();

describe.skipIf(!slow)('slow learning: Acrobot-v1 teacher → knowledge base → student (DISTILL_SLOW=1)', () => {
  it('teacher ≥ −100, 12-12 student ≥ 0.95 normalised score with ≤ 7% of the parameters', async () => {
    const teacher = await trainTeacher({ ...presetConfig('Acrobot-v1', 'default'), env: 'Acrobot-v1', seed: 1 });
    const seeds = episodeSeeds(20);
    const teacherReturn = evaluatePolicy('Acrobot-v1', (o, b) => teacher.network.act(o, b), seeds).mean;
    expect(teacherReturn).toBeGreaterThanOrEqual(-100);
    const kb = extractKnowledge(teacher.network, { env: 'Acrobot-v1', steps: 20_000, seed: 1, epsilon: 0.05, teacherSource: 'test' });
    const randomReturn = evaluateRandomPolicy('Acrobot-v1', seeds).mean;
    const config = parseStudentConfig({ ...studentDefaults('Acrobot-v1', 'offline'), hiddenSizes: [12, 12], steps: 4000, env: 'Acrobot-v1', seed: 1 });
    const student = await trainStudent({ config, kb, teacher: teacher.network, teacherReturn, randomReturn });
    const report = reportStudent({ env: 'Acrobot-v1', student: student.network, seeds, teacherReturn, randomReturn, teacherParams: teacher.network.paramCount, kb, heldOutRows: student.heldOutRows });
    expect(report.paramRatio).toBeLessThanOrEqual(0.07);
    expect(report.normalizedScore).toBeGreaterThanOrEqual(0.95);
    teacher.network.dispose();
    student.network.dispose();
  }, 900_000);
});
