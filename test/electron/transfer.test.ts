import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { openDatabase, type StudioDb } from '../../db/index.ts';
import { createExperimentRuns } from '../../electron/service/runs.ts';
import { openStudio } from '../../electron/service/studio.ts';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'transfer-test-'));
const srcFile = path.join(tmp, 'a.db');
const dstFile = path.join(tmp, 'b.db');
let src: StudioDb;
let experimentId = 0;

beforeAll(async () => {
  const spec = parseExperimentSpec({
    version: 1,
    name: 'transfer',
    env: 'CartPole-v1',
    teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: 1500, evalEvery: 500, evalEpisodes: 2 } } },
    knowledgeBase: { steps: 400 },
    students: [{ hiddenSizes: [4], steps: 150, evalEvery: 50, evalEpisodes: 2 }],
    seeds: [1],
    evaluation: { episodes: 2, replays: 1 },
  });
  const studio = openStudio({ dbFile: srcFile, poolSize: 2 });
  const created = await studio.createFromSpec(spec, { start: false });
  experimentId = created.experimentId;
  await studio.execute(created.runs.map((r) => r.runId));
  await studio.close();
  src = openDatabase(srcFile);
}, 120_000);
afterAll(() => {
  src.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Everything an experiment owns, with ids replaced by positions so that two databases compare. */
function snapshot(db: StudioDb, id: number) {
  const runs = db.runs.list({ experimentId: id });
  const pos = new Map(runs.map((r, i) => [r.id, i]));
  return {
    spec: db.experiments.get(id).spec,
    runs: runs.map((r) => {
      const kb = db.knowledgeBases.list({ teacherRunId: r.id }).map((k) => db.knowledgeBases.load(k.id));
      return {
        role: r.role,
        status: r.status,
        config: JSON.parse(JSON.stringify(r.config).replace(/"teacherRunId":\d+/g, '"teacherRunId":"x"')),
        teacher: r.teacherRunId === null ? null : pos.get(r.teacherRunId),
        summary: JSON.parse(JSON.stringify(r.summary).replace(/"kbId":\d+/g, '"kbId":"x"')),
        metrics: db.metrics.keys(r.id).map((k) => ({ k, s: Array.from(db.metrics.series(r.id, k).steps), v: Array.from(db.metrics.series(r.id, k).values) })),
        models: db.models.list({ runId: r.id }).map((m) => Buffer.from(db.models.get(m.id).bundle.weights).toString('base64')),
        evaluations: db.evaluations.list({ runId: r.id }).map((e) => ({ kind: e.kind, returns: e.returns, mean: e.mean })),
        replays: db.replays.list({ runId: r.id }).map((x) => Array.from(db.replays.get(x.id).actions)),
        kb: kb.map((k) => ({ size: k.size, states: Buffer.from(k.states.buffer).toString('base64'), q: Buffer.from(k.teacherQ.buffer).toString('base64') })),
      };
    }),
  };
}

describe('experiment export → import', () => {
  it('round-trips an experiment intact into another database', () => {
    const file = path.join(tmp, 'exp.dsx');
    const counts = src.transfer.exportExperiment(experimentId, file);
    expect(counts.runs).toBe(3);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const dst = openDatabase(dstFile);
    try {
      // An unrelated experiment first, so that the imported ids must be remapped.
      dst.experiments.create({ name: 'other', spec: {}, specVersion: 1 });
      const [imported] = dst.transfer.importFile(file);
      expect(imported).toBe(2);
      expect(snapshot(dst, imported)).toEqual(snapshot(src, experimentId));
      const raw = new Database(dstFile);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      raw.close();
    } finally {
      dst.close();
    }
  });

  it('a bad or foreign file gives a clear error and changes nothing', () => {
    const dst = openDatabase(dstFile);
    try {
      const before = dst.experiments.list().length;
      const garbage = path.join(tmp, 'garbage.dsx');
      fs.writeFileSync(garbage, 'not a database at all, just text '.repeat(100));
      expect(() => dst.transfer.importFile(garbage)).toThrow(/garbage\.dsx is not a Distill Studio database or is corrupt/);
      const foreign = path.join(tmp, 'foreign.sqlite');
      const f = new Database(foreign);
      f.exec('CREATE TABLE t (x)');
      f.close();
      expect(() => dst.transfer.importFile(foreign)).toThrow(/foreign\.sqlite is not a Distill Studio database/);
      expect(() => dst.transfer.importFile(path.join(tmp, 'missing.dsx'))).toThrow(/no such file/);
      expect(dst.experiments.list().length).toBe(before);
    } finally {
      dst.close();
    }
  });

  it('importing the same file twice, or a database into itself, is refused and changes nothing', () => {
    const file = path.join(tmp, 'twice.dsx');
    src.transfer.exportExperiment(experimentId, file);
    const dst = openDatabase(path.join(tmp, 'twice.db'));
    try {
      const [first] = dst.transfer.importFile(file);
      const before = dst.experiments.list().length;
      expect(() => dst.transfer.importFile(file)).toThrow(new RegExp(`experiment "transfer" \\(created .*\\) is already in this database as experiment ${first}; nothing was imported`));
      expect(dst.experiments.list().length).toBe(before);
      expect(() => src.transfer.importFile(srcFile)).toThrow(/cannot import the database into itself/);
    } finally {
      dst.close();
    }
  });

  it('a run exported while running is imported interrupted, with no owner process', () => {
    const file = path.join(tmp, 'running.dsx');
    const live = openDatabase(path.join(tmp, 'live.db'));
    try {
      const e = live.experiments.create({ name: 'live', spec: {}, specVersion: 1 });
      const run = live.runs.create({ experimentId: e.id, role: 'teacher', config: {}, seed: 1 });
      live.runs.claim(run.id, { owner: process.pid });
      live.transfer.exportExperiment(e.id, file);
    } finally {
      live.close();
    }
    const dst = openDatabase(path.join(tmp, 'from-live.db'));
    try {
      const [id] = dst.transfer.importFile(file);
      const [run] = dst.runs.list({ experimentId: id });
      expect(run).toMatchObject({ status: 'interrupted', ownerPid: null });
      expect(run.error).toMatch(/it was running when exported .*resume it to continue/);
    } finally {
      dst.close();
    }
  });

  it('metrics export to CSV from the command line', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'distill-studio.mjs'), 'metrics', '1', '--db', srcFile, '--key', 'charts/epsilon'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('run_id,key,step,value');
    expect(lines.slice(1).map((l) => l.split(',')[2])).toEqual(['1000']);
    expect(Number(lines[1].split(',')[3])).toBeGreaterThan(0);
  });
});

describe('export of an experiment that reuses another experiment\'s teacher model', () => {
  it('keeps the model and drops only the link to the run outside the export', async () => {
    const teacherModel = src.models.list({ runId: 1, kind: 'final' })[0].id;
    const spec = parseExperimentSpec({ version: 1, name: 'reuse', env: 'CartPole-v1', teacher: { modelId: teacherModel }, baselines: false });
    const created = await createExperimentRuns(src, spec);
    const file = path.join(tmp, 'reuse.dsx');
    const counts = src.transfer.exportExperiment(created.experimentId, file);
    expect(counts).toMatchObject({ runs: 1, models: 1 });
    const dst = openDatabase(path.join(tmp, 'c.db'));
    try {
      const [id] = dst.transfer.importFile(file);
      const [run] = dst.runs.list({ experimentId: id });
      const model = dst.models.get(run.teacherModelId!);
      expect(model.runId).toBeNull();
      expect(Buffer.from(model.bundle.weights)).toEqual(Buffer.from(src.models.get(teacherModel).bundle.weights));
    } finally {
      dst.close();
    }
  });
});
