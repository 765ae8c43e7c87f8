import { describe, expect, it } from 'vitest';
import { ExperimentSpecSchema } from '../../electron/api/contract.ts';
import { checkSpec, fillRowDefaults, humanMessage, issueAt, mlpParams, newStudent, parseFieldText, pathLabel, setStudentField, studentFieldApplies, teacherSize } from '../../renderer/lib/spec-form.ts';
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
    expect(c.issues.get('name')).toBe('must not be empty');
    expect(c.issues.get('students.0.alpha')).toBe('must be ≤ 1');
    expect(issueAt(c.issues, 'students.0.hiddenSizes')).toMatch(/^1: /);
    expect(issueAt(c.issues, 'students.0.tau')).toBeNull();
  });

  it('refuses a cross-field mistake with the schema message (mc hard loss needs offline data)', () => {
    const c = checkSpec({ ...example, students: [{ hiddenSizes: [8], alpha: 0.5, hardLoss: 'mc', mode: 'online' }] });
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
  it('follows the schema: online-only fields online, τ for the kl losses, α end for a linear schedule, k and radius for retrieval', () => {
    expect(studentFieldApplies('numEnvs', { mode: 'offline' }, {})).toBe(false);
    expect(studentFieldApplies('numEnvs', {}, { mode: 'online' })).toBe(true);
    expect(studentFieldApplies('tau', { softLoss: 'mse' }, {})).toBe(false);
    expect(studentFieldApplies('softActions', { softLoss: 'mse' }, {})).toBe(true);
    expect(studentFieldApplies('alphaEnd', { alphaSchedule: 'linear' }, {})).toBe(true);
    expect(studentFieldApplies('alphaEnd', {}, { alphaSchedule: 'constant' })).toBe(false);
    expect(studentFieldApplies('radius', { method: 'retrieval', mode: 'online' }, {})).toBe(true);
    expect(studentFieldApplies('radius', { method: 'supervised', mode: 'offline' }, {})).toBe(false);
    expect(studentFieldApplies('softLoss', { alpha: 1, alphaSchedule: 'constant' }, {})).toBe(false);
    expect(studentFieldApplies('hardLoss', { alpha: 0, alphaSchedule: 'constant' }, {})).toBe(false);
  });
});

describe('student rows', () => {
  const offline = { method: 'supervised', mode: 'offline', steps: 10000, evalEvery: 1000, alpha: 0, alphaSchedule: 'constant', alphaEnd: 0, tau: 0.01, softLoss: 'kl' };
  const online = { method: 'retrieval', mode: 'online', steps: 30000, evalEvery: 3000, alpha: 0, alphaSchedule: 'constant', alphaEnd: 0, tau: 0.01, softLoss: 'kl' };
  const catalog = {
    studentDefaults: {
      offline,
      online,
      'supervised/offline': offline,
      'retrieval/online': online,
      'teacher/offline': { ...offline, method: 'teacher' },
      'teacher/online': { ...online, method: 'teacher' },
    },
  } as never;

  it('fills the first-line fields that apply with the method and mode defaults, leaving the others unset', () => {
    const row = fillRowDefaults(catalog, { hiddenSizes: [8, 8], mode: 'online', tau: 0.5 });
    expect(row).toEqual({ hiddenSizes: [8, 8], method: 'retrieval', mode: 'online', tau: 0.5, steps: 30000, alpha: 0, alphaSchedule: 'constant', softLoss: 'kl' });
    expect(row.alphaEnd).toBeUndefined();
    expect(newStudent(catalog, 'offline', [4]).steps).toBe(10000);
  });

  it('moves a budget left at the old mode default to the new mode default, and keeps a chosen one', () => {
    const row: Record<string, unknown> = { mode: 'offline', steps: 10000 };
    setStudentField(catalog, row, 'mode', 'online');
    expect(row).toMatchObject({ mode: 'online', method: 'retrieval', steps: 30000 });
    const chosen: Record<string, unknown> = { mode: 'offline', steps: 500 };
    setStudentField(catalog, chosen, 'mode', 'online');
    expect(chosen.steps).toBe(500);
    setStudentField(catalog, chosen, 'steps', undefined);
    expect(chosen.steps).toBe(30000); // refilled: the row shows what will run
  });

  it('keeps method and data mode compatible, and the soft loss follows its default when a hard loss appears', () => {
    const row = newStudent(catalog, 'offline', [8]);
    setStudentField(catalog, row, 'method', 'retrieval');
    expect(row).toMatchObject({ method: 'retrieval', mode: 'online' });
    setStudentField(catalog, row, 'mode', 'offline');
    expect(row).toMatchObject({ method: 'supervised', mode: 'offline' });
    expect(row.softLoss).toBe('kl');
    setStudentField(catalog, row, 'alpha', 0.5);
    expect(row.softLoss).toBe('kl-two-sided');
    setStudentField(catalog, row, 'alpha', 1);
    expect(row.softLoss).toBeUndefined(); // no soft loss at α = 1: the schema would refuse the field
    expect(row.tau).toBeUndefined();
  });
});

describe('messages at fields', () => {
  it('shortens the schema messages for a form cell and names paths for people', () => {
    const c = checkSpec({ ...example, name: '', seeds: [], students: [{ hiddenSizes: [8], alpha: 2, tau: 0, softLoss: 'x', steps: 'a', k: 1.5 }] });
    expect(Object.fromEntries(c.issues)).toMatchObject({
      name: 'must not be empty',
      seeds: 'needs at least one value',
      'students.0.alpha': 'must be ≤ 1',
      'students.0.tau': 'must be > 0',
      'students.0.softLoss': 'must be one of kl, kl-two-sided, mse, nll',
      'students.0.steps': 'must be a number',
      'students.0.k': 'must be a whole number',
    });
    expect(humanMessage('something else')).toBe('something else');
    expect(pathLabel('students.0.alpha')).toBe('Student 1 · alpha');
    expect(pathLabel('teacher.train.overrides.learningRate')).toBe('Teacher · learningRate');
    expect(pathLabel('knowledgeBase.steps')).toBe('Knowledge base · steps');
    expect(pathLabel('seeds')).toBe('seeds');
  });
});
