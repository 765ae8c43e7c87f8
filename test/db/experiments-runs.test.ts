import { describe, expect, it } from 'vitest';
import { NotFoundError, RUN_STATUSES, RUN_TRANSITIONS, openDatabase, type RunStatus } from '../../db/index.ts';
import { makeBundle, makeKb, memoryDb } from './fixtures.ts';

describe('experiments', () => {
  it('round-trips, lists, updates', () => {
    const db = openDatabase(':memory:');
    const spec = { env: 'CartPole-v1', students: [{ hidden: [8, 8], alpha: 0.5 }], seeds: [1, 2, 3] };
    const created = db.experiments.create({ name: '  CartPole 8-8  ', spec, specVersion: 2 });
    expect(created).toMatchObject({ name: 'CartPole 8-8', spec, specVersion: 2, runCount: 0 });
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(db.experiments.get(created.id)).toEqual(created);
    db.experiments.create({ name: 'second', spec: {}, specVersion: 1 });
    expect(db.experiments.list().map((e) => e.name)).toEqual(['CartPole 8-8', 'second']);
    const updated = db.experiments.update(created.id, { name: 'renamed', spec: { env: 'Acrobot-v1' } });
    expect(updated).toMatchObject({ name: 'renamed', spec: { env: 'Acrobot-v1' }, specVersion: 2 });
    db.close();
  });

  it('rejects bad fields with messages that name them', () => {
    const db = openDatabase(':memory:');
    expect(() => db.experiments.create({ name: ' ', spec: {}, specVersion: 1 })).toThrow(/name must be a non-empty string/);
    expect(() => db.experiments.create({ name: 'x', spec: {}, specVersion: 0 })).toThrow(/specVersion must be an integer ≥ 1/);
    expect(() => db.experiments.create({ name: 'x', spec: undefined, specVersion: 1 })).toThrow(/experiment spec: cannot be stored as JSON/);
    db.close();
  });

  it('unknown ids name the table and the id', () => {
    const db = openDatabase(':memory:');
    expect(() => db.experiments.get(99)).toThrow(NotFoundError);
    expect(() => db.experiments.get(99)).toThrow('no row with id 99 in table experiments');
    expect(() => db.experiments.update(7, { name: 'x' })).toThrow('no row with id 7 in table experiments');
    expect(() => db.experiments.delete(5)).toThrow('no row with id 5 in table experiments');
    expect(() => db.runs.get(42)).toThrow('no row with id 42 in table runs');
    expect(() => db.runs.create({ experimentId: 3, role: 'teacher', config: {}, seed: 1 })).toThrow('no row with id 3 in table experiments');
    expect(() => db.runs.create({ role: 'student', config: {}, seed: 1, teacherRunId: 8 })).toThrow('no row with id 8 in table runs');
    expect(() => db.runs.create({ role: 'student', config: {}, seed: 1, kbId: 4 })).toThrow('no row with id 4 in table knowledge_bases');
    expect(() => db.runs.setStatus(42, 'running')).toThrow('no row with id 42 in table runs');
    db.close();
  });

  it('deleting an experiment with runs is refused (RESTRICT) unless asked to delete its runs too', () => {
    const { db, experimentId, runId } = memoryDb();
    db.metrics.append(runId, [{ step: 1, key: 'charts/epsilon', value: 1 }]);
    db.models.save({ runId, kind: 'final', bundle: makeBundle() });
    expect(db.experiments.get(experimentId).runCount).toBe(1);
    expect(() => db.experiments.delete(experimentId)).toThrow(`experiment ${experimentId} has 1 run(s): delete them first`);
    expect(db.experiments.get(experimentId).runCount).toBe(1);

    db.runs.setStatus(runId, 'running');
    expect(() => db.experiments.delete(experimentId, { withRuns: true })).toThrow(/has a running run/);
    db.runs.setStatus(runId, 'completed');
    db.experiments.delete(experimentId, { withRuns: true });
    expect(db.experiments.list()).toEqual([]);
    expect(db.runs.list()).toEqual([]);
    expect(db.models.list()).toEqual([]);
    db.close();
  });
});

