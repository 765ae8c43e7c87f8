/**
 * The studio service through the contract: catalog, validation, create → run → complete with live events,
 * cancel, stop → interrupted → resume (experiment runs and stand-alone runs), atomic claims, delete, and
 * export/import, on tiny budgets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDqnConfig } from '../../core/dqn/config.ts';
import { presetConfig } from '../../core/dqn/presets.ts';
import { ApiError, type EventMap, type EventName } from '../../electron/api/contract.ts';
import { createTeacherRun } from '../../electron/service/runs.ts';
import { openStudio, type Studio } from '../../electron/service/studio.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'service-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tinySpec = (name: string, teacherSteps = 3000) => ({
  version: 1,
  name,
  env: 'CartPole-v1',
  teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: teacherSteps, evalEvery: 500, evalEpisodes: 2 } } },
  knowledgeBase: { steps: 400 },
  students: [{ hiddenSizes: [4], steps: 150, evalEvery: 50, evalEpisodes: 2 }],
  baselines: true,
  seeds: [1],
  evaluation: { episodes: 2, replays: 1 },
});

/** Records every event of a studio. */
function recorder(studio: Studio) {
  const events: { name: EventName; payload: EventMap[EventName] }[] = [];
  for (const name of ['runStatus', 'runProgress', 'metricPoints', 'experimentsChanged'] as const) studio.on(name, (payload) => events.push({ name, payload }));
  const of = <E extends EventName>(name: E) => events.filter((e) => e.name === name).map((e) => e.payload as EventMap[E]);
  return { events, of };
}

