/**
 * The part-2 verbs of the studio service (compare, replays, knowledge bases, metric CSV, model import and
 * export) on a stored study, through the service and through browser mode's HTTP (binary verbs included) with
 * the page's own client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTSIDE_RADIUS_SEED, outsideRadiusRecord } from '../../core/distill/targets.ts';
import { recordEpisode } from '../../core/eval/replay.ts';
import { ApiError, parseRequest, type CompareRunView } from '../../electron/api/contract.ts';
import { startServer, type RunningServer } from '../../electron/server/server.ts';
import { openStudio, type Studio } from '../../electron/service/studio.ts';
import { createBrowserClient } from '../../renderer/lib/api/browser-client.ts';
import { fixtureBytes } from '../io/fixtures.ts';
import { linearController, seedStudy, TEACHER_WEIGHTS, type Study } from './study-fixture.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'part2-service-'));
let studio: Studio;
let study: Study;

beforeAll(async () => {
  studio = openStudio({ dbFile: path.join(tmp, 'studio.db'), poolSize: 1 });
  study = await seedStudy(studio.db);
}, 60_000);

afterAll(async () => {
  await studio.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const call = async <K extends keyof typeof studio & string>(verb: K, input: unknown) =>
  (studio[verb] as unknown as (a: unknown) => Promise<unknown>)(parseRequest(verb as never, input));

describe('compareRuns', () => {
  it('every run of the experiment with its configuration, results and lineage', async () => {
    const { runs } = await studio.compareRuns(parseRequest('compareRuns', { experimentIds: [study.experimentId] }));
    expect(runs).toHaveLength(9);
    const byId = new Map(runs.map((r) => [r.id, r]));
    const teacher = byId.get(study.teacherRunId)!;
    expect(teacher.role).toBe('teacher');
    expect(teacher.result?.normalizedScore).toBe(1);
    expect(teacher.result?.microsecondsPerAction).toBe(50);
    expect([...teacher.studentRunIds].sort((a, b) => a - b)).toEqual([...study.studentRunIds, ...study.baselineRunIds].sort((a, b) => a - b));
    expect(teacher.kbId).toBe(study.kbId);
    expect(teacher.budget).toBe(2000);

    const student = byId.get(study.studentRunIds[0]) as CompareRunView;
    expect(student.teacherRunId).toBe(study.teacherRunId);
    expect(student.kbId).toBe(study.kbId);
    expect(student.replays).toBe(2);
    expect(student.budget).toBe(300);
    expect(student.budgetUnit).toBe('gradient_updates');
    expect(student.student?.alpha).toBe(0);
    expect(student.result?.episodes).toBe(3);
    expect(student.result?.agreement).toBeCloseTo(0.94, 12);
    const r = student.result!;
    expect(r.normalizedCi95).toBeCloseTo(r.evalCi95! / (r.teacherEvalMean! - r.randomEvalMean!), 12);
    expect(student.experimentName).toBe('fixture study');

    const baseline = byId.get(study.baselineRunIds[0])!;
    expect(baseline.budgetUnit).toBe('env_steps');
    expect(baseline.budget).toBe(1000);
    expect(baseline.student).toBeNull();
  });

  it('runs named by id, without duplicates; an unknown experiment is not_found, an empty request invalid', async () => {
    const { runs } = await studio.compareRuns(parseRequest('compareRuns', { experimentIds: [study.experimentId], runIds: [study.teacherRunId] }));
    expect(runs).toHaveLength(9);
    const one = await studio.compareRuns(parseRequest('compareRuns', { runIds: [study.studentRunIds[1]] }));
    expect(one.runs.map((x) => x.id)).toEqual([study.studentRunIds[1]]);
    await expect(studio.compareRuns(parseRequest('compareRuns', { experimentIds: [999] }))).rejects.toMatchObject({ code: 'not_found', message: 'experiment 999 does not exist' });
    expect(() => parseRequest('compareRuns', {})).toThrow(/experimentIds: give experimentIds or runIds/);
  });
});

describe('replays', () => {
  it('a student’s index offers its teacher (same seeds) first; the teacher’s offers its best student', async () => {
    const index = await studio.replayIndex({ runId: study.studentRunIds[0] });
    expect(index.env).toBe('CartPole-v1');
    expect(index.run.replays.map((r) => r.episodeSeed)).toEqual(study.seeds.slice(0, 2));
    expect(index.defaultPartnerId).toBe(study.teacherRunId);
    expect(index.partners.map((p) => p.runId)).toContain(study.teacherRunId);
    const t = await studio.replayIndex({ runId: study.teacherRunId });
    const { runs } = await studio.compareRuns(parseRequest('compareRuns', { experimentIds: [study.experimentId] }));
    const best = runs.filter((r) => r.role === 'student').sort((a, b) => (b.result!.normalizedScore ?? 0) - (a.result!.normalizedScore ?? 0))[0];
    expect(t.defaultPartnerId).toBe(best.id);
  });

  it('an episode comes back exactly as the policy played it', async () => {
    const index = await studio.replayIndex({ runId: study.teacherRunId });
    const summary = index.run.replays[0];
    const replay = await studio.getReplay({ id: summary.id });
    const again = recordEpisode('CartPole-v1', linearController(TEACHER_WEIGHTS), summary.episodeSeed);
    expect(replay.length).toBe(again.length);
    expect(replay.actions).toEqual(Array.from(again.actions));
    expect(replay.states).toEqual(Array.from(again.observations));
    expect(replay.qValues).toEqual(Array.from(again.qValues));
    expect(replay.states.length).toBe((replay.length + 1) * 4);
    await expect(studio.getReplay({ id: 9999 })).rejects.toMatchObject({ code: 'not_found', message: 'replay 9999 does not exist' });
  });
});

describe('knowledge bases', () => {
  it('lists the KB with its teacher and experiment; the view has every row, greedy actions and histograms over all rows', async () => {
    const list = await studio.listKnowledgeBases({ experimentId: study.experimentId });
    expect(list.map((k) => k.id)).toEqual([study.kbId]);
    expect(list[0].teacherLabel).toMatch(new RegExp(`^teacher run ${study.teacherRunId}`));
    expect(list[0].experimentName).toBe('fixture study');
    const view = await studio.getKnowledgeBase(parseRequest('getKnowledgeBase', { id: study.kbId }));
    const kb = studio.db.knowledgeBases.load(study.kbId);
    expect(view.size).toBe(600);
    expect(view.points.rows).toBe(600);
    const bytes = Buffer.from(view.points.states, 'base64');
    expect(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)).toEqual(kb.states);
    const greedy = Buffer.from(view.points.greedy, 'base64');
    for (let i = 0; i < kb.size; i++) expect(greedy[i]).toBe(kb.teacherQ[i * 2 + 1] > kb.teacherQ[i * 2] ? 1 : 0);
    expect(view.histograms.qByAction).toHaveLength(2);
    for (const h of view.histograms.qByAction) expect(h.n).toBe(600);
    expect(view.histograms.gap.n).toBe(600);
    expect(view.histograms.gap.lo).toBeGreaterThanOrEqual(0);
    expect(view.stats.greedyMix.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(view.students.map((s) => s.runId).sort()).toEqual([...study.studentRunIds].sort());
    const sampled = await studio.getKnowledgeBase(parseRequest('getKnowledgeBase', { id: study.kbId, maxPoints: 100 }));
    expect(sampled.points.rows).toBe(100);
    const first = Buffer.from(sampled.points.states, 'base64');
    // evenly spread: row i of the sample is row ⌊i·600/100⌋ = 6i of the KB
    expect(new Float32Array(first.buffer, first.byteOffset + 4 * 4 * 7, 4)).toEqual(kb.states.subarray(42 * 4, 43 * 4));
  });
});

describe('a retrieval student’s states outside the radius', () => {
  it('are shown by the KB browser and are not an episode for the replay viewer or the compare table', async () => {
    const runId = study.studentRunIds[1];
    const states = Float32Array.from({ length: 7 * 4 }, (_, i) => i / 10);
    const before = (await studio.compareRuns(parseRequest('compareRuns', { runIds: [runId] }))).runs[0].replays;
    studio.db.replays.save({ runId, env: 'CartPole-v1', ...recordOf(outsideRadiusRecord({ states, kept: 7, seen: 40 }, 4, 2)) });
    const summary = studio.db.runs.get(runId).summary as Record<string, unknown>;
    studio.db.runs.setSummary(runId, { ...summary, retrieval: { radius: 0.3, queries: 100, maskRate: 0.4, outsideKept: 7 } });
    const view = await studio.getKnowledgeBase(parseRequest('getKnowledgeBase', { id: study.kbId }));
    expect(view.outsideRadius).toHaveLength(1);
    const o = view.outsideRadius[0];
    expect(o).toMatchObject({ runId, kept: 7, seen: 40, radius: 0.3 });
    const bytes = Buffer.from(o.states, 'base64');
    expect(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)).toEqual(states);
    expect((await studio.compareRuns(parseRequest('compareRuns', { runIds: [runId] }))).runs[0].replays).toBe(before);
    const index = await studio.replayIndex({ runId });
    expect(index.run.replays.every((r) => r.episodeSeed !== OUTSIDE_RADIUS_SEED)).toBe(true);
    const record = studio.db.replays.list({ runId, episodeSeed: OUTSIDE_RADIUS_SEED })[0];
    await expect(studio.getReplay({ id: record.id })).rejects.toMatchObject({ code: 'not_found' });
  });
});

/** An EpisodeReplay as the replays repository takes it. */
function recordOf(r: ReturnType<typeof outsideRadiusRecord>) {
  return { episodeSeed: r.seed, observationSize: r.observationSize, actionCount: r.actionCount, states: r.observations, actions: r.actions, rewards: r.rewards, qValues: r.qValues, terminated: r.terminated };
}

