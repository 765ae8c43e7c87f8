import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { openDatabase } from '../../db/index.ts';
import { createExperiment, createRunner, submitRuns } from '../../electron/jobs/orchestrator.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function experiment(name: string, teacherOverrides: Record<string, unknown>) {
  return parseExperimentSpec({
    version: 1,
    name,
    env: 'CartPole-v1',
    teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: 2000, evalEvery: 1000, evalEpisodes: 2, ...teacherOverrides } } },
    knowledgeBase: { steps: 500 },
    students: [{ hiddenSizes: [4], steps: 200, evalEvery: 100, evalEpisodes: 2 }],
    baselines: true,
    seeds: [1],
    evaluation: { episodes: 2, replays: 1 },
  });
}

describe('job runner', () => {
  const db = openDatabase(path.join(tmp, 'studio.db'));
  afterAll(() => db.close());

  it('runs dependents after their teacher and stores every result', async () => {
    const created = createExperiment(db, experiment('ok', {}));
    const runner = createRunner(db, { poolSize: 2 });
    const started: number[] = [];
    runner.on('started', (id) => started.push(id));
    const outcomes = await Promise.all(submitRuns(db, runner, created.runs.map((r) => r.runId)));
    await runner.close();
    expect(outcomes.map((o) => o.status)).toEqual(['completed', 'completed', 'completed']);
    expect(started[0]).toBe(created.teacherRunId); // the teacher first; students and baselines after it
    const runs = db.runs.list({ experimentId: created.experimentId });
    for (const r of runs) {
      expect(r.status).toBe('completed');
      expect(r.backend).toBeTruthy();
      expect(db.evaluations.latestFinal(r.id)).toBeDefined();
      expect(db.replays.list({ runId: r.id })).toHaveLength(1);
      expect(db.models.list({ runId: r.id, kind: 'final' })).toHaveLength(1);
      expect(db.metrics.keys(r.id).length).toBeGreaterThan(0);
    }
    expect(db.knowledgeBases.list({ teacherRunId: created.teacherRunId })).toHaveLength(1);
    const student = runs.find((r) => r.role === 'student')!;
    expect(student.summary).toMatchObject({ studentParams: 30, teacherParams: 4610 });
  }, 120_000);

  it('a NaN loss fails the run with a clear message, and its dependents fail without running', async () => {
    const created = createExperiment(db, experiment('nan', { learningRate: 1e30, maxGradNorm: 0, loss: 'mse', learningStarts: 100 }));
    const runner = createRunner(db, { poolSize: 1 });
    const outcomes = await Promise.all(submitRuns(db, runner, created.runs.map((r) => r.runId)));
    await runner.close();
    expect(outcomes[0]).toMatchObject({ status: 'failed' });
    const [teacher, ...rest] = db.runs.list({ experimentId: created.experimentId });
    expect(teacher.status).toBe('failed');
    expect(teacher.error).toMatch(/training diverged: TD loss is (NaN|Infinity)/);
    for (const r of rest) {
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(new RegExp(`run ${teacher.id} it depends on failed`));
      expect(r.startedAt).toBeNull();
    }
  }, 120_000);

  it('a worker that dies marks its run failed, and the pool replaces it for the next jobs', async () => {
    const created = createExperiment(db, experiment('crash', {}));
    const [, studentRun, baselineRun] = created.runs.map((r) => r.runId);
    process.env.DISTILL_TEST_WORKER_CRASH_RUN = String(studentRun);
    try {
      const runner = createRunner(db, { poolSize: 1 });
      const outcomes = await Promise.all(submitRuns(db, runner, created.runs.map((r) => r.runId)));
      await runner.close();
      expect(outcomes.map((o) => o.status)).toEqual(['completed', 'failed', 'completed']);
      expect(db.runs.get(studentRun)).toMatchObject({ status: 'failed', error: 'worker exited with code 3' });
      expect(db.runs.get(baselineRun).status).toBe('completed');
    } finally {
      delete process.env.DISTILL_TEST_WORKER_CRASH_RUN;
    }
  }, 120_000);

  it('a cancel sent right after submitting (workers still starting) is not lost', async () => {
    const created = createExperiment(db, experiment('early cancel', { totalSteps: 500_000 }));
    const runner = createRunner(db, { poolSize: 1 });
    const outcomes = submitRuns(db, runner, created.runs.map((r) => r.runId));
    runner.cancel(created.teacherRunId);
    expect((await Promise.all(outcomes)).map((o) => o.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    await runner.close();
    expect(db.runs.get(created.teacherRunId).status).toBe('cancelled');
  }, 120_000);

  it('cancels a running job and the jobs waiting for it', async () => {
    const created = createExperiment(db, experiment('cancel', { totalSteps: 500_000 }));
    const runner = createRunner(db, { poolSize: 1 });
    runner.on('progress', (id, p) => {
      if (id === created.teacherRunId && p.envSteps >= 2000) runner.cancel(id);
    });
    const outcomes = await Promise.all(submitRuns(db, runner, created.runs.map((r) => r.runId)));
    await runner.close();
    expect(outcomes.map((o) => o.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const runs = db.runs.list({ experimentId: created.experimentId });
    expect(runs.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(db.metrics.lastStep(created.teacherRunId)).toBeLessThan(500_000);
  }, 120_000);
});