describe('runs', () => {
  it('round-trips every field and lists with filters', () => {
    const { db, experimentId, runId: teacherRunId } = memoryDb();
    const model = db.models.save({ runId: teacherRunId, kind: 'final', bundle: makeBundle() });
    const kb = db.knowledgeBases.save(makeKb(10), undefined, { teacherRunId, teacherModelId: model.id });
    const config = { env: 'CartPole-v1', hiddenSizes: [8, 8], alpha: 0.5, tau: 0.01 };
    const student = db.runs.create({ experimentId, role: 'student', config, seed: 7, backend: 'wasm', teacherRunId, teacherModelId: model.id, kbId: kb.id });
    expect(student).toMatchObject({
      experimentId,
      role: 'student',
      status: 'queued',
      config,
      seed: 7,
      backend: 'wasm',
      teacherRunId,
      teacherModelId: model.id,
      kbId: kb.id,
      summary: null,
      error: null,
      startedAt: null,
      finishedAt: null,
    });
    const loose = db.runs.create({ role: 'baseline', config: {}, seed: -3 });
    expect(loose.experimentId).toBeNull();

    const ids = (filter: Parameters<typeof db.runs.list>[0]) => db.runs.list(filter).map((r) => r.id);
    expect(ids({})).toEqual([teacherRunId, student.id, loose.id]);
    expect(ids({ experimentId })).toEqual([teacherRunId, student.id]);
    expect(ids({ experimentId: null })).toEqual([loose.id]);
    expect(ids({ role: 'student' })).toEqual([student.id]);
    expect(ids({ role: ['teacher', 'baseline'] })).toEqual([teacherRunId, loose.id]);
    db.runs.setStatus(student.id, 'running');
    expect(ids({ status: 'running' })).toEqual([student.id]);
    expect(ids({ status: ['queued'], experimentId })).toEqual([teacherRunId]);
    expect(ids({ status: [] })).toEqual([]);
    expect(() => ids({ status: 'paused' as RunStatus })).toThrow(/unknown status "paused"/);
    expect(() => db.runs.create({ role: 'critic' as 'teacher', config: {}, seed: 1 })).toThrow(/role must be one of teacher, student, baseline/);
    expect(() => db.runs.create({ role: 'teacher', config: {}, seed: 1.5 })).toThrow(/seed must be an integer/);
    db.close();
  });

  it('follows the life cycle: timestamps, backend, summary, error', () => {
    const { db, runId } = memoryDb();
    const running = db.runs.setStatus(runId, 'running', { backend: 'tensorflow' });
    expect(running.status).toBe('running');
    expect(running.backend).toBe('tensorflow');
    expect(running.startedAt).not.toBeNull();
    expect(running.finishedAt).toBeNull();
    const interrupted = db.runs.setStatus(runId, 'interrupted');
    expect(interrupted.error).toMatch(/stopped while the run was running/);
    const resumed = db.runs.setStatus(runId, 'running');
    expect(resumed.startedAt).toBe(running.startedAt);
    expect(resumed.error).toBeNull();
    expect(resumed.backend).toBe('tensorflow');
    const done = db.runs.setStatus(runId, 'completed', { summary: { meanReturn: 500, envSteps: 50_000 } });
    expect(done.finishedAt).not.toBeNull();
    expect(done.summary).toEqual({ meanReturn: 500, envSteps: 50_000 });
    db.runs.setSummary(runId, { meanReturn: 499 });
    expect(db.runs.get(runId).summary).toEqual({ meanReturn: 499 });
    expect(() => db.runs.setSummary(1234, {})).toThrow('no row with id 1234 in table runs');

    const failing = db.runs.create({ role: 'teacher', config: {}, seed: 2 });
    db.runs.setStatus(failing.id, 'running');
    expect(() => db.runs.setStatus(failing.id, 'failed')).toThrow(/a failed run needs an error message/);
    expect(db.runs.setStatus(failing.id, 'failed', { error: 'NaN loss at step 1200' }).error).toBe('NaN loss at step 1200');
    db.close();
  });

  it('allows exactly the documented transitions; the others throw and change nothing', () => {
    const { db } = memoryDb();
    // Reach each status by an allowed path, then try every target.
    const paths: Record<RunStatus, RunStatus[]> = {
      queued: [],
      running: ['running'],
      completed: ['running', 'completed'],
      failed: ['running', 'failed'],
      cancelled: ['cancelled'],
      interrupted: ['running', 'interrupted'],
    };
    const details = (s: RunStatus) => (s === 'failed' ? { error: 'x' } : {});
    let checked = 0;
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        const run = db.runs.create({ role: 'teacher', config: {}, seed: 1 });
        for (const s of paths[from]) db.runs.setStatus(run.id, s, details(s));
        expect(db.runs.get(run.id).status).toBe(from);
        const before = db.runs.get(run.id);
        if (RUN_TRANSITIONS[from].includes(to)) {
          expect(db.runs.setStatus(run.id, to, details(to)).status).toBe(to);
        } else {
          expect(() => db.runs.setStatus(run.id, to, details(to))).toThrow(new RegExp(`run ${run.id}: cannot go from ${from} to ${to}`));
          expect(db.runs.get(run.id)).toEqual(before);
        }
        checked++;
      }
    }
    expect(checked).toBe(36);
    expect(RUN_TRANSITIONS.queued).toEqual(['running', 'cancelled', 'failed', 'interrupted']);
    expect(RUN_TRANSITIONS.running).toEqual(['completed', 'failed', 'cancelled', 'interrupted']);
    expect(RUN_TRANSITIONS.interrupted).toContain('running');
    // Only completed is final: failed and cancelled runs can be reopened (resumed from their checkpoint).
    expect(RUN_TRANSITIONS.completed).toEqual([]);
    for (const reopenable of ['failed', 'cancelled'] as const) expect(RUN_TRANSITIONS[reopenable]).toEqual(['queued']);
    db.close();
  });

  it('markInterruptedOnStartup turns every running run into interrupted and returns their ids', () => {
    const { db, runId } = memoryDb();
    const ids = [runId];
    for (let i = 0; i < 4; i++) ids.push(db.runs.create({ role: 'student', config: {}, seed: i }).id);
    db.runs.setStatus(ids[0], 'running');
    db.runs.setStatus(ids[2], 'running');
    db.runs.setStatus(ids[3], 'running');
    db.runs.setStatus(ids[3], 'completed');
    db.runs.setStatus(ids[4], 'running');
    db.runs.setStatus(ids[4], 'cancelled', { error: 'user cancelled' });
    expect(db.runs.markInterruptedOnStartup().sort((a, b) => a - b)).toEqual([ids[0], ids[2]]);
    expect(ids.map((id) => db.runs.get(id).status)).toEqual(['interrupted', 'queued', 'interrupted', 'completed', 'cancelled']);
    expect(db.runs.get(ids[0]).error).toMatch(/stopped while the run was running/);
    expect(db.runs.get(ids[4]).error).toBe('user cancelled');
    expect(db.runs.markInterruptedOnStartup()).toEqual([]);
    // an interrupted run can be resumed
    expect(db.runs.setStatus(ids[0], 'running').status).toBe('running');
    db.close();
  });

  it('records the owner process while running, and markInterruptedOnStartup leaves runs of live processes alone', () => {
    const { db, runId } = memoryDb();
    const live = db.runs.create({ role: 'student', config: {}, seed: 1 }).id;
    const dead = db.runs.create({ role: 'student', config: {}, seed: 2 }).id;
    expect(db.runs.setStatus(runId, 'running').ownerPid).toBeNull();
    expect(db.runs.setStatus(live, 'running', { owner: 1111 }).ownerPid).toBe(1111);
    db.runs.setStatus(dead, 'running', { owner: 2222 });
    expect(() => db.runs.setStatus(dead, 'completed', { owner: 2222 })).toThrow(/owner must be a process id given with status running/);
    const asked: number[] = [];
    const ids = db.runs.markInterruptedOnStartup((pid) => (asked.push(pid), pid === 1111));
    expect(ids).toEqual([runId, dead]);
    expect(asked.sort()).toEqual([1111, 2222]);
    expect(db.runs.get(live)).toMatchObject({ status: 'running', ownerPid: 1111 });
    expect(db.runs.get(dead)).toMatchObject({ status: 'interrupted', ownerPid: null });
    expect(db.runs.setStatus(live, 'completed').ownerPid).toBeNull();
    // the default probe: this process is alive, a pid that cannot exist is not
    const mine = db.runs.create({ role: 'baseline', config: {}, seed: 3 }).id;
    const gone = db.runs.create({ role: 'baseline', config: {}, seed: 4 }).id;
    db.runs.setStatus(mine, 'running', { owner: process.pid });
    db.runs.setStatus(gone, 'running', { owner: 2 ** 30 });
    expect(db.runs.markInterruptedOnStartup()).toEqual([gone]);
    db.close();
  });

  it('deleting a run deletes what it owns and unlinks what refers to it', () => {
    const { db, runId: teacher } = memoryDb();
    const model = db.models.save({ runId: teacher, kind: 'final', bundle: makeBundle() });
    const kb = db.knowledgeBases.save(makeKb(5), undefined, { teacherRunId: teacher, teacherModelId: model.id });
    const student = db.runs.create({ role: 'student', config: {}, seed: 1, teacherRunId: teacher, teacherModelId: model.id, kbId: kb.id });
    db.metrics.append(teacher, [{ step: 1, key: 'losses/td_loss', value: 0.5 }]);
    const ev = db.evaluations.save({ runId: teacher, kind: 'final', returns: [1], seeds: [1], mean: 1, std: 0, ci95: Number.NaN });
    db.checkpoints.save(teacher, 10, { step: 10 });
    db.replays.save({ runId: teacher, evaluationId: ev.id, env: 'CartPole-v1', episodeSeed: 1, observationSize: 4, actionCount: 2, states: new Float32Array(8), actions: [0], rewards: [1], terminated: true });

    db.runs.setStatus(teacher, 'running');
    expect(() => db.runs.delete(teacher)).toThrow(`run ${teacher} is running: cancel it before deleting it`);
    db.runs.setStatus(teacher, 'cancelled');
    db.runs.delete(teacher);
    expect(() => db.runs.get(teacher)).toThrow(NotFoundError);
    expect(db.models.list()).toEqual([]);
    expect(db.evaluations.list()).toEqual([]);
    expect(db.replays.list()).toEqual([]);
    expect(() => db.checkpoints.load(teacher)).toThrow(`no row with id ${teacher} in table runs`);
    expect(db.runs.get(student.id)).toMatchObject({ teacherRunId: null, teacherModelId: null, kbId: kb.id });
    expect(db.knowledgeBases.get(kb.id)).toMatchObject({ teacherRunId: null, teacherModelId: null });
    expect(() => db.runs.delete(teacher)).toThrow('no row with id');
    db.close();
  });
});
