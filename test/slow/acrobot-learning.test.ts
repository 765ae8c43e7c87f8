/**
 * Long learning test, opt-in: `npm run test:slow` (DISTILL_SLOW=1; a few minutes on 2 cores).
 * The Acrobot pipeline: the default teacher reaches the reward threshold (−100), and 12-12 students with under
 * 7% of its parameters, distilled by supervised distillation from its knowledge base, keep a median normalised
 * score ≥ 0.95 over 3 seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinBackend } from '../helpers.ts';
import { defaultTeacher, distilled, median, type TrainedTeacher } from '../pipeline.ts';

const slow = process.env.DISTILL_SLOW === '1';
let t: TrainedTeacher;

describe.skipIf(!slow)('slow learning: Acrobot-v1 teacher → knowledge base → students (DISTILL_SLOW=1)', () => {
  beforeAll(async () => {
    await pinBackend();
    t = await defaultTeacher('Acrobot-v1');
  }, 900_000);
  afterAll(() => t?.network.dispose());

  it('teacher ≥ −100; supervised 12-12 students (≤ 7% of the parameters): median normalised score ≥ 0.95 over 3 seeds', async () => {
    expect(t.teacherReturn).toBeGreaterThanOrEqual(-100);
    const reports = [];
    for (const seed of [1, 2, 3]) reports.push(await distilled(t, { hiddenSizes: [12, 12], method: 'supervised', steps: 4000 }, seed));
    expect(reports[0].paramRatio).toBeLessThanOrEqual(0.07);
    expect(median(reports.map((r) => r.normalizedScore))).toBeGreaterThanOrEqual(0.95);
  }, 900_000);
});