describe('metricsCsv', () => {
  it('every point of the chosen series, one line each, with the run, key and unit', async () => {
    const file = await studio.metricsCsv({ runIds: [study.teacherRunId, study.studentRunIds[0]], keys: ['charts/episodic_return', 'charts/sps'] });
    const text = new TextDecoder().decode(file.bytes);
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('run_id,run_name,role,seed,key,unit,step,value');
    expect(lines).toHaveLength(1 + 2 * 2 * 10);
    expect(lines[1]).toBe(`${study.teacherRunId},teacher,teacher,1,charts/episodic_return,env_steps,100,${50 + study.teacherRunId}`);
    expect(lines.filter((l) => l.includes(',gradient_updates,'))).toHaveLength(20);
    expect(file.fileName).toBe('metrics-2-runs.csv');
  });
});

describe('model files', () => {
  let modelId = 0;

  it('imports a teacher file from its bytes, refuses it twice, and names the file (never the temporary path)', async () => {
    const view = await studio.importTeacher(parseRequest('importTeacher', { fileName: 'dqn-CartPole-v1.zip', bytes: fixtureBytes('cartpole-sb3-dqn.zip'), env: 'CartPole-v1', evalEpisodes: 3 }));
    modelId = view.modelId;
    expect(view).toMatchObject({ env: 'CartPole-v1', runtime: 'tfjs', format: 'sb3-zip', fileName: 'dqn-CartPole-v1.zip', hiddenSizes: [64, 64], episodes: 3 });
    expect(view.evalMean).toBeGreaterThan(400);
    const models = await studio.listModels({ env: 'CartPole-v1' });
    expect(models.find((m) => m.id === modelId)?.label).toBe('imported from dqn-CartPole-v1.zip');
    const again = await studio.importTeacher(parseRequest('importTeacher', { fileName: 'copy.zip', bytes: fixtureBytes('cartpole-sb3-dqn.zip'), env: 'CartPole-v1' })).catch((e: ApiError) => e);
    expect(again).toBeInstanceOf(ApiError);
    expect((again as ApiError).code).toBe('conflict');
    expect((again as ApiError).message).toMatch(new RegExp(`^copy\\.zip: already imported as model ${modelId}`));
    expect((again as ApiError).message).not.toContain(os.tmpdir());
    const bad = await studio.importTeacher(parseRequest('importTeacher', { fileName: 'cnn.zip', bytes: fixtureBytes('bad-sb3-cnn.zip'), env: 'CartPole-v1' })).catch((e: ApiError) => e);
    expect(bad).toMatchObject({ code: 'invalid' });
    expect((bad as ApiError).message).toMatch(/^cnn\.zip: .*CNN policies are not supported yet/);
    const env = await studio.importTeacher(parseRequest('importTeacher', { fileName: 'x.zip', bytes: fixtureBytes('cartpole-sb3-dqn.zip'), env: 'Pong-v5' })).catch((e: ApiError) => e);
    expect(env).toMatchObject({ code: 'invalid', issues: [{ path: 'env' }] });
  }, 60_000);

  it('exports a model as ONNX (checked) and as a zipped tfjs folder; a run without a model is a conflict', async () => {
    const onnx = await studio.exportModel(parseRequest('exportModel', { modelId, format: 'onnx' }));
    expect(onnx.fileName).toBe(`model-${modelId}-student.onnx`);
    expect(onnx.bytes.length).toBeGreaterThan(10_000);
    expect(onnx.check.maxAbsDiff).toBeLessThan(1e-3);
    expect(onnx.check.states).toBe(1000);
    const tfjs = await studio.exportModel(parseRequest('exportModel', { modelId, format: 'tfjs' }));
    expect(tfjs.fileName).toBe(`model-${modelId}-tfjs.zip`);
    expect(Object.keys(unzipSync(tfjs.bytes)).filter((k) => !k.endsWith('/')).sort()).toEqual([`model-${modelId}-tfjs/meta.json`, `model-${modelId}-tfjs/model.json`, `model-${modelId}-tfjs/weights.bin`]);
    await expect(studio.exportModel(parseRequest('exportModel', { runId: study.studentRunIds[0], format: 'js' }))).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/has no model to export/) });
    expect(() => parseRequest('exportModel', { runId: 1, modelId: 2, format: 'c' })).toThrow(/give exactly one of runId and modelId/);
  }, 60_000);
});

