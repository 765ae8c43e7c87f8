import { resolveStudentConfig, type StudentSettings } from '../core/distill/config.ts';
import { evaluateRandomPolicy, reportStudent, type StudentReport } from '../core/distill/report.ts';
import { trainStudent } from '../core/distill/train-student.ts';
import { presetConfig } from '../core/dqn/presets.ts';
import { trainTeacher } from '../core/dqn/train-teacher.ts';
import type { EnvId } from '../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../core/eval/evaluate.ts';
import { scoreScale, type ScoreScale } from '../core/eval/score.ts';
import { extractKnowledge } from '../core/kb/extract.ts';
import type { KnowledgeBase } from '../core/kb/knowledge-base.ts';
import type { QNetwork } from '../core/nn/q-network.ts';
import type { RetrievalReport } from '../core/distill/targets.ts';

export interface TrainedTeacher {
  readonly env: EnvId;
  readonly network: QNetwork;
  readonly teacherReturn: number;
  readonly randomReturn: number;
  readonly kb: KnowledgeBase;
  readonly seeds: number[];
  readonly scale: ScoreScale;
}

/**
 * The learning tests' teacher: the env's default preset (seed 1), its test return on the 20 test seeds, and a
 * 20,000-step knowledge base (ε 0.05).
 */
export async function defaultTeacher(env: EnvId, seed = 1): Promise<TrainedTeacher> {
  const teacher = await trainTeacher({ ...presetConfig(env, 'default'), env, seed });
  const seeds = episodeSeeds(20);
  const teacherReturn = evaluatePolicy(env, (o, b) => teacher.network.act(o, b), seeds).mean;
  const kb = extractKnowledge(teacher.network, { env, steps: 20_000, seed: 1, epsilon: 0.05, teacherSource: 'test' });
  const randomReturn = evaluateRandomPolicy(env, seeds).mean;
  return { env, network: teacher.network, teacherReturn, randomReturn, kb, seeds, scale: scoreScale(env, teacherReturn, randomReturn) };
}

/** A student distilled from the teacher with these settings and seed, reported on the test seeds. */
export async function distilled(t: TrainedTeacher, settings: StudentSettings, seed: number): Promise<StudentReport & { retrieval: RetrievalReport | null }> {
  const config = resolveStudentConfig(settings, t.env, seed);
  const student = await trainStudent({ config, kb: t.kb, teacher: t.network, teacherReturn: t.teacherReturn, randomReturn: t.randomReturn });
  const evaluation = evaluatePolicy(t.env, (o, b) => student.network.act(o, b), t.seeds);
  const report = reportStudent({ student: student.network, evaluation, scale: t.scale, teacherParams: t.network.paramCount, kb: t.kb, heldOutRows: student.heldOutRows });
  student.network.dispose();
  return { ...report, retrieval: student.retrieval };
}

/** The median; a missing value (null) counts as NaN, so the median of a set holding one is not a pass. */
export function median(values: readonly (number | null)[]): number {
  const xs = values.map((v) => v ?? Number.NaN);
  if (xs.some(Number.isNaN)) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
