/**
 * How a student compares with its teacher: greedy return on the shared test seeds, normalised score
 * (G − G_random)/(G_teacher − G_random) (core/eval/score.ts), parameters and their ratio, µs per action
 * (batch 1), agreement with the teacher's argmax and Q-value error on held-out KB states.
 */
import { createEnv } from '../envs/index.ts';
import { evaluatePolicy, type BatchPolicy, type EvaluationResult } from '../eval/evaluate.ts';
import type { KnowledgeBase } from '../kb/knowledge-base.ts';
import type { QFunction } from '../nn/q-function.ts';
import { argmax, type QNetwork } from '../nn/q-network.ts';
import { Rng } from '../util/rng.ts';
import { scoreOn, type ScoreScale } from '../eval/score.ts';

/** A uniformly random policy with its own fixed action seed (reproducible). */
export function randomPolicy(env: string): BatchPolicy {
  const rng = new Rng(0x5eed);
  const actions = createEnv(env).actionCount;
  return (_o, b) => Int32Array.from({ length: b }, () => rng.int(actions));
}

/** A uniformly random policy's return on the given seeds. */
export function evaluateRandomPolicy(env: string, seeds: readonly number[]): EvaluationResult {
  return evaluatePolicy(env, randomPolicy(env), seeds);
}

/** Median wall-clock µs of one greedy action at batch 1 (the latency a deployed policy sees). */
export function measureActionLatency(net: QFunction, calls = 300): number {
  const obs = new Float32Array(net.spec.inputSize).map((_, i) => 0.01 * (i + 1));
  const out = new Int32Array(1);
  for (let i = 0; i < 20; i++) net.act(obs, 1, out);
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    net.act(obs, 1, out);
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  return samples[samples.length >> 1] * 1000;
}

/** Agreement with the teacher's argmax and Q error (RMSE and MAE over all actions) on the given KB rows. */
export function teacherAgreement(student: QNetwork, kb: KnowledgeBase, rows: Int32Array): { agreement: number; qRmse: number; qMae: number; rows: number } {
  if (rows.length === 0) return { agreement: Number.NaN, qRmse: Number.NaN, qMae: Number.NaN, rows: 0 };
  const n = kb.meta.observationSize;
  const a = kb.meta.actionCount;
  const chunk = 4096;
  let agree = 0;
  let se = 0;
  let ae = 0;
  const obs = new Float32Array(chunk * n);
  for (let start = 0; start < rows.length; start += chunk) {
    const count = Math.min(chunk, rows.length - start);
    for (let i = 0; i < count; i++) obs.set(kb.states.subarray(rows[start + i] * n, rows[start + i] * n + n), i * n);
    const q = student.predict(obs.subarray(0, count * n), count);
    for (let i = 0; i < count; i++) {
      const row = rows[start + i];
      if (argmax(q, i * a, a) === argmax(kb.teacherQ, row * a, a)) agree++;
      for (let j = 0; j < a; j++) {
        const d = q[i * a + j] - kb.teacherQ[row * a + j];
        se += d * d;
        ae += Math.abs(d);
      }
    }
  }
  return { agreement: agree / rows.length, qRmse: Math.sqrt(se / (rows.length * a)), qMae: ae / (rows.length * a), rows: rows.length };
}

export type StudentReport = {
  readonly evalMean: number;
  readonly evalStd: number;
  readonly evalCi95: number;
  readonly evalEpisodes: number;
  /** Null when the teacher is not better than random by the margin (core/eval/score.ts; the reason is in the scale's warnings). */
  readonly normalizedScore: number | null;
  readonly teacherEvalMean: number;
  readonly randomEvalMean: number;
  readonly studentParams: number;
  readonly teacherParams: number | null;
  readonly paramRatio: number | null;
  readonly microsecondsPerAction: number;
  readonly agreement: number | null;
  readonly qRmse: number | null;
  readonly heldOutRows: number;
};

/** The report of a student whose greedy test evaluation is `evaluation` (on the teacher's and the random policy's seeds). */
export function reportStudent(args: {
  student: QNetwork;
  evaluation: EvaluationResult;
  scale: ScoreScale;
  teacherParams: number | null;
  kb?: KnowledgeBase | null;
  heldOutRows?: Int32Array;
}): StudentReport {
  const { evaluation } = args;
  const agreement = args.kb && args.heldOutRows ? teacherAgreement(args.student, args.kb, args.heldOutRows) : null;
  return {
    evalMean: evaluation.mean,
    evalStd: evaluation.std,
    evalCi95: evaluation.ci95,
    evalEpisodes: evaluation.returns.length,
    normalizedScore: scoreOn(args.scale, evaluation.mean),
    teacherEvalMean: args.scale.teacherReturn,
    randomEvalMean: args.scale.randomReturn,
    studentParams: args.student.paramCount,
    teacherParams: args.teacherParams,
    paramRatio: args.teacherParams ? args.student.paramCount / args.teacherParams : null,
    microsecondsPerAction: measureActionLatency(args.student),
    agreement: agreement && agreement.rows > 0 ? agreement.agreement : null,
    qRmse: agreement && agreement.rows > 0 ? agreement.qRmse : null,
    heldOutRows: agreement?.rows ?? 0,
  };
}
