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
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DISTILL_BACKEND: '' } });
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
    expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(s.backend);
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
    [['--env', 'CartPole-v1', '--seed', '1', '--steps', 'abc'], /--steps must be an integer/],
    [['--env', 'CartPole-v1', '--seed', '-3'], /--seed must be an integer in \[0, /],
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
    expect(r.stderr).toMatch(/unknown command "trian"; known: train-teacher, eval/);
  });
});
