/**
 * A completed CartPole study written to a database the way the jobs write it (the same stored runs from
 * createExperimentRuns, then evaluations, replays, a knowledge base, summaries and metrics through the workers'
 * job store), with hand-written linear controllers standing in for trained networks: the service and UI tests
 * of compare, replays and the KB browser then run in a second instead of training for a minute. Everything
 * stored is real (episodes played in the real env, a KB extracted by the real extractor), only the policies
 * are simple.
 */
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { episodeSeeds, evaluatePolicy } from '../../core/eval/evaluate.ts';
import { recordEpisode } from '../../core/eval/replay.ts';
import { extractKnowledge } from '../../core/kb/extract.ts';
import { knowledgeBaseStats } from '../../core/kb/knowledge-base.ts';
import { greedyActions, type QFunction } from '../../core/nn/q-function.ts';
import { evaluateRandomPolicy } from '../../core/distill/report.ts';
import type { StudioDb } from '../../db/index.ts';
import { jobStoreFor } from '../../electron/jobs/db-store.ts';
import { createExperimentRuns } from '../../electron/service/runs.ts';

/**
 * A CartPole controller as a Q-function: Q(s, right) − Q(s, left) = 2·(w · s). With w on (θ, θ̇) it balances
 * the pole; other weights balance worse, and their actions differ from the teacher's on some steps.
 */
export function linearController(weights: readonly number[], hiddenSizes: number[] = [], obsSize = 4): QFunction {
  const spec = { inputSize: obsSize, hiddenSizes, outputSize: 2 };
  const predict = (obs: Float32Array, batch: number) => {
    const q = new Float32Array(batch * 2);
    for (let b = 0; b < batch; b++) {
      let z = 0;
      for (let d = 0; d < obsSize; d++) z += weights[d] * obs[b * obsSize + d];
      q[b * 2] = 10 - z;
      q[b * 2 + 1] = 10 + z;
    }
    return q;
  };
  return { spec, paramCount: 0, predict, act: (obs, batch, into) => greedyActions(predict(obs, batch), batch, 2, into), dispose: () => {} };
}

export const TEACHER_WEIGHTS = [0.05, 0.3, 4, 1.2];

export interface Study {
  readonly experimentId: number;
  readonly teacherRunId: number;
  readonly studentRunIds: number[];
  readonly baselineRunIds: number[];
  readonly kbId: number;
  readonly seeds: number[];
}

