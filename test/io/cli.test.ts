import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './fixtures.ts';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'io-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'distill-studio.mjs'), ...args], { encoding: 'utf8', cwd: tmp, timeout: 120_000 });
const last = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

describe('import-teacher and export-model on the command line', () => {
  const db = path.join(tmp, 'studio.db');

  it('imports a CleanRL state dict, refuses it a second time, and exports it as a C header', () => {
    const imported = cli('import-teacher', fixture('cartpole-cleanrl.cleanrl_model'), '--env', 'CartPole-v1', '--eval-episodes', '3', '--db', db, '--json');
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    const r = last(imported.stdout);
    expect(r).toMatchObject({ command: 'import-teacher', modelId: 1, runtime: 'tfjs', network: '4-64-64-2', source: { format: 'torch-state-dict' }, evaluation: { episodes: 3, mean: 500 } });

    const again = cli('import-teacher', fixture('cartpole-cleanrl.cleanrl_model'), '--env', 'CartPole-v1', '--db', db);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/cartpole-cleanrl\.cleanrl_model: already imported as model 1/);

    const header = path.join(tmp, 'teacher.h');
    const exported = cli('export-model', 'model:1', '--format', 'c', '--out', header, '--db', db);
    expect(exported.status).toBe(0);
    expect(exported.stdout).toMatch(/model 1 exported as c to .*teacher\.h/);
    expect(exported.stdout).toMatch(/checked on 1000 states .* greedy actions agree on \d+\/1000/);
    const twice = cli('export-model', 'model:1', '--format', 'c', '--out', header, '--db', db);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/teacher\.h already exists; pass --force/);
  }, 120_000);

  it('usage mistakes exit 2 and write nothing', () => {
    const fresh = path.join(tmp, 'fresh.db');
    const noEnv = cli('import-teacher', fixture('cartpole-sb3-dqn.zip'), '--db', fresh);
    expect(noEnv.status).toBe(2);
    expect(noEnv.stderr).toMatch(/--env must be one of CartPole-v1, Acrobot-v1, MountainCar-v0/);
    const noFile = cli('import-teacher', '--env', 'CartPole-v1', '--db', fresh);
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/FILE is required/);
    const badFormat = cli('export-model', '3', '--format', 'tflite', '--out', 'x', '--db', fresh);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/--format must be one of onnx, tfjs, js, c, got "tflite"/);
    const badTarget = cli('export-model', 'student', '--format', 'js', '--out', 'x.mjs', '--db', fresh);
    expect(badTarget.status).toBe(2);
    expect(badTarget.stderr).toMatch(/RUN\|model:ID must be a run id/);
    expect(fs.existsSync(fresh)).toBe(false);
  }, 60_000);
});
