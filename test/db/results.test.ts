import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { knowledgeBaseStats, type KnowledgeBase } from '../../core/kb/knowledge-base.ts';
import { KB_CHUNK_ROWS, NotFoundError, openDatabase } from '../../db/index.ts';
import { makeBundle, makeKb, memoryDb, tempDir } from './fixtures.ts';

const KB_COLUMNS = ['states', 'actions', 'rewards', 'nextStates', 'terminated', 'episodeEnd', 'episode', 'teacherQ'] as const;

function expectSameKb(actual: KnowledgeBase, expected: KnowledgeBase): void {
  expect(actual.size).toBe(expected.size);
  expect(actual.meta).toEqual(expected.meta);
  for (const c of KB_COLUMNS) {
    expect(actual[c].constructor).toBe(expected[c].constructor);
    expect(actual[c].byteOffset).toBe(0);
    // byte-for-byte (and fast): compare the raw bytes of each column
    const a = Buffer.from(actual[c].buffer, actual[c].byteOffset, actual[c].byteLength);
    const b = Buffer.from(expected[c].buffer, expected[c].byteOffset, expected[c].byteLength);
    expect(a.equals(b), `column ${c}`).toBe(true);
  }
}

describe('models', () => {
  it('round-trips an encoded bundle', () => {
    const { db, runId } = memoryDb();
    const bundle = makeBundle();
    const saved = db.models.save({ runId, kind: 'final', bundle });
    expect(saved).toMatchObject({ runId, kind: 'final', meta: bundle.meta, weightBytes: bundle.weights.byteLength });
    const loaded = db.models.get(saved.id);
    expect(loaded.bundle.modelJson).toEqual(bundle.modelJson);
    expect(loaded.bundle.meta).toEqual(bundle.meta);
    expect(loaded.bundle.weights).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(loaded.bundle.weights).equals(Buffer.from(bundle.weights))).toBe(true);
    expect(loaded.bundle.weights.byteOffset).toBe(0);
    expect(Array.from(new Float32Array(loaded.bundle.weights.buffer))).toEqual(Array.from(new Float32Array(bundle.weights.buffer)));

    const imported = db.models.save({ kind: 'imported', bundle });
    expect(imported.runId).toBeNull();
    db.models.save({ runId, kind: 'best', bundle });
    expect(db.models.list().map((m) => m.kind)).toEqual(['final', 'imported', 'best']);
    expect(db.models.list({ runId }).map((m) => m.kind)).toEqual(['final', 'best']);
    expect(db.models.list({ runId: null }).map((m) => m.id)).toEqual([imported.id]);
    expect(db.models.list({ kind: 'best' })).toHaveLength(1);
    db.models.delete(imported.id);
    expect(() => db.models.get(imported.id)).toThrow(`no row with id ${imported.id} in table models`);
    db.close();
  });

  it('stores only the window of a weights view, and checks its input', () => {
    const { db, runId } = memoryDb();
    const bundle = makeBundle();
    const padded = new Uint8Array(bundle.weights.byteLength + 12);
    padded.set(bundle.weights, 8);
    const view = padded.subarray(8, 8 + bundle.weights.byteLength);
    const id = db.models.save({ runId, kind: 'checkpoint', bundle: { ...bundle, weights: view } }).id;
    expect(Buffer.from(db.models.get(id).bundle.weights).equals(Buffer.from(bundle.weights))).toBe(true);
    expect(() => db.models.save({ runId, kind: 'final', bundle: { ...bundle, weights: new Uint8Array(6) } })).toThrow(/6 bytes, not a whole number of float32 weights/);
    expect(() => db.models.save({ runId, kind: 'latest' as 'final', bundle })).toThrow(/kind must be one of final, best, checkpoint, imported/);
    expect(() => db.models.save({ runId: 77, kind: 'final', bundle })).toThrow('no row with id 77 in table runs');
    db.close();
  });
});

