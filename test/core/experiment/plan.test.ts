import { describe, expect, it } from 'vitest';
import { planExperiment } from '../../../core/experiment/plan.ts';
import { parseExperimentSpec } from '../../../core/experiment/spec.ts';

describe('planExperiment', () => {
  const spec = parseExperimentSpec({
    version: 1,
    name: 'p',
    env: 'Acrobot-v1',
    teacher: { train: { preset: 'zoo', seed: 4, overrides: { totalSteps: 1234 } } },
    knowledgeBase: { steps: 5000 },
    students: [
      { hiddenSizes: [8, 8], mode: 'offline', steps: 3000 },
      { hiddenSizes: [8, 8], mode: 'online', steps: 7000, alpha: 0.5 },
      { hiddenSizes: [4], mode: 'offline' },
    ],
    seeds: [1, 2],
  });
  const plan = planExperiment(spec);

  it('one teacher from its preset with overrides, students per seed, baselines per size and seed', () => {
    expect(plan.teacher.config).toMatchObject({ env: 'Acrobot-v1', seed: 4, totalSteps: 1234, hiddenSizes: [256, 256] });
    expect(plan.students).toHaveLength(6);
    expect(plan.students.map((s) => s.config.seed)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(plan.students[1].config).toMatchObject({ mode: 'online', steps: 7000, alpha: 0.5, env: 'Acrobot-v1' });
    expect(plan.baselines.map((b) => [b.config.hiddenSizes.join('-'), b.config.seed])).toEqual([['8-8', 1], ['8-8', 2], ['4', 1], ['4', 2]]);
  });

  it("a baseline's env-step budget is what its size's students took from the environment", () => {
    expect(plan.baselines[0].config.totalSteps).toBe(5000 + 7000); // KB + the online student's own steps
    expect(plan.baselines[2].config.totalSteps).toBe(5000); // offline only: the KB's transitions
  });
});