describe('browser mode: the part-2 verbs over HTTP with the page’s client', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ service: studio, rendererDir: path.join(tmp, 'no-renderer') });
  });
  afterAll(async () => server?.close());

  class NoSocket {
    onopen = null;
    onmessage = null;
    onclose = null;
    close(): void {}
  }

  it('JSON verbs, a binary response with its other fields, and a binary request with its other arguments', async () => {
    const client = createBrowserClient({ origin: `http://127.0.0.1:${server.port}`, token: server.token, WebSocket: NoSocket as unknown as typeof WebSocket });
    try {
      const view = await client.api.compareRuns({ experimentIds: [study.experimentId] });
      expect(view.runs).toHaveLength(9);
      const csv = await client.api.metricsCsv({ runIds: [study.teacherRunId], keys: ['charts/sps'] });
      expect(csv.fileName).toBe(`metrics-run-${study.teacherRunId}.csv`);
      expect(new TextDecoder().decode(csv.bytes).split('\r\n')).toHaveLength(12);
      const file = await client.api.exportModel({ modelId: 1, format: 'js' }).catch((e: ApiError) => e);
      // model 1 may be the imported teacher of the test above, or not exist when this block runs alone
      if (file instanceof ApiError) expect(file.code).toBe('not_found');
      else {
        expect(file.fileName).toMatch(/\.mjs$/);
        expect(file.check.states).toBe(1000);
        expect(new TextDecoder().decode(file.bytes)).toContain('export function act');
      }
      const imported = await client.api.importTeacher({ fileName: 'teacher.onnx', bytes: fixtureBytes('cartpole-teacher.onnx'), env: 'CartPole-v1', evalEpisodes: 2 }).catch((e: ApiError) => e);
      // the ONNX file holds the same weights as the SB3 fixture: refused as a duplicate when that was imported first
      if (imported instanceof ApiError) expect(imported.message).toMatch(/^teacher\.onnx: the same network/);
      else expect(imported).toMatchObject({ runtime: 'onnxruntime', episodes: 2, fileName: 'teacher.onnx' });
      const bad = await client.api.importTeacher({ fileName: 'x.bin', bytes: new Uint8Array([1, 2, 3]), env: 'CartPole-v1' }).catch((e: ApiError) => e);
      expect(bad).toMatchObject({ code: 'invalid', message: expect.stringMatching(/^x\.bin: not a recognised model file/) });
    } finally {
      client.close();
    }
  }, 60_000);
});