describe('knowledge bases', () => {
  it('round-trips a 200,000-row KB spanning several chunks, every column bit for bit', () => {
    const { db, runId } = memoryDb();
    const kb = makeKb(200_000, 3);
    expect(kb.size).toBeGreaterThan(3 * KB_CHUNK_ROWS);
    const stats = knowledgeBaseStats(kb);
    const record = db.knowledgeBases.save(kb, stats, { teacherRunId: runId });
    expect(record).toMatchObject({ env: 'CartPole-v1', size: 200_000, observationSize: 4, actionCount: 2, teacherRunId: runId, teacherModelId: null });
    expect(record.stats).toEqual(JSON.parse(JSON.stringify(stats)));
    expectSameKb(db.knowledgeBases.load(record.id), kb);
    db.close();
  });

  it('round-trips small, empty and exactly-one-chunk KBs, other shapes, and computes stats when not given', () => {
    const db = openDatabase(':memory:');
    for (const kb of [makeKb(0), makeKb(1), makeKb(KB_CHUNK_ROWS, 5, 6, 3), makeKb(KB_CHUNK_ROWS + 1, 6, 2, 3)]) {
      const record = db.knowledgeBases.save(kb);
      expect(record.stats.size).toBe(kb.size);
      expectSameKb(db.knowledgeBases.load(record.id), kb);
    }
    expect(db.knowledgeBases.list().map((r) => r.size)).toEqual([0, 1, KB_CHUNK_ROWS, KB_CHUNK_ROWS + 1]);
    const runId = db.runs.create({ role: 'teacher', config: {}, seed: 1 }).id;
    const mine = db.knowledgeBases.save(makeKb(3), undefined, { teacherRunId: runId }).id;
    expect(db.knowledgeBases.list({ teacherRunId: runId }).map((r) => r.id)).toEqual([mine]);
    db.close();
  });

  it('stores a KB whose columns are views into larger buffers', () => {
    const db = openDatabase(':memory:');
    const kb = makeKb(1000);
    const backing = new Float32Array(kb.states.length + 10);
    backing.set(kb.states, 5);
    const viewed = { ...kb, states: backing.subarray(5, 5 + kb.states.length) };
    expectSameKb(db.knowledgeBases.load(db.knowledgeBases.save(viewed).id), kb);
    db.close();
  });

  it('validates on save and on load, and deletes with its chunks', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'studio.db');
      const db = openDatabase(file);
      const kb = makeKb(100);
      expect(() => db.knowledgeBases.save({ ...kb, rewards: new Float32Array(99) })).toThrow(/column "rewards" has 99 values, expected 100/);
      expect(() => db.knowledgeBases.save(kb, undefined, { teacherModelId: 5 })).toThrow('no row with id 5 in table models');
      expect(db.knowledgeBases.list()).toEqual([]);
      const id = db.knowledgeBases.save(kb).id;
      const other = db.knowledgeBases.save(makeKb(10)).id;
      db.close();

      // damage it behind the repository's back: a chunk goes missing, another is cut short
      const raw = new Database(file);
      raw.prepare(`DELETE FROM knowledge_base_chunks WHERE kb_id = ? AND column_name = 'teacherQ'`).run(id);
      raw.prepare(`UPDATE knowledge_base_chunks SET data = substr(data, 1, 8) WHERE kb_id = ? AND column_name = 'episode'`).run(other);
      raw.close();
      const again = openDatabase(file);
      expect(() => again.knowledgeBases.load(id)).toThrow(`knowledge_bases id ${id}: column "teacherQ" is missing chunk(s) 0 of 1`);
      expect(() => again.knowledgeBases.load(other)).toThrow(`knowledge_bases id ${other}: chunk 0 of column "episode" has 8 bytes, expected 40`);
      expect(() => again.knowledgeBases.load(999)).toThrow('no row with id 999 in table knowledge_bases');
      again.knowledgeBases.delete(id);
      expect(() => again.knowledgeBases.get(id)).toThrow(NotFoundError);
      expect(() => again.knowledgeBases.delete(id)).toThrow(`no row with id ${id} in table knowledge_bases`);
      again.close();
      const check = new Database(file, { readonly: true });
      expect(check.prepare('SELECT COUNT(*) FROM knowledge_base_chunks WHERE kb_id = ?').pluck().get(id)).toBe(0);
      check.close();
    } finally {
      cleanup();
    }
  });
});

