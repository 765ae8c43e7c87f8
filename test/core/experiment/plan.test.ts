import { describe, expect, it } from 'vitest';
import { planExperiment } from '../../../core/experiment/plan.ts';
import { parseExperimentSpec } from '../../../core/experiment/spec.ts';

describe('planExperiment', () => {
  const spec = parseExperimentSpec({
    version: 2,
    name: 'p',
    env: 'Acrobot-v1',
    teacher: { train: { preset: 'zoo', seed: 4, overrides: { totalSteps: 1234 } } },
    knowledgeBase: { steps: 5000 },
    students: [
      { hiddenSizes: [8, 8], method: 'supervised', steps: 3000 },
      { hiddenSizes: [8, 8], method: 'retrieval', steps: 7000, alpha: 0.5 },
      { hiddenSizes: [4], method: 'supervised' },
      { hiddenSizes: [2], method: 'teacher', mode: 'online', steps: 3000 },
    ],
    seeds: [1, 2],
  });
  const plan = planExperiment(spec);

  it('one teacher from its preset with overrides, students per seed, baselines per size and seed', () => {
    expect(plan.teacher.config).toMatchObject({ env: 'Acrobot-v1', seed: 4, totalSteps: 1234, hiddenSizes: [256, 256] });
    expect(plan.students).toHaveLength(8);
    expect(plan.students.map((s) => s.config.seed)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(plan.students[1].config).toMatchObject({ method: 'retrieval', mode: 'online', steps: 7000, alpha: 0.5, env: 'Acrobot-v1' });
    expect(plan.students[1].name).toBe('8-8 retrieval online α=0.5 · seed 1');
    expect(plan.baselines.map((b) => [b.config.hiddenSizes.join('-'), b.config.seed])).toEqual([['8-8', 1], ['8-8', 2], ['4', 1], ['4', 2], ['2', 1], ['2', 2]]);
    expect(plan.baselines.every((b) => b.stopAtScore === null)).toBe(true);
  });

  it("a baseline's env-step budget is what its size's students took from the environment", () => {
    expect(plan.baselines[0].config.totalSteps).toBe(5000 + 7000); // KB + the online student's own steps
    expect(plan.baselines[2].config.totalSteps).toBe(5000); // offline only: the KB's transitions
    expect(plan.baselines[4].config.totalSteps).toBe(3000); // the live-teacher online student used no KB
  });

  it("baselines follow the default preset (3-step returns) unless overrides change the recipe, e.g. one-step like an α = 1 student's TD loss", () => {
    expect(plan.baselines[0].config.nStep).toBe(3);
    const p = planExperiment(parseExperimentSpec({ version: 2, name: 'o', env: 'CartPole-v1', teacher: { model: 'm' }, knowledgeBase: { steps: 1000 }, students: [{ hiddenSizes: [4], method: 'supervised' }], baselines: { overrides: { nStep: 1, evalEvery: 700 } } }));
    expect(p.baselines[0].config).toMatchObject({ nStep: 1, evalEvery: 700, hiddenSizes: [4], totalSteps: 1000 });
    expect(() => parseExperimentSpec({ version: 2, name: 'o', env: 'CartPole-v1', teacher: { model: 'm' }, students: [{ hiddenSizes: [4] }], baselines: { overrides: { hiddenSizes: [9] } } })).toThrow(/baselines\.overrides/);
  });

  it('baselines can get a multiple of that budget and stop at a normalised score', () => {
    const p = planExperiment(parseExperimentSpec({ version: 2, name: 'q', env: 'CartPole-v1', teacher: { model: 'm' }, knowledgeBase: { steps: 1000 }, students: [{ hiddenSizes: [4], method: 'retrieval', steps: 2000 }], baselines: { budgetFactor: 10, stopAtScore: 0.95 } }));
    expect(p.baselines[0].config.totalSteps).toBe(30_000);
    expect(p.baselines[0].config.evalEvery).toBe(2500);
    expect(p.baselines[0].stopAtScore).toBe(0.95);
  });
});
