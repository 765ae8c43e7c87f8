/**
 * From a validated spec to the runs an experiment consists of: one teacher run (train, or an existing model),
 * then per seed one student run per student spec and one baseline per distinct student size. Students and
 * baselines depend on the teacher run (its model and knowledge base).
 *
 * A baseline's env-step budget is what the students of its size consumed from the environment: the KB's
 * transitions for students that learn from the KB (supervised, retrieval, teacher offline), plus the student's
 * own for online students; times `baselines.budgetFactor`, or `baselines.steps` when the spec gives it. With
 * `baselines.stopAtScore` a baseline stops once its validation reaches that normalised score (the return is
 * set when the baseline runs, from the teacher's and a random policy's test returns).
 */
import type { DqnConfig } from '../dqn/config.ts';
import { parseDqnConfig } from '../dqn/config.ts';
import { presetConfig, type PresetName } from '../dqn/presets.ts';
import { resolveStudentConfig, type StudentConfig } from '../distill/config.ts';
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
  /** Normalised score at which it stops (null: the whole budget). */
  readonly stopAtScore: number | null;
}

export interface ExperimentPlan {
  readonly teacher: PlannedTeacher;
  readonly students: PlannedStudent[];
  readonly baselines: PlannedBaseline[];
}

/** A from-scratch DQN baseline: the env's default preset on the student's architecture and env-step budget. */
export function baselineConfig(env: DqnConfig['env'], hiddenSizes: number[], steps: number, seed: number, overrides: Partial<DqnConfig> = {}): DqnConfig {
  const preset = presetConfig(env, 'default');
  return parseDqnConfig({
    ...preset,
    env,
    seed,
    hiddenSizes,
    totalSteps: steps,
    learningStarts: Math.min(preset.learningStarts, Math.floor(steps / 10)),
    // The preset's validation period (at least ~10 per run), so the time to a score is measured as finely as the students'.
    evalEvery: Math.max(500, Math.min(preset.evalEvery, Math.round(steps / 10))),
    ...overrides, // the user's recipe changes win, the two derived fields included
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
    spec.students.forEach((s, i) => {
      const { name, ...fields } = s;
      const config = resolveStudentConfig(fields, spec.env, seed, `students.${i}`);
      const label = name ?? `${config.hiddenSizes.join('-')} ${config.method} ${config.mode} α=${config.alphaSchedule === 'linear' ? `${config.alpha}→${config.alphaEnd}` : config.alphaSchedule === 'adaptive' ? 'adaptive' : config.alpha}`;
      students.push({ name: `${label} · seed ${seed}`, config });
      const key = config.hiddenSizes.join(',');
      budgets.set(key, { sizes: config.hiddenSizes, steps: Math.max(budgets.get(key)?.steps ?? 0, studentEnvBudget(config, spec.knowledgeBase.steps)) });
    });
  }

  const baselines: PlannedBaseline[] = [];
  if (spec.baselines !== false) {
    const b = typeof spec.baselines === 'object' ? spec.baselines : { steps: undefined, budgetFactor: 1, stopAtScore: null, overrides: {} };
    for (const { sizes, steps: used } of budgets.values()) {
      const steps = b.steps ?? Math.round(used * b.budgetFactor);
      for (const seed of spec.seeds) baselines.push({ name: `baseline ${sizes.join('-')} · seed ${seed}`, config: baselineConfig(spec.env, sizes, steps, seed, b.overrides), stopAtScore: b.stopAtScore });
    }
  }
  return { teacher, students, baselines };
}

/** Whether a student learns from the KB (its rows or retrieval): all but the online live-teacher student. */
export function studentUsesKb(config: StudentConfig): boolean {
  return config.method !== 'teacher' || config.mode === 'offline';
}

/** Env transitions behind a student: the KB's (when it learns from the KB) plus its own (online). */
export function studentEnvBudget(config: StudentConfig, kbSteps: number): number {
  return (studentUsesKb(config) ? kbSteps : 0) + (config.mode === 'online' ? config.steps : 0);
}
