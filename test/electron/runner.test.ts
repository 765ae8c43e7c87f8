import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { openStudio } from '../../electron/service/studio.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function experiment(name: string, teacherOverrides: Record<string, unknown>, baselines: unknown = true) {
  return parseExperimentSpec({
    version: 1,
    name,
    env: 'CartPole-v1',
    teacher: { train: { preset: 'default', seed: 1, overrides: { totalSteps: 2000, evalEvery: 1000, evalEpisodes: 2, ...teacherOverrides } } },
    knowledgeBase: { steps: 500 },
    students: [{ hiddenSizes: [4], steps: 200, evalEvery: 100, evalEpisodes: 2 }],
    baselines,
    seeds: [1],
    evaluation: { episodes: 2, replays: 1 },
  });
}

describe('job runner', () => {
  const dbFile = path.join(tmp, 'studio.db');

  it('runs dependents after their teacher and stores every result', async () => {
    const studio = openStudio({ dbFile, poolSize: 2 });
    const db = studio.db;
    try {
      const created = await studio.createFromSpec(experiment('ok', {}), { start: false });
      const started: number[] = [];
      studio.on('runStatus', (e) => e.status === 'running' && started.push(e.runId));
      const outcomes = await studio.execute(created.runs.map((r) => r.runId));
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
    } finally {
      await studio.close();
    }
  }, 120_000);

  it("hands a spec's baselines.stopAtScore to its baseline jobs", async () => {
    const studio = openStudio({ dbFile, poolSize: 1 });
    try {
      const created = await studio.createFromSpec(experiment('stop', {}, { budgetFactor: 2, stopAtScore: 0.9 }), { start: false });
      const baseline = studio.db.runs.list({ experimentId: created.experimentId }).find((r) => r.role === 'baseline')!;
      expect((baseline.config as { job: unknown }).job).toMatchObject({ kind: 'baseline', stopAtScore: 0.9, config: { totalSteps: 1000 } });
    } finally {
      await studio.close();
    }
  });

  it('a NaN loss fails the run with a clear message, and its dependents fail without running', async () => {
    const studio = openStudio({ dbFile, poolSize: 1 });
    try {
      const created = await studio.createFromSpec(experiment('nan', { learningRate: 1e30, maxGradNorm: 0, loss: 'mse', learningStarts: 100 }), { start: false });
      const outcomes = await studio.execute(created.runs.map((r) => r.runId));
      expect(outcomes[0]).toMatchObject({ status: 'failed' });
      const [teacher, ...rest] = studio.db.runs.list({ experimentId: created.experimentId });
      expect(teacher.status).toBe('failed');
      expect(teacher.error).toMatch(/training diverged: TD loss is (NaN|Infinity)/);
      for (const r of rest) {
        expect(r.status).toBe('failed');
        expect(r.error).toBe(`its teacher run ${teacher.id} failed`);
        expect(r.startedAt).toBeNull();
      }
      // A diverged run is not offered for resume: with the same configuration it would diverge again.
      expect((await studio.getRun({ runId: teacher.id })).resumable).toBe(false);
      await expect(studio.resumeRun({ runId: teacher.id })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/diverged .*would diverge again/) });
    } finally {
      await studio.close();
    }
  }, 120_000);

  it('a worker that dies marks its run failed, and the pool replaces it for the next jobs', async () => {
    const studio = openStudio({ dbFile, poolSize: 1 });
    try {
      const created = await studio.createFromSpec(experiment('crash', {}), { start: false });
      const [, studentRun, baselineRun] = created.runs.map((r) => r.runId);
      process.env.DISTILL_TEST_WORKER_CRASH_RUN = String(studentRun);
      const outcomes = await studio.execute(created.runs.map((r) => r.runId));
      expect(outcomes.map((o) => o.status)).toEqual(['completed', 'failed', 'completed']);
      expect(studio.db.runs.get(studentRun)).toMatchObject({ status: 'failed', error: 'worker exited with code 3' });
      expect(studio.db.runs.get(baselineRun).status).toBe('completed');
    } finally {
      delete process.env.DISTILL_TEST_WORKER_CRASH_RUN;
      await studio.close();
    }
  }, 120_000);

  it('a worker that cannot start (a forced backend that does not load) fails the runs with the reason, once', async () => {
    const studio = openStudio({ dbFile, poolSize: 1, backend: 'tensorflow-gpu' });
    try {
      const created = await studio.createFromSpec(experiment('no backend', {}), { start: false });
      const outcomes = await studio.execute(created.runs.map((r) => r.runId));
      expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'failed']);
      expect(outcomes[0]).toMatchObject({ error: expect.stringMatching(/the job worker could not start: worker crashed: .*tensorflow-gpu/) });
    } finally {
      await studio.close();
    }
  }, 120_000);

  it('a cancel sent right after submitting (workers still starting) is not lost', async () => {
    const studio = openStudio({ dbFile, poolSize: 1 });
    try {
      const created = await studio.createFromSpec(experiment('early cancel', { totalSteps: 500_000 }), { start: false });
      const outcomes = studio.execute(created.runs.map((r) => r.runId));
      studio.cancelRuns([created.teacherRunId]);
      expect((await outcomes).map((o) => o.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(studio.db.runs.get(created.teacherRunId).status).toBe('cancelled');
    } finally {
      await studio.close();
    }
  }, 120_000);
});
