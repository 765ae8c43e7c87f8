import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'distill-studio.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DISTILL_BACKEND: '', DISTILL_DB: path.join(tmp, 'studio.db') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('distill-studio CLI', () => {
  const model = path.join(tmp, 'teacher');

  it('train-teacher trains, evaluates, saves and prints a JSON summary', () => {
    const r = cli('train-teacher', '--env', 'CartPole-v1', '--seed', '1', '--steps', '1500', '--eval-episodes', '3', '--out', model, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout);
    for (const k of ['env', 'seed', 'backend', 'params', 'envSteps', 'wallSeconds', 'evalMean', 'evalStd', 'model']) expect(s).toHaveProperty(k);
    expect(s).toMatchObject({ env: 'CartPole-v1', seed: 1, envSteps: 1500, params: 4610, model, evalEpisodes: 3 });
    expect(['wasm+fused', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(s.backend);
    // Stored in the database too.
    expect(s.db).toBe(path.join(tmp, 'studio.db'));
    const runs = lastJson(cli('runs', '--json').stdout).runs;
    expect(runs.find((r: { id: number }) => r.id === s.runId)).toMatchObject({ role: 'teacher', status: 'completed', evalMean: s.evalMean });
    expect(fs.readdirSync(model).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
  });

  it('eval evaluates a saved bundle with the same keys', () => {
    const r = cli('eval', '--model', model, '--episodes', '4', '--json');
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout);
    expect(s).toMatchObject({ env: 'CartPole-v1', seed: 1, params: 4610, model, evalEpisodes: 4 });
    for (const k of ['backend', 'envSteps', 'wallSeconds', 'evalMean', 'evalStd']) expect(s).toHaveProperty(k);
    // Greedy evaluation on the fixed test seeds is deterministic.
    expect(lastJson(cli('eval', '--model', model, '--episodes', '4', '--json').stdout).evalMean).toBe(s.evalMean);
  });

  it.each([
    [['--env', 'CartPole-v1', '--seed', '1', '--steps', 'abc'], /--steps must be a positive integer/],
    [['--env', 'CartPole-v1', '--seed', '1', '--steps', '-5'], /--steps must be a positive integer \(at most 1000000000\), got "-5"/],
    [['--env', 'CartPole-v1', '--seed=-3'], /--seed must be an integer in \[0, /],
    [['--env', 'CartPole-v1', '--seed', '-3'], /--seed must be an integer in \[0, 2147483647\], got "-3"/],
    [['--env', 'Pong-v5', '--seed', '1'], /--env must be one of CartPole-v1, Acrobot-v1, MountainCar-v0, got "Pong-v5"/],
    [['--env', 'CartPole-v1'], /--seed is required/],
    [['--env', 'CartPole-v1', '--seed', '1', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['--env', 'CartPole-v1', '--seed', '1', '--preset', 'fast'], /--preset must be one of default, zoo, cleanrl/],
    [['--env', 'CartPole-v1', '--seed', '1', '--backend', 'tpu'], /--backend must be one of/],
  ])('train-teacher usage errors name the flag, exit 2 and write nothing: %s', (args, message) => {
    const out = path.join(tmp, 'should-not-exist');
    const r = cli('train-teacher', ...args, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Usage: distill-studio train-teacher/);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('eval reports a missing or corrupt bundle by file', () => {
    expect(cli('eval', '--model', path.join(tmp, 'nope')).stderr).toMatch(/--model: no bundle folder/);
    const broken = path.join(tmp, 'broken');
    fs.cpSync(model, broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'weights.bin'), 'xx');
    const r = cli('eval', '--model', broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/weights\.bin: expected \d+ bytes/);
  });

  it('unknown commands list the known ones', () => {
    const r = cli('trian');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "trian"; known: train-teacher, eval, extract, distill, baseline, sweep/);
  });
});

describe('distillation commands', () => {
  const teacher = path.join(tmp, 'teacher'); // trained above
  const kb = path.join(tmp, 'cp.dskb');
  const acrobotKb = path.join(tmp, 'acrobot.dskb');

  it('extract writes a knowledge base and summarises it', () => {
    const r = cli('extract', '--teacher', teacher, '--steps', '600', '--seed', '2', '--out', kb, '--json');
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout);
    expect(s).toMatchObject({ env: 'CartPole-v1', size: 600, kb, epsilon: 0.05 });
    expect(s.actionMix.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 3);
    expect(fs.statSync(kb).size).toBeGreaterThan(600 * 4 * 4);
  });

  it.each(['offline', 'online'])('distill (%s) trains, reports and saves a student', (mode) => {
    const out = path.join(tmp, `student-${mode}`);
    const r = cli('distill', '--teacher', teacher, '--kb', kb, '--student', '4,4', '--seed', '1', '--mode', mode, '--steps', '300', '--eval-episodes', '3', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout);
    for (const k of ['teacherParams', 'studentParams', 'evalMean', 'evalStd', 'teacherEvalMean', 'normalizedScore', 'envSteps', 'wallSeconds', 'model']) expect(s).toHaveProperty(k);
    expect(s).toMatchObject({ mode, studentParams: 4 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2, teacherParams: 4610, model: out });
    expect(s.paramRatio).toBeCloseTo(50 / 4610, 3);
    expect(fs.readdirSync(out).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
  });

  it('baseline trains the student architecture from scratch', () => {
    const r = cli('baseline', '--env', 'CartPole-v1', '--student', '4,4', '--steps', '800', '--seed', '1', '--teacher', teacher, '--eval-episodes', '3', '--out', path.join(tmp, 'baseline'), '--json');
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout);
    expect(s).toMatchObject({ env: 'CartPole-v1', envSteps: 800, studentParams: 50, teacherParams: 4610 });
    for (const k of ['evalMean', 'evalStd', 'normalizedScore', 'wallSeconds', 'model']) expect(s).toHaveProperty(k);
  });

  it('sweep runs the grid with baselines in parallel and tabulates it', () => {
    const out = path.join(tmp, 'sweep');
    const r = cli('sweep', '--teacher', teacher, '--kb', kb, '--students', '2;4', '--alphas', '0,1', '--seeds', '1', '--steps', '200', '--jobs', '2', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout);
    expect(s.runs).toBe(6);
    expect(s.rows.map((row: { kind: string; student: string; alpha: number | null }) => `${row.kind} ${row.student} ${row.alpha}`)).toEqual([
      'distill 2 0', 'distill 2 1', 'baseline 2 null', 'distill 4 0', 'distill 4 1', 'baseline 4 null',
    ]);
    expect(fs.existsSync(path.join(out, 'sweep.json'))).toBe(true);
  });

  it.each([
    [['--student', '4,4', '--alpha', '1.5'], /--alpha must be a number ≥ 0 and ≤ 1, got "1.5"/],
    [['--student', '4,4', '--tau', '0'], /--tau must be a number > 0, got "0"/],
    [['--student', '4,0'], /--student must be comma-separated positive layer widths like 16,16, got "4,0" \(a layer of width 0\)/],
    [['--student', '4,4', '--mode', 'online', '--hard-loss', 'mc'], /hardLoss: mc needs recorded episodes/],
  ])('distill rejects bad values by flag and writes nothing: %s', (args, message) => {
    const out = path.join(tmp, 'never');
    const r = cli('distill', '--teacher', teacher, '--kb', kb, '--seed', '1', ...args, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a knowledge base of another observation size, or a teacher for another env, is refused', () => {
    expect(cli('train-teacher', '--env', 'Acrobot-v1', '--seed', '1', '--steps', '300', '--eval-episodes', '1', '--out', path.join(tmp, 'acrobot')).code).toBe(0);
    expect(cli('extract', '--teacher', path.join(tmp, 'acrobot'), '--steps', '100', '--seed', '1', '--out', acrobotKb).code).toBe(0);
    const r = cli('distill', '--teacher', teacher, '--kb', acrobotKb, '--student', '4', '--seed', '1', '--out', path.join(tmp, 'never2'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kb: the knowledge base is for Acrobot-v1 \(6 observations, 3 actions\) but the teacher is for CartPole-v1 \(4, 2\)/);
    const b = cli('baseline', '--env', 'Acrobot-v1', '--student', '4', '--steps', '100', '--seed', '1', '--teacher', teacher, '--out', path.join(tmp, 'never3'));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--teacher: the bundle is for CartPole-v1, not Acrobot-v1/);
    expect(fs.existsSync(path.join(tmp, 'never2')) || fs.existsSync(path.join(tmp, 'never3'))).toBe(false);
  });
});
