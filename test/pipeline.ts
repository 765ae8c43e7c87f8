import { presetConfig } from '../core/dqn/presets.ts';
import { trainTeacher } from '../core/dqn/train-teacher.ts';
import { parseStudentConfig, studentDefaults } from '../core/distill/config.ts';
import { evaluateRandomPolicy, reportStudent } from '../core/distill/report.ts';
import { trainStudent } from '../core/distill/train-student.ts';
import type { EnvId } from '../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../core/eval/evaluate.ts';
import { extractKnowledge } from '../core/kb/extract.ts';

/**
 * The learning tests' pipeline: the env's default teacher (seed 1), a 20,000-step knowledge base (ε 0.05),
 * and a student distilled offline for 4,000 updates, all reported on the 20 test seeds.
 */
export async function teacherToStudent(env: EnvId, hiddenSizes: number[]) {
  const teacher = await trainTeacher({ ...presetConfig(env, 'default'), env, seed: 1 });
  const seeds = episodeSeeds(20);
  const teacherReturn = evaluatePolicy(env, (o, b) => teacher.network.act(o, b), seeds).mean;
  const kb = extractKnowledge(teacher.network, { env, steps: 20_000, seed: 1, epsilon: 0.05, teacherSource: 'test' });
  const randomReturn = evaluateRandomPolicy(env, seeds).mean;
  const config = parseStudentConfig({ ...studentDefaults(env, 'offline'), hiddenSizes, steps: 4000, env, seed: 1 });
  const student = await trainStudent({ config, kb, teacher: teacher.network, teacherReturn, randomReturn });
  const report = reportStudent({ env, student: student.network, seeds, teacherReturn, randomReturn, teacherParams: teacher.network.paramCount, kb, heldOutRows: student.heldOutRows });
  teacher.network.dispose();
  student.network.dispose();
  return { teacherReturn, report };
}
