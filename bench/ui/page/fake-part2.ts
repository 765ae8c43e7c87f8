/**
 * Generated data for the part-2 UI benchmarks (never part of the app): a compare selection of N runs, a pair
 * of CartPole-like episodes, and a knowledge base of N rows with base64 columns, as the host would answer.
 */
import type { CompareRunView, KnowledgeBaseView, ReplayIndexView, ReplayView } from '../../../electron/api/contract.ts';

const rand = (i: number) => {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x);
};

/** `n` runs: one teacher, then students and baselines over sizes × α × seeds (10 seeds per configuration). */
export function compareRuns(n: number): CompareRunView[] {
  const sizes = [[4], [8], [4, 4], [8, 8], [16, 16], [32, 32], [64, 64]];
  const alphas = [0, 0.25, 0.5, 0.75, 1];
  const out: CompareRunView[] = [];
  for (let i = 0; i < n; i++) {
    const role = i === 0 ? 'teacher' : i % 6 === 0 ? 'baseline' : 'student';
    const config = Math.floor(i / 10);
    const h = role === 'teacher' ? [256, 256] : sizes[config % sizes.length];
    const params = 4 * h[0] + h[0] + (h[1] ? h[0] * h[1] + h[1] : 0) + 2 * h[h.length - 1] + 2;
    const alpha = alphas[Math.floor(config / sizes.length) % alphas.length];
    const score = role === 'teacher' ? 1 : Math.min(1.05, Math.log10(params) / 3.5 + (rand(i) - 0.5) * 0.2 - (role === 'baseline' ? 0.4 : 0));
    out.push({
      id: i + 1,
      experimentId: 1 + Math.floor(i / 100),
      experimentName: `sweep ${1 + Math.floor(i / 100)}`,
      role,
      name: role === 'teacher' ? 'teacher' : `${h.join('-')} α${alpha} · seed ${(i % 10) + 1}`,
      status: 'completed',
      env: 'CartPole-v1',
      seed: (i % 10) + 1,
      backend: 'wasm+fused',
      hiddenSizes: h,
      params,
      paramRatio: params / 67_842,
      student: role === 'student' ? { alpha, alphaSchedule: 'constant', alphaEnd: alpha, tau: 0.01, softLoss: 'kl', hardLoss: 'td', method: 'supervised', mode: 'offline', steps: 5000 } : null,
      budget: role === 'student' ? 5000 : 50_000,
      budgetUnit: role === 'student' ? 'gradient_updates' : 'env_steps',
      result: { evalMean: 20 + score * 480, evalStd: 30, evalCi95: 14, episodes: 20, normalizedScore: score, normalizedCi95: 0.03, microsecondsPerAction: 20 + params / 1000, agreement: role === 'student' ? 0.8 + rand(i + 7) * 0.2 : null, qRmse: role === 'student' ? rand(i + 3) * 5 : null, teacherEvalMean: 500, randomEvalMean: 20 },
      trainSeconds: 30,
      startedAt: null,
      finishedAt: null,
      teacherRunId: role === 'teacher' ? null : 1,
      teacherModelId: null,
      kbId: 1,
      studentRunIds: role === 'teacher' ? Array.from({ length: n - 1 }, (_, k) => k + 2) : [],
      replays: 2,
      hasModel: true,
    });
  }
  return out;
}

/** A CartPole-like episode of `length` steps (a swaying pole on a drifting cart), with Q-values. */
export function episode(runId: number, length: number, phase: number): ReplayView {
  const states: number[] = [];
  const actions: number[] = [];
  const q: number[] = [];
  for (let t = 0; t <= length; t++) {
    const theta = 0.15 * Math.sin(t / 9 + phase);
    states.push(1.5 * Math.sin(t / 120 + phase), 0, theta, 0.1 * Math.cos(t / 9 + phase));
    if (t < length) {
      const a = theta + 0.02 * Math.sin(t * 1.7 + phase) > 0 ? 1 : 0;
      actions.push(a);
      q.push(90 + 5 * Math.sin(t / 30), 90 + 5 * Math.sin(t / 30) + (a ? 0.5 : -0.5));
    }
  }
  return { id: runId, runId, episodeSeed: 1_000_000, length, episodeReturn: length, terminated: false, env: 'CartPole-v1', observationSize: 4, actionCount: 2, states, actions, rewards: new Array(length).fill(1), qValues: q };
}

export function replayIndex(length: number): ReplayIndexView {
  const ref = (runId: number, role: 'teacher' | 'student', name: string) => ({ runId, experimentId: 1, name, role, hiddenSizes: role === 'teacher' ? [64, 64] : [8, 8], seed: 1, replays: [{ id: runId, runId, episodeSeed: 1_000_000, length, episodeReturn: length, terminated: false }] });
  return { env: 'CartPole-v1', run: ref(2, 'student', 'student 8-8'), partners: [ref(1, 'teacher', 'teacher')], defaultPartnerId: 1 };
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A CartPole-shaped KB of `rows` rows: states spread like a teacher's rollout, the greedy action from θ and θ̇. */
export function knowledgeBase(rows: number): KnowledgeBaseView {
  const states = new Float32Array(rows * 4);
  const greedy = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const r1 = rand(i * 4 + 1) - 0.5;
    const r2 = rand(i * 4 + 2) - 0.5;
    states.set([r1 * 2, rand(i * 4 + 3) - 0.5, r2 * 0.3, (r1 + r2) * 1.2], i * 4);
    greedy[i] = r2 * 0.3 + 0.3 * (r1 + r2) * 1.2 > 0 ? 1 : 0;
  }
  const hist = (n: number) => ({ lo: 0, hi: 100, counts: Array.from({ length: 40 }, (_, k) => Math.round(n * Math.exp(-((k - 20) ** 2) / 50) * 0.05)), n });
  return {
    id: 1,
    env: 'CartPole-v1',
    size: rows,
    episodes: Math.round(rows / 400),
    meanEpisodeReturn: 400,
    epsilon: 0.05,
    observationSize: 4,
    actionCount: 2,
    teacherRunId: 1,
    teacherModelId: 1,
    teacherLabel: 'teacher run 1 (64-64)',
    experimentId: 1,
    experimentName: 'bench',
    createdAt: new Date().toISOString(),
    seed: 1,
    numEnvs: 8,
    incompleteEpisodes: 8,
    teacher: { source: 'run 1', paramCount: 4610, hiddenSizes: [64, 64] },
    stats: { stateMean: [0, 0, 0, 0], stateStd: [1, 0.3, 0.1, 0.5], stateMin: [-1, -0.5, -0.15, -1.2], stateMax: [1, 0.5, 0.15, 1.2], actionMix: [0.5, 0.5], greedyMix: [0.5, 0.5], greedyFraction: 0.975, returnMean: 400, returnStd: 50, returnMin: 200, returnMax: 500, teacherMaxQMean: 90, teacherMaxQStd: 5 },
    points: { rows, states: base64(new Uint8Array(states.buffer)), greedy: base64(greedy) },
    histograms: { qByAction: [hist(rows), hist(rows)], gap: hist(rows), returns: hist(Math.round(rows / 400)) },
    students: [],
    outsideRadius: [],
  };
}
