import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError, parseExperimentSpec } from '../../../core/experiment/spec.ts';

const example = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../examples/cartpole-distillation.json'), 'utf8'));

function issues(input: unknown): { path: string; message: string }[] {
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
    const minimal = parseExperimentSpec({ version: 1, name: 'm', env: 'Acrobot-v1', teacher: { model: 'runs/t' }, baselines: false });
    expect(minimal.seeds).toEqual([1]);
    expect(minimal.knowledgeBase).toEqual({ steps: 20_000, epsilon: 0.05, seed: 1 });
    expect(minimal.evaluation).toEqual({ episodes: 20, replays: 2 });
  });

  it('names every offending field', () => {
    const bad = {
      ...example,
      env: 'Pong-v5',
      students: [{ hiddenSizes: [8, 0], alpha: 1.5, tau: 0 }, { hiddenSizes: [4], mode: 'online', hardLoss: 'mc' }],
      seeds: [],
    };
    const found = issues(bad);
    const paths = found.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['env', 'students.0.hiddenSizes.1', 'students.0.alpha', 'students.0.tau', 'seeds']));
    expect(issues({ ...example, students: [{ hiddenSizes: [4], mode: 'online', hardLoss: 'mc' }] }).map((i) => i.path)).toContain('students.0.hardLoss');
    expect(issues({ ...example, teacher: { train: { presett: 'zoo' } } }).length).toBeGreaterThan(0);
    expect(issues({ ...example, colour: 'blue' }).map((i) => i.message).join()).toMatch(/colour/);
  });

  it('refuses a spec from a newer version with a message that says so', () => {
    expect(() => parseExperimentSpec({ ...example, version: 2 }, 'new.json')).toThrow(/new\.json: spec version 2 is newer than this studio reads \(1\)/);
  });
});
