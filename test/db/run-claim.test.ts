import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunClaimError, openDatabase } from '../../db/index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-claim-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('claiming and reopening runs', () => {
  it('claim takes a queued or interrupted run once; a second claim is refused naming the process and writes nothing', () => {
    const db = openDatabase(':memory:');
    const id = db.runs.create({ role: 'teacher', config: {}, seed: 1 }).id;
    const claimed = db.runs.claim(id, { owner: 4242, backend: 'wasm' });
    expect(claimed).toMatchObject({ status: 'running', ownerPid: 4242, backend: 'wasm', error: null });
    const before = db.runs.get(id);
    expect(() => db.runs.claim(id, { owner: 5151 })).toThrow(new RunClaimError(id, 'running', `run ${id} is running in process 4242`, 4242));
    expect(db.runs.get(id)).toEqual(before);
    db.runs.setStatus(id, 'interrupted');
    expect(db.runs.claim(id, { owner: 5151 })).toMatchObject({ status: 'running', ownerPid: 5151, backend: 'wasm', startedAt: before.startedAt });
    db.runs.setStatus(id, 'completed');
    expect(() => db.runs.claim(id, { owner: 1 })).toThrow(`run ${id} has already completed`);
    expect(() => db.runs.claim(999, { owner: 1 })).toThrow('no row with id 999 in table runs');
    db.close();
  });

  it('of two connections claiming at once, exactly one wins', () => {
    const file = path.join(tmp, 'two.db');
    const a = openDatabase(file);
    const b = openDatabase(file);
    const ids = Array.from({ length: 20 }, () => a.runs.create({ role: 'student', config: {}, seed: 1 }).id);
    let wins = 0;
    let refusals = 0;
    for (const id of ids) {
      for (const [db, pid] of [[a, 100], [b, 200]] as const) {
        try {
          db.runs.claim(id, { owner: pid });
          wins++;
        } catch (err) {
          expect(err).toBeInstanceOf(RunClaimError);
          refusals++;
        }
      }
    }
    expect([wins, refusals]).toEqual([20, 20]);
    a.close();
    b.close();
  });

  it('requeue reopens interrupted, cancelled and failed runs and refuses running and completed ones', () => {
    const db = openDatabase(':memory:');
    const make = () => db.runs.create({ role: 'student', config: {}, seed: 1 }).id;
    const cancelled = make();
    db.runs.setStatus(cancelled, 'cancelled', { error: 'by the user' });
    const failed = make();
    db.runs.claim(failed, { owner: 7 });
    db.runs.setStatus(failed, 'failed', { error: 'database is locked' });
    const queued = make();
    for (const id of [cancelled, failed, queued]) expect(db.runs.requeue(id)).toMatchObject({ status: 'queued', error: null, finishedAt: null, ownerPid: null });
    const running = make();
    db.runs.claim(running, { owner: 77 });
    expect(() => db.runs.requeue(running)).toThrow(`run ${running} is running in process 77`);
    db.runs.setStatus(running, 'completed');
    expect(() => db.runs.requeue(running)).toThrow(`run ${running} has already completed`);
    // A queued run whose studio stopped becomes interrupted, and can be claimed from there.
    expect(db.runs.setStatus(queued, 'interrupted').status).toBe('interrupted');
    expect(db.runs.claim(queued, { owner: 9 }).status).toBe('running');
    db.close();
  });

  it('statsByExperiment counts runs by status and finds the best completed student and the teacher return', () => {
    const db = openDatabase(':memory:');
    const e1 = db.experiments.create({ name: 'a', spec: {}, specVersion: 1 }).id;
    const e2 = db.experiments.create({ name: 'b', spec: {}, specVersion: 1 }).id;
    const run = (experimentId: number, role: 'teacher' | 'student' | 'baseline', summary?: Record<string, unknown>) => {
      const id = db.runs.create({ experimentId, role, config: {}, seed: 1 }).id;
      if (summary) {
        db.runs.claim(id, { owner: 1 });
        db.runs.setStatus(id, 'completed', { summary });
      }
      return id;
    };
    run(e1, 'teacher', { evalMean: 487.5 });
    run(e1, 'student', { normalizedScore: 0.91 });
    const best = run(e1, 'student', { normalizedScore: 0.99 });
    run(e1, 'baseline', { normalizedScore: 1.5 }); // baselines do not count
    run(e1, 'student');
    run(e2, 'teacher');
    db.runs.create({ role: 'student', config: {}, seed: 1 }); // outside any experiment
    const stats = db.runs.statsByExperiment();
    expect(stats.get(e1)).toEqual({
      counts: { queued: 1, running: 0, completed: 4, failed: 0, cancelled: 0, interrupted: 0 },
      total: 5,
      bestStudentScore: 0.99,
      bestStudentRunId: best,
      teacherReturn: 487.5,
    });
    expect(stats.get(e2)).toMatchObject({ total: 1, bestStudentScore: null, teacherReturn: null });
    expect([...db.runs.statsByExperiment(e2).keys()]).toEqual([e2]);
    db.close();
  });

  it('checkpoints.info tells the step without reading the checkpoint', () => {
    const db = openDatabase(':memory:');
    const id = db.runs.create({ role: 'teacher', config: {}, seed: 1 }).id;
    expect(db.checkpoints.info(id)).toBeNull();
    db.checkpoints.save(id, 3000, { weights: new Float32Array(10) });
    expect(db.checkpoints.info(id)).toMatchObject({ step: 3000 });
    expect(db.checkpoints.info(id)!.bytes).toBeGreaterThan(40);
    db.close();
  });
});
