/**
 * Long learning test, opt-in: DISTILL_SLOW=1 npx vitest run test/slow (about 2–3 minutes on 2 cores).
 * The Acrobot pipeline: the default teacher reaches the reward threshold (−100) and a 12-12 student with under
 * 7% of its parameters, distilled offline from its knowledge base, keeps a normalised score ≥ 0.95.
 */
import { describe, expect, it } from 'vitest';
import { useBackend } from '../helpers.ts';
import { teacherToStudent } from '../pipeline.ts';

const slow = process.env.DISTILL_SLOW === '1';
if (slow) await useBackend();

describe.skipIf(!slow)('slow learning: Acrobot-v1 teacher → knowledge base → student (DISTILL_SLOW=1)', () => {
  it('teacher ≥ −100, 12-12 student ≥ 0.95 normalised score with ≤ 7% of the parameters', async () => {
    const { teacherReturn, report } = await teacherToStudent('Acrobot-v1', [12, 12]);
    expect(teacherReturn).toBeGreaterThanOrEqual(-100);
    expect(report.paramRatio).toBeLessThanOrEqual(0.07);
    expect(report.normalizedScore).toBeGreaterThanOrEqual(0.95);
  }, 900_000);
});
