/**
 * Normalised score: (G − G_random) / (G_teacher − G_random), the teacher's return mapped to 1 and a uniformly
 * random policy's (on the same episode seeds) to 0, so that scores compare across envs whose returns are
 * positive (CartPole) or negative (Acrobot, MountainCar).
 *
 * It only means something when the teacher is clearly better than random: when G_teacher − G_random is zero
 * the score is undefined, when negative its sign flips, and when tiny every student looks either perfect or
 * hopeless. So the span must be at least TEACHER_MARGIN of the way from random to the env's reward threshold
 * (the return Gymnasium counts as solved); below that `teacherMargin` reports an error, and a teacher that is
 * above the margin but below the threshold gets a warning (scores are then relative to an unsolved task).
 * Reports use `scoreScale`: no score (null) and the reason among its warnings when the margin fails; what
 * cannot work without a score (the adaptive α) refuses such a teacher with `requireTeacherMargin`.
 */
import { createEnv } from '../envs/index.ts';
import { ConfigError } from '../training/errors.ts';

/** Fraction of the random → threshold gap the teacher must cover for normalised scores to be reported. */
export const TEACHER_MARGIN = 0.1;

export interface TeacherMargin {
  readonly teacherReturn: number;
  readonly randomReturn: number;
  readonly threshold: number;
  /** TEACHER_MARGIN · |threshold − random|: the least G_teacher − G_random accepted. */
  readonly margin: number;
  /** Problem that makes scores meaningless (null: fine). */
  readonly error: string | null;
  /** Problem worth showing next to the scores (null: none). */
  readonly warning: string | null;
}

export function teacherMargin(env: string, teacherReturn: number, randomReturn: number): TeacherMargin {
  const threshold = createEnv(env).rewardThreshold;
  const margin = TEACHER_MARGIN * Math.abs(threshold - randomReturn);
  const span = teacherReturn - randomReturn;
  let error: string | null = null;
  let warning: string | null = null;
  if (!Number.isFinite(span)) error = `the teacher's return (${teacherReturn}) or the random policy's (${randomReturn}) is not a number`;
  else if (span <= margin) {
    error =
      `the teacher (return ${teacherReturn.toFixed(1)}) is not better than a random policy (${randomReturn.toFixed(1)}) by the required margin ` +
      `(${margin.toFixed(1)}, ${TEACHER_MARGIN * 100}% of the way to ${env}'s threshold ${threshold}): normalised scores against it would be meaningless; train the teacher longer or pick another`;
  } else if (teacherReturn < threshold) {
    warning = `the teacher's return ${teacherReturn.toFixed(1)} is below ${env}'s reward threshold ${threshold}: scores are relative to a teacher that has not solved the task`;
  }
  return { teacherReturn, randomReturn, threshold, margin, error, warning };
}

/** Throws a ConfigError (field "teacher") when the teacher is not better than random by the margin; returns the warning. */
export function requireTeacherMargin(env: string, teacherReturn: number, randomReturn: number): string | null {
  const m = teacherMargin(env, teacherReturn, randomReturn);
  if (m.error) throw new ConfigError('teacher', { path: 'teacher', message: m.error });
  return m.warning;
}

/** (G − G_random) / (G_teacher − G_random); throws when the teacher is not better than random (the span is ≤ 0). */
export function normalizedScore(g: number, teacherReturn: number, randomReturn: number): number {
  const span = teacherReturn - randomReturn;
  if (!(span > 0)) {
    throw new ConfigError('normalised score', { path: 'teacher', message: `the teacher's return (${teacherReturn}) is not above the random policy's (${randomReturn}); the normalised score is undefined` });
  }
  return (g - randomReturn) / span;
}

/** How a run's returns become normalised scores: null (with the reason in `warnings`) when the teacher fails the margin. */
export interface ScoreScale {
  readonly teacherReturn: number;
  readonly randomReturn: number;
  readonly valid: boolean;
  readonly warnings: readonly string[];
}

export function scoreScale(env: string, teacherReturn: number, randomReturn: number): ScoreScale {
  const m = teacherMargin(env, teacherReturn, randomReturn);
  const warnings = m.error ? [`no normalised score: ${m.error}`] : m.warning ? [m.warning] : [];
  return { teacherReturn, randomReturn, valid: m.error === null, warnings };
}

/** The normalised score of `g` on the scale, or null when the scale is not valid. */
export function scoreOn(scale: ScoreScale, g: number): number | null {
  return scale.valid ? normalizedScore(g, scale.teacherReturn, scale.randomReturn) : null;
}
