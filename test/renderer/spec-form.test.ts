import { describe, expect, it } from 'vitest';
import { ExperimentSpecSchema } from '../../electron/api/contract.ts';
import { checkSpec, issueAt, mlpParams, parseFieldText, studentFieldApplies, teacherSize } from '../../renderer/lib/spec-form.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const example = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../examples/cartpole-distillation.json'), 'utf8'));

describe('designer validation', () => {
  it('uses the CLI schema: the example spec is valid and parses to what the CLI would run', () => {
    const c = checkSpec(example);
    expect(c.ok).toBe(true);
    expect(c.spec).toEqual(ExperimentSpecSchema.parse(example));
  });

  it('reports each problem at its dotted field path, and a list field shows its element issue', () => {
    const bad = { ...example, name: '', students: [{ ...example.students[0], alpha: 1.5, hiddenSizes: [8, -1] }] };
    const c = checkSpec(bad);
    expect(c.ok).toBe(false);
    expect(c.issues.get('name')).toMatch(/>=1|at least|too small/i);
    expect(c.issues.get('students.0.alpha')).toMatch(/<=1|too big/i);
    expect(issueAt(c.issues, 'students.0.hiddenSizes')).toMatch(/^1: /);
    expect(issueAt(c.issues, 'students.0.tau')).toBeNull();
  });

  it('refuses a cross-field mistake with the schema message (mc hard loss needs offline data)', () => {
    const c = checkSpec({ ...example, students: [{ hiddenSizes: [8], hardLoss: 'mc', mode: 'online' }] });
    expect(c.issues.get('students.0.hardLoss')).toMatch(/offline/);
  });
});

describe('field text', () => {
  const int = { name: 'steps', kind: 'integer', nullable: false } as const;
  const sizes = { name: 'hiddenSizes', kind: 'integer-list', nullable: false } as const;
  const seeds = { name: 'seeds', kind: 'integer-list', nullable: false } as const;

  it('parses numbers, keeps typos as text with a message, and treats empty as "not set"', () => {
    expect(parseFieldText(int, ' 20_000 ')).toEqual({ ok: true, value: 20000 });
    expect(parseFieldText(int, '')).toEqual({ ok: true, value: undefined });
    expect(parseFieldText(int, '12a')).toEqual({ ok: false, message: 'Enter a number', value: '12a' });
    expect(parseFieldText(int, '1.5')).toMatchObject({ ok: false, message: 'Enter a whole number' });
  });

  it('reads network sizes as the studio prints them, other lists with commas only', () => {
    expect(parseFieldText(sizes, '64-64')).toEqual({ ok: true, value: [64, 64] });
    expect(parseFieldText(sizes, '32x16')).toEqual({ ok: true, value: [32, 16] });
    expect(parseFieldText(seeds, '1, 2 3')).toEqual({ ok: true, value: [1, 2, 3] });
    expect(parseFieldText(seeds, '1-3')).toMatchObject({ ok: false });
  });
});

describe('sizes', () => {
  it('counts MLP weights and biases: CartPole 4→64→64→2 has 4,610 parameters', () => {
    expect(mlpParams(4, [64, 64], 2)).toBe(5 * 64 + 65 * 64 + 65 * 2);
    expect(mlpParams(4, [64, 64], 2)).toBe(4610);
    expect(mlpParams(4, [], 2)).toBe(10);
  });

  it('sizes the teacher from its preset, its overrides, or the stored model', () => {
    const catalog = {
      envs: [{ id: 'CartPole-v1', observationSize: 4, actionCount: 2 }],
      presets: { 'CartPole-v1': { default: { hiddenSizes: [64, 64] } } },
    } as never;
    expect(teacherSize(catalog, { env: 'CartPole-v1', teacher: { train: { preset: 'default', overrides: {} } } }, []).params).toBe(4610);
    expect(teacherSize(catalog, { env: 'CartPole-v1', teacher: { train: { preset: 'default', overrides: { hiddenSizes: [8] } } } }, []).hiddenSizes).toEqual([8]);
    expect(teacherSize(catalog, { env: 'CartPole-v1', teacher: { modelId: 3 } }, [{ id: 3, params: 999, hiddenSizes: [10] }]).params).toBe(999);
  });
});

describe('student row relevance', () => {
  it('shows online-only fields online, τ except for mse, α end for a linear schedule', () => {
    expect(studentFieldApplies('numEnvs', { mode: 'offline' }, {})).toBe(false);
    expect(studentFieldApplies('numEnvs', {}, { mode: 'online' })).toBe(true);
    expect(studentFieldApplies('tau', { softLoss: 'mse' }, {})).toBe(false);
    expect(studentFieldApplies('softActions', { softLoss: 'mse' }, {})).toBe(true);
    expect(studentFieldApplies('alphaEnd', { alphaSchedule: 'linear' }, {})).toBe(true);
    expect(studentFieldApplies('alphaEnd', {}, { alphaSchedule: 'constant' })).toBe(false);
  });
});
