/**
 * Knowledge extraction (seed §3.1): roll the teacher out ε-greedily in a vector env and record, per
 * transition, the state, action, reward, true next state, termination and the teacher's Q for every action.
 * Each copy's rows are buffered until its episode ends, so one episode's rows are contiguous in the KB.
 * Episodes still running when the budget is spent are kept (their last row is marked as an episode end)
 * and listed in `meta.incompleteEpisodes`, so statistics can leave them out.
 */
import { VectorEnv, type EnvId } from '../envs/index.ts';
import type { QFunction } from '../nn/q-function.ts';
import { argmax } from '../nn/q-network.ts';
import { runCooperatively, runToEnd, type Work } from '../training/cooperative.ts';
import { Rng } from '../util/rng.ts';
import type { KnowledgeBase, KnowledgeBaseMeta } from './knowledge-base.ts';

export interface ExtractOptions {
  readonly env: EnvId;
  /** Transitions to record. */
  readonly steps: number;
  readonly seed: number;
  /** ε of the teacher's behaviour (default 0.05). */
  readonly epsilon?: number;
  readonly numEnvs?: number;
  /** Describes the teacher in the KB's meta (bundle path or model id). */
  readonly teacherSource: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export function extractKnowledge(teacher: QFunction, options: ExtractOptions): KnowledgeBase {
  return runToEnd(extractionWork(teacher, options));
}

/** The same extraction, yielding to the event loop as it goes; `signal` cancels it (CancelledError). */
export function extractKnowledgeAsync(teacher: QFunction, options: ExtractOptions & { readonly signal?: AbortSignal }): Promise<KnowledgeBase> {
  return runCooperatively(extractionWork(teacher, options), { what: 'knowledge extraction', ...(options.signal ? { signal: options.signal } : {}) });
}

/** Yields the number of transitions recorded after each vector step. */
function* extractionWork(teacher: QFunction, options: ExtractOptions): Work<KnowledgeBase> {
  const epsilon = options.epsilon ?? 0.05;
  const numEnvs = options.numEnvs ?? 8;
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error(`extract: steps must be a positive integer, got ${options.steps}`);
  if (!(epsilon >= 0 && epsilon <= 1)) throw new Error(`extract: epsilon must be in [0, 1], got ${epsilon}`);
  const envs = new VectorEnv(options.env, numEnvs);
  const n = envs.observationSize;
  const a = envs.actionCount;
  if (teacher.spec.inputSize !== n || teacher.spec.outputSize !== a) {
    throw new Error(`extract: the teacher is a ${teacher.spec.inputSize}→${teacher.spec.outputSize} network but ${options.env} has ${n} observations and ${a} actions`);
  }
  const total = options.steps;
  const kb = {
    states: new Float32Array(total * n),
    actions: new Int32Array(total),
    rewards: new Float32Array(total),
    nextStates: new Float32Array(total * n),
    terminated: new Uint8Array(total),
    episodeEnd: new Uint8Array(total),
    episode: new Int32Array(total),
    teacherQ: new Float32Array(total * a),
  };
  // Per-copy staging of the running episode (row-major, grown as needed).
  type Stage = { rows: number; states: number[]; actions: number[]; rewards: number[]; next: number[]; terminated: number[]; q: number[] };
  const stages: Stage[] = Array.from({ length: numEnvs }, () => ({ rows: 0, states: [], actions: [], rewards: [], next: [], terminated: [], q: [] }));
  let written = 0;
  let episodeId = 0;
  const incompleteEpisodes: number[] = [];
  /** Moves a copy's staged episode into the KB; `complete` is false for one cut by the budget. */
  const flush = (s: Stage, complete: boolean): void => {
    const rows = Math.min(s.rows, total - written);
    if (rows <= 0) return;
    if (!complete || rows < s.rows) incompleteEpisodes.push(episodeId);
    kb.states.set(s.states.slice(0, rows * n), written * n);
    kb.nextStates.set(s.next.slice(0, rows * n), written * n);
    kb.teacherQ.set(s.q.slice(0, rows * a), written * a);
    for (let r = 0; r < rows; r++) {
      kb.actions[written + r] = s.actions[r];
      kb.rewards[written + r] = s.rewards[r];
      kb.terminated[written + r] = s.terminated[r];
      kb.episode[written + r] = episodeId;
    }
    kb.episodeEnd[written + rows - 1] = 1;
    written += rows;
    episodeId++;
    s.rows = 0;
    s.states.length = s.actions.length = s.rewards.length = s.next.length = s.terminated.length = s.q.length = 0;
  };

  const rng = new Rng(options.seed);
  const actRng = rng.fork();
  const actions = new Int32Array(numEnvs);
  let obs = envs.reset(options.seed);
  let stepped = 0;
  while (stepped < total) {
    const q = teacher.predict(obs, numEnvs);
    for (let i = 0; i < numEnvs; i++) actions[i] = actRng.random() < epsilon ? actRng.int(a) : argmax(q, i * a, a);
    const r = envs.step(actions);
    for (let i = 0; i < numEnvs; i++) {
      const s = stages[i];
      for (let d = 0; d < n; d++) {
        s.states.push(obs[i * n + d]);
        s.next.push(r.finalObservations[i * n + d]);
      }
      for (let j = 0; j < a; j++) s.q.push(q[i * a + j]);
      s.actions.push(actions[i]);
      s.rewards.push(r.rewards[i]);
      s.terminated.push(r.terminated[i]);
      s.rows++;
      stepped++;
      if (r.terminated[i] || r.truncated[i]) flush(s, true);
    }
    obs = Float32Array.from(r.observations);
    options.onProgress?.(Math.min(stepped, total), total);
    yield Math.min(stepped, total);
  }
  for (const s of stages) flush(s, false);
  const meta: KnowledgeBaseMeta = {
    env: options.env,
    observationSize: n,
    actionCount: a,
    teacher: { source: options.teacherSource, paramCount: teacher.paramCount, hiddenSizes: [...teacher.spec.hiddenSizes] },
    seed: options.seed,
    epsilon,
    createdAt: new Date().toISOString(),
    incompleteEpisodes,
    numEnvs,
  };
  // Every stepped row is flushed and the budget clips the last ones, so exactly `total` rows were written.
  return { meta, size: written, ...kb };
}