describe('evaluations', () => {
  it('round-trips, lists in step order, and keeps NaN statistics', () => {
    const { db, runId } = memoryDb();
    const model = db.models.save({ runId, kind: 'best', bundle: makeBundle() });
    const v2 = db.evaluations.save({ runId, kind: 'validation', step: 2000, returns: [20, 30], seeds: [2_000_000, 2_000_001], mean: 25, std: 5, ci95: 63.5 });
    const v1 = db.evaluations.save({ runId, kind: 'validation', step: 1000, returns: [10], seeds: [2_000_000], mean: 10, std: 0, ci95: Number.NaN });
    const final = db.evaluations.save({
      runId,
      modelId: model.id,
      kind: 'final',
      step: 50_000,
      returns: [500, 480.5, 499],
      seeds: [1_000_000, 1_000_001, 1_000_002],
      lengths: [500, 481, 499],
      mean: 493.1666,
      std: 8.9,
      ci95: 22.1,
      extra: { microsecondsPerAction: 3.2, percentOfTeacher: 98.6 },
    });
    expect(db.evaluations.get(final.id)).toEqual(final);
    expect(final).toMatchObject({ modelId: model.id, episodes: 3, min: 480.5, max: 500, lengths: [500, 481, 499], extra: { microsecondsPerAction: 3.2, percentOfTeacher: 98.6 } });
    expect(v1.ci95).toBeNaN();
    expect(v1.lengths).toBeNull();
    expect(db.evaluations.list({ runId, kind: 'validation' }).map((e) => e.id)).toEqual([v1.id, v2.id]);
    expect(db.evaluations.list({ runId }).map((e) => e.id)).toEqual([final.id, v1.id, v2.id]);
    expect(db.evaluations.latestFinal(runId)?.id).toBe(final.id);
    expect(() => db.evaluations.get(123)).toThrow('no row with id 123 in table evaluations');
    db.close();
  });

  it('checks episodes line up and ids exist', () => {
    const { db, runId } = memoryDb();
    const base = { runId, kind: 'final' as const, mean: 1, std: 0, ci95: 0 };
    expect(() => db.evaluations.save({ ...base, returns: [1, 2], seeds: [1] })).toThrow(/2 returns but 1 seeds/);
    expect(() => db.evaluations.save({ ...base, returns: [1], seeds: [1.5] })).toThrow(/seeds\[0\] must be an integer/);
    expect(() => db.evaluations.save({ ...base, returns: [Number.NaN], seeds: [1] })).toThrow(/returns\[0\] must be a finite number/);
    expect(() => db.evaluations.save({ ...base, kind: 'test' as 'final', returns: [1], seeds: [1] })).toThrow(/kind must be one of final, validation, random/);
    expect(db.evaluations.save({ ...base, kind: 'random', returns: [21, 9], seeds: [1, 2] })).toMatchObject({ kind: 'random', min: 9, max: 21, step: null });
    expect(() => db.evaluations.save({ ...base, runId: 55, returns: [1], seeds: [1] })).toThrow('no row with id 55 in table runs');
    expect(() => db.evaluations.save({ ...base, modelId: 9, returns: [1], seeds: [1] })).toThrow('no row with id 9 in table models');
    expect(db.evaluations.list({ kind: 'final' })).toEqual([]);
    db.close();
  });
});

describe('replays', () => {
  it('round-trips an episode with Q-values, lists by run, evaluation and seed', () => {
    const { db, runId } = memoryDb();
    const student = db.runs.create({ role: 'student', config: {}, seed: 1, teacherRunId: runId }).id;
    const ev = db.evaluations.save({ runId, kind: 'final', returns: [3], seeds: [1_000_000], mean: 3, std: 0, ci95: 0 });
    const T = 3;
    const states = Float32Array.from({ length: (T + 1) * 4 }, (_, i) => i * 0.25 - 1);
    const qValues = Float32Array.from({ length: T * 2 }, (_, i) => 10 + i);
    const saved = db.replays.save({ runId, evaluationId: ev.id, env: 'CartPole-v1', episodeSeed: 1_000_000, observationSize: 4, actionCount: 2, states, actions: [0, 1, 1], rewards: [1, 1, 1], qValues, terminated: true });
    expect(saved).toMatchObject({ runId, evaluationId: ev.id, length: 3, episodeReturn: 3, terminated: true, episodeSeed: 1_000_000 });
    const replay = db.replays.get(saved.id);
    expect(replay.states).toEqual(states);
    expect(replay.actions).toEqual(Int32Array.from([0, 1, 1]));
    expect(replay.rewards).toEqual(Float32Array.from([1, 1, 1]));
    expect(replay.qValues).toEqual(qValues);
    expect(replay.states.byteOffset).toBe(0);

    const other = db.replays.save({ runId: student, env: 'CartPole-v1', episodeSeed: 1_000_000, observationSize: 4, actionCount: 2, states: new Float32Array(8), actions: Int32Array.from([1]), rewards: Float32Array.from([1]), terminated: false });
    expect(db.replays.get(other.id).qValues).toBeNull();
    expect(db.replays.list({ episodeSeed: 1_000_000 }).map((r) => r.runId)).toEqual([runId, student]);
    expect(db.replays.list({ runId: student }).map((r) => r.id)).toEqual([other.id]);
    expect(db.replays.list({ evaluationId: ev.id }).map((r) => r.id)).toEqual([saved.id]);
    db.replays.delete(other.id);
    expect(() => db.replays.get(other.id)).toThrow(`no row with id ${other.id} in table replays`);
    db.close();
  });

  it('checks array lengths, actions and ownership', () => {
    const { db, runId } = memoryDb();
    const base = { runId, env: 'CartPole-v1', episodeSeed: 5, observationSize: 4, actionCount: 2, actions: [0, 1], rewards: [1, 1], terminated: true };
    expect(() => db.replays.save({ ...base, states: new Float32Array(8) })).toThrow(/states has 8 values, expected 12 \(2 steps \+ the final state, × 4 dims\)/);
    expect(() => db.replays.save({ ...base, states: new Float32Array(12), rewards: [1] })).toThrow(/rewards has 1 values, expected 2/);
    expect(() => db.replays.save({ ...base, states: new Float32Array(12), qValues: new Float32Array(3) })).toThrow(/qValues has 3 values, expected 4/);
    expect(() => db.replays.save({ ...base, states: new Float32Array(12), actions: [0, 2] })).toThrow(/step 1 has action 2, outside \[0, 1\]/);
    const otherRun = db.runs.create({ role: 'baseline', config: {}, seed: 1 }).id;
    const ev = db.evaluations.save({ runId: otherRun, kind: 'final', returns: [1], seeds: [5], mean: 1, std: 0, ci95: 0 });
    expect(() => db.replays.save({ ...base, states: new Float32Array(12), evaluationId: ev.id })).toThrow(`evaluation ${ev.id} belongs to run ${otherRun}`);
    expect(() => db.replays.save({ ...base, states: new Float32Array(12), evaluationId: 99 })).toThrow('no row with id 99 in table evaluations');
    db.close();
  });
});