/** Stores a completed study: a teacher, students 4 and 8 wide (α 0 and 0.5) and their baselines over seeds 1, 2. */
export async function seedStudy(db: StudioDb, options: { name?: string; replays?: number; kbSteps?: number } = {}): Promise<Study> {
  const spec = parseExperimentSpec({
    version: 1,
    name: options.name ?? 'fixture study',
    env: 'CartPole-v1',
    teacher: { train: { preset: 'default', seed: 1, overrides: { hiddenSizes: [64, 64], totalSteps: 2000 } } },
    knowledgeBase: { steps: options.kbSteps ?? 600 },
    students: [
      { name: '4 α0', hiddenSizes: [4], alpha: 0, steps: 300 },
      { name: '8 α0.5', hiddenSizes: [8], alpha: 0.5, steps: 300 },
    ],
    baselines: { steps: 1000 },
    seeds: [1, 2],
    evaluation: { episodes: 3, replays: options.replays ?? 2 },
  });
  const created = await createExperimentRuns(db, spec);
  const store = jobStoreFor(db);
  const seeds = episodeSeeds(3);
  const teacher = linearController(TEACHER_WEIGHTS, [64, 64]);
  const runs = db.runs.list({ experimentId: created.experimentId });
  const teacherRun = runs.find((r) => r.role === 'teacher')!;
  const random = evaluateRandomPolicy('CartPole-v1', seeds);
  const teacherEval = evaluatePolicy('CartPole-v1', (o, b) => teacher.act(o, b), seeds);

  /** Evaluates, stores replays and a short curve, and completes the run with the summary `summaryOf` makes. */
  const complete = (runId: number, policy: QFunction, unit: 'env_steps' | 'gradient_updates', summaryOf: (ev: ReturnType<typeof evaluatePolicy>) => Record<string, unknown>, extra: Record<string, unknown>) => {
    db.runs.claim(runId, { backend: 'wasm', owner: process.pid });
    const ev = evaluatePolicy('CartPole-v1', (o, b) => policy.act(o, b), seeds);
    store.saveEvaluation(runId, { kind: 'final', step: 300, episodes: ev.returns.length, mean: ev.mean, std: ev.std, ci95: ev.ci95, returns: ev.returns, seeds: ev.seeds, lengths: ev.lengths, extra });
    for (const seed of seeds.slice(0, options.replays ?? 2)) store.saveReplay(runId, recordEpisode('CartPole-v1', policy, seed));
    // A short learning curve and the clock the wall-time axis reads (env steps per second).
    const points = [];
    for (let s = 100; s <= 1000; s += 100) {
      points.push({ step: s, key: 'charts/episodic_return' as const, value: Math.min(500, s / 2 + runId), unit });
      points.push({ step: s, key: 'charts/sps' as const, value: 500, unit });
    }
    store.appendMetrics(runId, points);
    // Stored as the jobs store their summaries (JSON), with the fields the views read.
    db.transaction(() => {
      db.runs.setSummary(runId, { evalMean: ev.mean, evalStd: ev.std, evalCi95: ev.ci95, evalEpisodes: ev.returns.length, ...summaryOf(ev) });
      db.runs.setStatus(runId, 'completed');
    });
    return ev;
  };

  complete(teacherRun.id, teacher, 'env_steps', () => ({ role: 'teacher', env: 'CartPole-v1', params: 4610, hiddenSizes: [64, 64], randomEvalMean: random.mean, training: { trainSeconds: 2 } }), { microsecondsPerAction: 50 });
  store.saveEvaluation(teacherRun.id, { kind: 'random', step: 0, episodes: random.returns.length, mean: random.mean, std: random.std, ci95: random.ci95, returns: random.returns, seeds: random.seeds });
  const kb = extractKnowledge(teacher, { env: 'CartPole-v1', steps: options.kbSteps ?? 600, seed: 1, epsilon: 0.05, teacherSource: `run ${teacherRun.id}` });
  const kbId = store.saveKnowledgeBase(teacherRun.id, kb, knowledgeBaseStats(kb));

  const studentRunIds: number[] = [];
  const baselineRunIds: number[] = [];
  const score = (g: number) => (g - random.mean) / (teacherEval.mean - random.mean);
  for (const r of runs.filter((x) => x.role !== 'teacher')) {
    const job = (r.config as { job: { config: { hiddenSizes: number[]; alpha?: number } } }).job;
    const width = job.config.hiddenSizes[0];
    const params = 4 * width + width + width * 2 + 2;
    // Students: controllers close to the teacher's (the wider and seed 1 closer); baselines: worse ones.
    const w = r.role === 'student' ? TEACHER_WEIGHTS.map((v, i) => v * (i === 1 ? 1 : 1 + (width === 4 ? 0.6 : 0.2) * r.seed)) : [0, 0, 1, 0.02 * r.seed];
    const policy = linearController(w, job.config.hiddenSizes);
    complete(r.id, policy, r.role === 'student' ? 'gradient_updates' : 'env_steps', (ev) => {
      const common = { role: r.role, env: 'CartPole-v1', trainSeconds: 2, studentParams: params, teacherParams: 4610, paramRatio: params / 4610, microsecondsPerAction: 5 + width, teacherEvalMean: teacherEval.mean, randomEvalMean: random.mean, normalizedScore: score(ev.mean) };
      return r.role === 'student' ? { ...common, agreement: 0.9 + width / 100, qRmse: 2 / width } : common;
    }, {});
    (r.role === 'student' ? studentRunIds : baselineRunIds).push(r.id);
  }
  return { experimentId: created.experimentId, teacherRunId: teacherRun.id, studentRunIds, baselineRunIds, kbId, seeds };
}
