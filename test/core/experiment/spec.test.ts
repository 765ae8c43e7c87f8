import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPEC_VERSION, SpecError, parseExperimentSpec, upgradeSpecV1 } from '../../../core/experiment/spec.ts';

const example = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../examples/cartpole-distillation.json'), 'utf8'));

function issues(input: unknown): readonly { path: string; message: string }[] {
  try {
    parseExperimentSpec(input, 'x.json');
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).issues;
  }
  throw new Error('expected the spec to be rejected');
}

describe('experiment specs', () => {
  it('the shipped example is valid and fills defaults', () => {
    const spec = parseExperimentSpec(example);
    expect(spec.students).toHaveLength(2);
    expect(spec.teacher).toEqual({ train: { preset: 'default', seed: 1, overrides: {} } });
    const minimal = parseExperimentSpec({ version: 2, name: 'm', env: 'Acrobot-v1', teacher: { model: 'runs/t' }, baselines: false });
    expect(minimal.seeds).toEqual([1]);
    expect(minimal.knowledgeBase).toEqual({ steps: 20_000, epsilon: 0.05, seed: 1 });
    expect(minimal.evaluation).toEqual({ episodes: 20, replays: 2 });
  });

  it('names every offending field', () => {
    const bad = {
      ...example,
      env: 'Pong-v5',
      students: [{ hiddenSizes: [8, 0], alpha: 1.5, tau: 0 }, { hiddenSizes: [4], mode: 'online', alpha: 0.5, hardLoss: 'mc' }],
      seeds: [],
    };
    const found = issues(bad);
    const paths = found.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['env', 'students.0.hiddenSizes.1', 'students.0.alpha', 'students.0.tau', 'seeds']));
    expect(issues({ ...example, students: [{ hiddenSizes: [4], mode: 'online', alpha: 0.5, hardLoss: 'mc' }] }).map((i) => i.path)).toContain('students.0.hardLoss');
    // A field without effect in the student's method and mode is an error naming it.
    expect(issues({ ...example, students: [{ hiddenSizes: [4], method: 'supervised', k: 4 }] })).toEqual([{ path: 'students.0.k', message: expect.stringMatching(/^has no effect here: only retrieval reads k/) }]);
    expect(issues({ ...example, students: [{ hiddenSizes: [4], method: 'retrieval', mode: 'offline' }] }).map((i) => i.path)).toEqual(['students.0.mode']);
    expect(issues({ ...example, baselines: { steps: 100, budgetFactor: 3 } }).map((i) => i.path)).toEqual(['baselines.budgetFactor']);
    expect(issues({ ...example, teacher: { train: { presett: 'zoo' } } }).length).toBeGreaterThan(0);
    expect(issues({ ...example, colour: 'blue' }).map((i) => i.message).join()).toMatch(/colour/);
  });

  it('refuses a spec from a newer version with a message that says so', () => {
    expect(() => parseExperimentSpec({ ...example, version: SPEC_VERSION + 1 }, 'new.json')).toThrow(/new\.json: spec version 3 is newer than this studio reads \(2\)/);
  });

  it('reads version 1: source becomes the method, fields v1 ignored are dropped, radius null becomes auto', () => {
    const v1 = {
      version: 1,
      name: 'old',
      env: 'CartPole-v1',
      teacher: { train: { preset: 'default', seed: 1 } },
      students: [
        { hiddenSizes: [8, 8], source: 'kb', mode: 'offline', k: 4, radius: 0.5, numEnvs: 8, softLoss: 'mse', tau: 0.01, steps: 5000 },
        { hiddenSizes: [8, 8], source: 'kb', mode: 'online', radius: null, alpha: 0.5, targetUpdateInterval: 500 },
        { hiddenSizes: [4], source: 'teacher', alpha: 0 },
      ],
    };
    const spec = parseExperimentSpec(v1);
    expect(spec.version).toBe(2);
    expect(spec.students[0]).toEqual({ hiddenSizes: [8, 8], method: 'supervised', mode: 'offline', softLoss: 'mse', steps: 5000, maxGradNorm: 0 });
    expect(spec.students[1]).toMatchObject({ method: 'retrieval', mode: 'online', alpha: 0.5, hardError: 'mse', maxGradNorm: 0, targetUpdateInterval: 2000 });
    expect(spec.students[1]).not.toHaveProperty('radius');
    expect(spec.students[2]).toMatchObject({ method: 'teacher', mode: 'offline' });
    expect(upgradeSpecV1({ version: 1, students: [] })).toMatchObject({ version: 2, students: [] });
  });
});