describe('checkpoints', () => {
  it('round-trips nested plain data with typed arrays, one per run, replaced on save', () => {
    const { db, runId } = memoryDb();
    expect(db.checkpoints.load(runId)).toBeNull();
    const checkpoint = {
      kind: 'teacher',
      version: 1,
      envSteps: 5000,
      counters: { nextTrain: 5004, nextTarget: 5500 },
      rng: { act: [1, 2, 3, 4], sample: [5, 6, 7, 8] },
      online: [Float32Array.from([0.5, -1.25]), new Float32Array(3)],
      buffer: { size: 2, states: Float64Array.from([1e-300, 2]), actions: Int32Array.from([0, 1]), dones: Uint8Array.from([0, 1]) },
      best: null,
      thresholdStep: Number.NaN,
    };
    db.checkpoints.save(runId, 5000, checkpoint);
    const loaded = db.checkpoints.load<typeof checkpoint>(runId)!;
    expect(loaded.step).toBe(5000);
    expect(loaded.value).toEqual(checkpoint);
    expect(loaded.value.online[0]).toBeInstanceOf(Float32Array);
    expect(loaded.value.buffer.actions).toBeInstanceOf(Int32Array);
    expect(loaded.bytes).toBeGreaterThan(0);
    db.checkpoints.save(runId, 6000, { ...checkpoint, envSteps: 6000 });
    expect(db.checkpoints.load<typeof checkpoint>(runId)).toMatchObject({ step: 6000, value: { envSteps: 6000 } });
    db.checkpoints.delete(runId);
    expect(db.checkpoints.load(runId)).toBeNull();
    db.checkpoints.delete(runId);
    expect(() => db.checkpoints.save(runId, -1, {})).toThrow(/step must be a non-negative integer/);
    expect(() => db.checkpoints.save(runId, 1, { f: () => 1 })).toThrow(/cannot be serialised/);
    expect(() => db.checkpoints.save(404, 1, {})).toThrow('no row with id 404 in table runs');
    expect(() => db.checkpoints.load(404)).toThrow('no row with id 404 in table runs');
    db.close();
  });
});

describe('schema constraints hold without the repositories', () => {
  it('foreign keys, RESTRICT on experiments and CHECKs are enforced by SQLite itself', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'studio.db');
      const db = openDatabase(file);
      const experimentId = db.experiments.create({ name: 'e', spec: {}, specVersion: 1 }).id;
      db.runs.create({ experimentId, role: 'teacher', config: {}, seed: 1 });
      db.close();
      const raw = new Database(file);
      raw.pragma('foreign_keys = ON');
      expect(() => raw.prepare('DELETE FROM experiments WHERE id = ?').run(experimentId)).toThrow(/FOREIGN KEY constraint failed/);
      expect(() => raw.prepare(`INSERT INTO runs (role, config, seed, experiment_id) VALUES ('teacher', '{}', 1, 999)`).run()).toThrow(/FOREIGN KEY constraint failed/);
      expect(() => raw.prepare(`INSERT INTO runs (role, config, seed) VALUES ('critic', '{}', 1)`).run()).toThrow(/CHECK constraint failed/);
      expect(() => raw.prepare(`INSERT INTO runs (role, config, seed) VALUES ('teacher', 'not json', 1)`).run()).toThrow(/CHECK constraint failed/);
      expect(() => raw.prepare(`INSERT INTO runs (role, config, seed, status) VALUES ('teacher', '{}', 1, 'failed')`).run()).toThrow(/CHECK constraint failed/);
      expect(() => raw.prepare(`INSERT INTO runs (role, config, seed) VALUES ('teacher', '{}', 'one')`).run()).toThrow(/cannot store TEXT value in INTEGER column/);
      raw.close();
    } finally {
      cleanup();
    }
  });
});
