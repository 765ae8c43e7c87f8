/** Fixtures of the fault-injection suite: a large experiment database, and a valid bundle without tfjs. */
import { encodeBundle, type EncodedBundle } from '../../core/nn/bundle.ts';
import type { QNetwork } from '../../core/nn/q-network.ts';
import { openDatabase } from '../../db/index.ts';
import { makeKb } from '../db/fixtures.ts';

/** A bundle of a 4-8-2 CartPole network as encodeBundle writes it (the network is a stand-in: no tfjs needed). */
export function realBundle(seed = 1): EncodedBundle {
  const spec = { inputSize: 4, hiddenSizes: [8], outputSize: 2 };
  const values = [new Float32Array(32), new Float32Array(8), new Float32Array(16), new Float32Array(2)].map((a, j) => a.map((_, i) => Math.sin(seed * 7 + j * 31 + i) * 0.5));
  const network = { spec, getWeights: () => values, paramCount: 58 } as unknown as QNetwork;
  return encodeBundle(network, { env: 'CartPole-v1', backend: 'cpu', training: { role: 'teacher', seed } });
}

const KEYS = ['charts/episodic_return', 'charts/epsilon', 'losses/td_loss', 'train/gradient_steps'] as const;

/**
 * An experiment with a completed teacher (model, KB of `kbRows` rows, final evaluation, replay) and a student
 * with `points` metric points over four keys and a 4 MB checkpoint, left `running` by this process when
 * `running` is set (as if exported from a studio that was training it).
 */
export function buildLargeExperiment(file: string, options: { points: number; kbRows: number; running?: boolean }): { experimentId: number; teacherRunId: number; studentRunId: number } {
  const db = openDatabase(file);
  try {
    const experimentId = db.experiments.create({ name: 'large', spec: { version: 1, name: 'large', env: 'CartPole-v1' }, specVersion: 1 }).id;
    const teacher = db.runs.create({ experimentId, role: 'teacher', config: { env: 'CartPole-v1' }, seed: 1 });
    db.runs.setStatus(teacher.id, 'running', { backend: 'cpu', owner: process.pid });
    const model = db.models.save({ runId: teacher.id, kind: 'final', bundle: realBundle() });
    db.knowledgeBases.save(makeKb(options.kbRows), undefined, { teacherRunId: teacher.id, teacherModelId: model.id });
    const evaluation = db.evaluations.save({ runId: teacher.id, modelId: model.id, kind: 'final', step: 1000, returns: [500, 480], seeds: [1, 2], lengths: [500, 480], mean: 490, std: 14.1, ci95: 127 });
    db.replays.save({ runId: teacher.id, evaluationId: evaluation.id, env: 'CartPole-v1', episodeSeed: 1, observationSize: 4, actionCount: 2, states: new Float32Array(4 * 11), actions: new Int32Array(10), rewards: new Float32Array(10).fill(1), qValues: null, terminated: true });
    db.runs.setStatus(teacher.id, 'completed', { summary: { meanReturn: 490 } });
    const student = db.runs.create({ experimentId, role: 'student', config: { env: 'CartPole-v1' }, seed: 1, teacherRunId: teacher.id, teacherModelId: model.id });
    db.runs.setStatus(student.id, 'running', { backend: 'cpu', owner: process.pid });
    const perKey = Math.ceil(options.points / KEYS.length);
    for (const key of KEYS) {
      for (let from = 0; from < perKey; from += 50_000) {
        const n = Math.min(50_000, perKey - from);
        db.metrics.append(student.id, Array.from({ length: n }, (_, i) => ({ step: from + i, key, value: Math.sin(from + i) })));
      }
    }
    db.checkpoints.save(student.id, perKey, { weights: new Float32Array(1 << 20).fill(0.25), step: perKey });
    if (!options.running) db.runs.setStatus(student.id, 'interrupted');
    return { experimentId, teacherRunId: teacher.id, studentRunId: student.id };
  } finally {
    db.close();
  }
}
