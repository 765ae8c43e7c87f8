import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'distill-studio.mjs'), ...args], { encoding: 'utf8', cwd: tmp, timeout: 240_000 });
const last = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

describe('experiment run and replay from the command line', () => {
  const db = path.join(tmp, 'studio.db');

  it('runs a spec into the database, lists it, and a replay on the same backend reproduces every run exactly', () => {
    const spec = path.join(tmp, 'spec.json');
    fs.writeFileSync(spec, JSON.stringify({
      version: 1,
      name: 'replay',
      env: 'CartPole-v1',
      teacher: { train: { preset: 'default', seed: 2, overrides: { totalSteps: 1500, evalEvery: 500, evalEpisodes: 2 } } },
      knowledgeBase: { steps: 400 },
      students: [{ hiddenSizes: [4], steps: 150, evalEvery: 50, evalEpisodes: 2 }, { hiddenSizes: [4], mode: 'online', steps: 300, learningStarts: 50, evalEvery: 100, evalEpisodes: 2 }],
      baselines: false,
      seeds: [1],
      evaluation: { episodes: 3, replays: 1 },
    }));
    const run = cli('experiment', 'run', spec, '--db', db, '--json');
    expect(run.status).toBe(0);
    const created = last(run.stdout);
    expect(created.runs.map((r: { role: string; status: string }) => `${r.role}:${r.status}`)).toEqual(['teacher:completed', 'student:completed', 'student:completed']);

    const listed = last(cli('runs', '--experiment', String(created.experimentId), '--db', db, '--json').stdout);
    expect(listed.runs).toHaveLength(3);
    for (const r of listed.runs) expect(Object.keys(r)).toEqual(expect.arrayContaining(['id', 'status']));

    const replay = cli('experiment', 'replay', String(created.experimentId), '--db', db, '--json');
    expect(replay.status).toBe(0);
    const result = last(replay.stdout);
    expect(result.reproduced).toBe(true);
    expect(result.runs.every((r: { how: string }) => /same backend .*: returns identical/.test(r.how))).toBe(true);
  }, 300_000);

  it('an invalid spec is refused field by field and writes nothing', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ version: 1, name: 'bad', env: 'CartPole-v1', teacher: { train: {} }, students: [{ hiddenSizes: [0], alpha: 2 }] }));
    const fresh = path.join(tmp, 'fresh.db');
    const r = cli('experiment', 'run', bad, '--db', fresh);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: invalid experiment spec: .*students\.0\.hiddenSizes\.0: .*students\.0\.alpha: /);
    expect(fs.existsSync(fresh)).toBe(false);
    const notJson = path.join(tmp, 'broken.json');
    fs.writeFileSync(notJson, '{ "version": 1,');
    expect(cli('experiment', 'run', notJson, '--db', fresh).stderr).toMatch(/broken\.json: not valid JSON/);
  });
});
