/**
 * From a validated spec to the runs an experiment consists of: one teacher run (train, or an existing model),
 * then per seed one student run per student spec and one baseline per distinct student size. Students and
 * baselines depend on the teacher run (its model and knowledge base).
 *
 * A baseline's env-step budget is what the students of its size consumed from the environment: the KB's
 * transitions, plus the student's own for online students (or `baselines.steps` when the spec gives it).
 */
import type { DqnConfig } from '../dqn/config.ts';
import { parseDqnConfig } from '../dqn/config.ts';
import { presetConfig, type PresetName } from '../dqn/presets.ts';
import { parseStudentConfig, studentDefaults, type StudentConfig } from '../distill/config.ts';
import type { ExperimentSpec } from './spec.ts';

export interface PlannedTeacher {
  readonly config: DqnConfig | null;
  readonly modelPath?: string;
  readonly modelId?: number;
  readonly seed: number;
}

export interface PlannedStudent {
  readonly name: string;
  readonly config: StudentConfig;
}

export interface PlannedBaseline {
  readonly name: string;
  readonly config: DqnConfig;
}

export interface ExperimentPlan {
  readonly teacher: PlannedTeacher;
  readonly students: PlannedStudent[];
  readonly baselines: PlannedBaseline[];
}

/** A from-scratch DQN baseline: the env's default preset on the student's architecture and env-step budget. */
export function baselineConfig(env: DqnConfig['env'], hiddenSizes: number[], steps: number, seed: number): DqnConfig {
  const preset = presetConfig(env, 'default');
  return parseDqnConfig({
    ...preset,
    env,
    seed,
    hiddenSizes,
    totalSteps: steps,
    learningStarts: Math.min(preset.learningStarts, Math.floor(steps / 10)),
    evalEvery: Math.max(1000, Math.round(steps / 20)),
  });
}

export function planExperiment(spec: ExperimentSpec): ExperimentPlan {
  let teacher: PlannedTeacher;
  if ('train' in spec.teacher) {
    const t = spec.teacher.train;
    teacher = { config: parseDqnConfig({ ...presetConfig(spec.env, t.preset as PresetName), ...t.overrides, env: spec.env, seed: t.seed }), seed: t.seed };
  } else if ('model' in spec.teacher) teacher = { config: null, modelPath: spec.teacher.model, seed: 0 };
  else teacher = { config: null, modelId: spec.teacher.modelId, seed: 0 };

  const students: PlannedStudent[] = [];
  // Env steps consumed by the students of each size: the KB's transitions, plus their own when online.
  const budgets = new Map<string, { sizes: number[]; steps: number }>();
  for (const seed of spec.seeds) {
    for (const s of spec.students) {
      const { name, ...fields } = s;
      const config = parseStudentConfig({ ...studentDefaults(spec.env, fields.mode ?? 'offline'), ...fields, env: spec.env, seed });
      const label = name ?? `${config.hiddenSizes.join('-')} ${config.mode} ${config.source} α=${config.alpha}`;
      students.push({ name: `${label} · seed ${seed}`, config });
      const key = config.hiddenSizes.join(',');
      const used = spec.knowledgeBase.steps + (config.mode === 'online' ? config.steps : 0);
      budgets.set(key, { sizes: config.hiddenSizes, steps: Math.max(budgets.get(key)?.steps ?? 0, used) });
    }
  }

  const baselines: PlannedBaseline[] = [];
  if (spec.baselines !== false) {
    for (const { sizes, steps: used } of budgets.values()) {
      const steps = typeof spec.baselines === 'object' ? spec.baselines.steps : used;
      for (const seed of spec.seeds) baselines.push({ name: `baseline ${sizes.join('-')} · seed ${seed}`, config: baselineConfig(spec.env, sizes, steps, seed) });
    }
  }
  return { teacher, students, baselines };
}