const until = async (check: () => boolean, ms = 90_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('studio service', () => {
  const dbFile = path.join(tmp, 'studio.db');

  it('describes environments, presets and config fields from the schemas', async () => {
    const studio = openStudio({ dbFile });
    try {
      const catalog = await studio.catalog({});
      expect(catalog.envs.map((e) => e.id)).toEqual(['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0']);
      expect(catalog.envs[0]).toMatchObject({ observationSize: 4, actionCount: 2, maxEpisodeSteps: 500, rewardThreshold: 475 });
      expect(catalog.presets['CartPole-v1'].default).toMatchObject({ hiddenSizes: [64, 64] });
      expect(catalog.teacherFields.find((f) => f.name === 'learningRate')).toMatchObject({ kind: 'number', exclusiveMinimum: 0, description: 'Adam learning rate.' });
      expect(catalog.studentFields.find((f) => f.name === 'softLoss')).toMatchObject({ kind: 'enum', options: ['kl', 'kl-two-sided', 'mse', 'nll'] });
      expect(catalog.studentFields.find((f) => f.name === 'radius')).toMatchObject({ kind: 'number', keywords: ['auto'], exclusiveMinimum: 0 });
      expect(catalog.studentFields.find((f) => f.name === 'hiddenSizes')).toMatchObject({ kind: 'integer-list', exclusiveMinimum: 0 });
      expect(catalog.studentFields.some((f) => f.name === 'env' || f.name === 'seed')).toBe(false);
      expect(catalog.backends.available).toContain('wasm');
      expect(catalog.metricKeys.find((m) => m.key === 'charts/episodic_return')?.doc).toMatch(/Return/);
      for (const template of Object.values(catalog.specTemplates)) expect((await studio.validateSpec({ spec: template })).ok).toBe(true);
    } finally {
      await studio.close();
    }
  });

  it('validates a spec field by field, plans its runs with sizes and ratios, stores nothing invalid; start and cancel an experiment', async () => {
    const studio = openStudio({ dbFile, poolSize: 1 });
    try {
      const bad = await studio.validateSpec({ spec: { ...tinySpec('bad'), students: [{ hiddenSizes: [0], alpha: 2 }] } });
      expect(bad.ok).toBe(false);
      if (bad.ok) return;
      expect(bad.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['students.0.hiddenSizes.0', 'students.0.alpha']));
      const noModel = await studio.validateSpec({ spec: { ...tinySpec('x'), teacher: { modelId: 999 } } });
      expect(noModel).toEqual({ ok: false, issues: [{ path: 'teacher.modelId', message: 'no stored model with id 999' }] });
      const good = await studio.validateSpec({ spec: tinySpec('good') });
      expect(good.ok).toBe(true);
      if (!good.ok) return;
      expect(good.plan.teacherParams).toBe(4610);
      expect(good.plan.runs.map((r) => `${r.role} ${r.hiddenSizes.join('-')} ${r.params}`)).toEqual(['teacher 64-64 4610', 'student 4 30', 'baseline 4 30']);
      expect(good.plan.runs[1].paramRatio).toBeCloseTo(30 / 4610, 6);
      const before = (await studio.listExperiments({})).length;
      await expect(studio.createExperiment({ spec: { ...tinySpec('bad'), seeds: [] }, start: true })).rejects.toMatchObject({ code: 'invalid', issues: [{ path: 'seeds', message: expect.any(String) }] });
      expect((await studio.listExperiments({})).length).toBe(before);
      // Created without starting, then started (queued on the runner), then cancelled as a whole before anything ran.
      const created = await studio.createExperiment({ spec: tinySpec('later', 200_000), start: false });
      expect(created.started).toBe(false);
      expect((await studio.getExperiment({ id: created.experimentId })).runCounts).toMatchObject({ total: 3, queued: 3 });
      expect(await studio.startExperiment({ id: created.experimentId })).toEqual({ queued: created.runIds });
      expect(await studio.startExperiment({ id: created.experimentId })).toEqual({ queued: [] }); // already queued here
      expect((await studio.cancelExperiment({ id: created.experimentId })).cancelled).toEqual(created.runIds);
      await studio.waitFor(created.runIds);
      expect((await studio.listRuns({ experimentId: created.experimentId })).map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      await studio.deleteExperiment({ id: created.experimentId });
    } finally {
      await studio.close();
    }
  });

  it('creates and runs an experiment: status, progress with backend and ETA, and metric points arrive as events', async () => {
    const studio = openStudio({ dbFile, poolSize: 2 });
    const rec = recorder(studio);
    try {
      const created = await studio.createExperiment({ spec: tinySpec('live'), start: true });
      expect(created).toMatchObject({ started: true });
      expect(created.runIds).toHaveLength(3);
      expect(rec.of('experimentsChanged')).toContainEqual({ experimentId: created.experimentId, change: 'created' });
      await studio.waitFor(created.runIds);
      const statuses = rec.of('runStatus');
      for (const id of created.runIds) expect(statuses.filter((s) => s.runId === id).map((s) => s.status)).toEqual(['running', 'completed']);
      const progress = rec.of('runProgress').filter((p) => p.runId === created.runIds[0]);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[0]).toMatchObject({ experimentId: created.experimentId, backend: expect.any(String), progress: { phase: expect.any(String), unit: expect.any(String), total: expect.any(Number) } });
      expect(progress.some((p) => p.progress.etaSeconds !== null)).toBe(true);
      // Every metric point the teacher stored reached the listeners, in batches.
      const points = rec.of('metricPoints').filter((m) => m.runId === created.runIds[0]).flatMap((m) => m.points);
      const stored = await studio.metricSeries({ runIds: [created.runIds[0]], keys: ['charts/epsilon', 'charts/episodic_return'], maxPoints: 100_000 });
      for (const s of stored) expect(points.filter((p) => p.key === s.key).map((p) => p.step)).toEqual(s.steps);
      expect(stored[0]).toMatchObject({ unit: 'env_steps', downsampled: false });

      const [summary] = (await studio.listExperiments({})).filter((e) => e.id === created.experimentId);
      expect(summary).toMatchObject({ name: 'live', env: 'CartPole-v1', runCounts: { total: 3, completed: 3 }, teacherReturn: expect.any(Number) });
      expect(summary.bestStudentRunId).toBe(created.runIds[1]);
      const detail = await studio.getExperiment({ id: created.experimentId });
      expect(detail.runs.map((r) => `${r.role}:${r.status}:${r.params}`)).toEqual(['teacher:completed:4610', 'student:completed:30', 'baseline:completed:30']);
      expect(detail.runs[1]).toMatchObject({ paramRatio: 30 / 4610, student: { alpha: 0, softLoss: 'kl', mode: 'offline' }, resumable: false, result: { normalizedScore: expect.any(Number) } });
      expect(detail.runs[0].result?.reachedThreshold).toBe(false);
      const down = await studio.metricSeries({ runIds: [created.runIds[1]], keys: ['losses/distill_loss'], maxPoints: 2 });
      expect(down[0]).toMatchObject({ unit: 'gradient_updates', downsampled: true });
      expect((await studio.metricKeys({ runIds: [created.runIds[1]] }))[0].keys).toContain('losses/soft_loss');
      const models = await studio.listModels({ env: 'CartPole-v1' });
      expect(models.find((m) => m.runId === created.runIds[0])).toMatchObject({ kind: 'final', hiddenSizes: [64, 64], params: 4610, label: expect.stringMatching(/teacher "teacher" \(run \d+, experiment \d+\)/) });
    } finally {
      await studio.close();
    }
  }, 180_000);

  it('cancels a run and its dependents; a stopped studio leaves its runs interrupted; resume continues from the checkpoint, atomically', async () => {
    const studio = openStudio({ dbFile, poolSize: 1, checkpointEvery: 1000 });
    const rec = recorder(studio);
    let second: Studio | null = null;
    try {
      const created = await studio.createExperiment({ spec: tinySpec('cancel', 200_000), start: true });
      const [teacher, ...dependents] = created.runIds;
      await until(() => rec.of('runProgress').some((p) => p.runId === teacher && p.progress.step >= 2000));
      await expect(studio.deleteExperiment({ id: created.experimentId })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/has a running run/) });
      // A second resume of a running run is refused and harms nothing.
      await expect(studio.resumeRun({ runId: teacher })).rejects.toMatchObject({ code: 'conflict', message: `run ${teacher} is already running in this studio` });
      second = openStudio({ dbFile });
      await expect(second.resumeRun({ runId: teacher })).rejects.toMatchObject({ code: 'conflict', message: `run ${teacher} is running in process ${process.pid}` });
      expect((await second.getRun({ runId: teacher })).status).toBe('running');

      const cancelled = await studio.cancelExperiment({ id: created.experimentId });
      expect(cancelled.cancelled).toEqual(created.runIds);
      await studio.waitFor(created.runIds);
      const runs = await studio.listRuns({ experimentId: created.experimentId });
      expect(runs.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(runs[0]).toMatchObject({ resumable: true, checkpointStep: expect.any(Number) });
      expect(runs[0].checkpointStep!).toBeGreaterThanOrEqual(1000);

      // Resume the cancelled teacher (with its waiting dependents), then stop the studio mid-run.
      await studio.resumeRun({ runId: teacher });
      const resumedFrom = (await studio.getRun({ runId: teacher })).checkpointStep!;
      await until(() => rec.of('runProgress').some((p) => p.runId === teacher && p.progress.step >= resumedFrom + 2000));
      await studio.close();
      const stopped = await second.listRuns({ experimentId: created.experimentId });
      expect(stopped.map((r) => r.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
      expect(stopped[1].error).toBe('Distill Studio stopped before the run started');
      expect(stopped.every((r) => r.resumable)).toBe(true);
      const stepsBefore = (await second.metricSeries({ runIds: [teacher], keys: ['charts/epsilon'], maxPoints: 100_000 }))[0].steps;
      expect(stepsBefore.length).toBeGreaterThan(0);
      // A dependent cannot be resumed before its teacher.
      await expect(second.resumeRun({ runId: dependents[0] })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/waits for its teacher run .* resume run \d+ first/) });
      await second.deleteExperiment({ id: created.experimentId });
      await expect(second.getExperiment({ id: created.experimentId })).rejects.toEqual(new ApiError('not_found', `experiment ${created.experimentId} does not exist`));
    } finally {
      await studio.close();
      await second?.close();
    }
  }, 180_000);

  it('resumes a stand-alone run (as train-teacher stores it) after its studio stopped', async () => {
    const config = parseDqnConfig({ ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed: 3, totalSteps: 20_000, evalEvery: 0 });
    let studio = openStudio({ dbFile, poolSize: 1, checkpointEvery: 1000 });
    const { runs } = studio.createRuns((db) => createTeacherRun(db, { config, evalEpisodes: 2, name: 'stand-alone teacher' }));
    const id = runs[0].runId;
    void studio.execute([id]);
    // Stop the studio once a checkpoint past 2000 steps is stored (progress events are throttled, and on a fast
    // machine the fused engine can train past them between two events).
    await until(() => (studio.db.checkpoints.info(id)?.step ?? 0) >= 2000 || ['completed', 'failed', 'cancelled'].includes(studio.db.runs.get(id).status));
    expect(studio.db.runs.get(id).status).toBe('running');
    await studio.close();
    studio = openStudio({ dbFile, poolSize: 1 });
    try {
      expect((await studio.getRun({ runId: id })).status).toBe('interrupted');
      const resumed = studio.resume(id);
      expect(resumed.checkpointStep).toBeGreaterThanOrEqual(2000);
      expect((await studio.waitFor([id]))[0].status).toBe('completed');
      const epsilon = (await studio.metricSeries({ runIds: [id], keys: ['charts/epsilon'], maxPoints: 100_000 }))[0].steps;
      expect(epsilon).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 1000));
      expect(studio.db.runs.get(id).summary).toMatchObject({ params: 4610 });
      expect((studio.db.runs.get(id).summary as { kbId: unknown }).kbId).toBeNull(); // a stand-alone teacher extracts no knowledge base
    } finally {
      await studio.close();
    }
  }, 180_000);

  it('exports and imports an experiment through the service; the same file twice is refused', async () => {
    const studio = openStudio({ dbFile });
    const other = openStudio({ dbFile: path.join(tmp, 'other.db') });
    const rec = recorder(other);
    try {
      const [live] = (await studio.listExperiments({})).filter((e) => e.name === 'live');
      const file = await studio.exportExperiment({ id: live.id });
      expect(file.fileName).toBe('live.dsx');
      expect(file.bytes.byteLength).toBeGreaterThan(10_000);
      const { experimentIds } = await other.importExperiment({ fileName: file.fileName, bytes: file.bytes });
      expect(experimentIds).toHaveLength(1);
      expect(rec.of('experimentsChanged')).toEqual([{ experimentId: experimentIds[0], change: 'created' }]);
      const [imported] = await other.listExperiments({});
      expect(imported).toMatchObject({ name: 'live', runCounts: { total: 3, completed: 3 }, bestStudentScore: live.bestStudentScore });
      await expect(other.importExperiment({ fileName: file.fileName, bytes: file.bytes })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/is already in this database/) });
      await expect(other.importExperiment({ fileName: 'x.dsx', bytes: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/is not a Distill Studio database/) });
    } finally {
      await studio.close();
      await other.close();
    }
  });
});
