/**
 * α schedules for L = α·L_hard + (1−α)·L_soft.
 * - constant: α.
 * - linear: α_start → α_end over the budget.
 * - adaptive (QDagger, Agarwal et al. 2022, "Reincarnating RL"): the distillation weight is
 *   λ = max(1 − G_student / G_teacher, 0), so α = 1 − λ. QDagger's ratio assumes returns ≥ 0 (Atari); here
 *   the returns are normalised by a random policy's on the same seeds, score = (G − G_random)/(G_teacher −
 *   G_random), which equals QDagger's ratio when G_random = 0 and stays meaningful for negative returns
 *   (Acrobot, MountainCar). Before the first evaluation the student is assumed to score 0 (α = 0).
 */
import { normalizedScore } from '../eval/score.ts';
import { ConfigError } from '../training/errors.ts';

export type AlphaScheduleKind = 'constant' | 'linear' | 'adaptive';

export interface AlphaScheduleOptions {
  readonly kind: AlphaScheduleKind;
  readonly alpha: number;
  readonly alphaEnd: number;
  readonly totalSteps: number;
  readonly teacherReturn?: number;
  readonly randomReturn?: number;
}

export class AlphaSchedule {
  private lastReturn: number | null = null;

  constructor(readonly options: AlphaScheduleOptions) {
    if (options.kind === 'adaptive') {
      if (options.teacherReturn === undefined || options.randomReturn === undefined) {
        throw new ConfigError('α schedule', { path: 'alphaSchedule', message: "adaptive α needs the teacher's and a random policy's evaluation returns" });
      }
      normalizedScore(options.teacherReturn, options.teacherReturn, options.randomReturn); // throws when the teacher is not above random
    }
  }

  /** Records the latest student evaluation return (adaptive). */
  observeStudentReturn(g: number): void {
    this.lastReturn = g;
  }

  /** The latest student evaluation return recorded (null before the first). */
  get studentReturn(): number | null {
    return this.lastReturn;
  }

  valueAt(step: number): number {
    const o = this.options;
    switch (o.kind) {
      case 'constant':
        return o.alpha;
      case 'linear': {
        const p = o.totalSteps > 0 ? Math.min(Math.max(step / o.totalSteps, 0), 1) : 1;
        return o.alpha + p * (o.alphaEnd - o.alpha);
      }
      case 'adaptive': {
        const score = this.lastReturn === null ? 0 : normalizedScore(this.lastReturn, o.teacherReturn!, o.randomReturn!);
        const softWeight = Math.max(1 - (Number.isFinite(score) ? score : 0), 0);
        return Math.min(Math.max(1 - softWeight, 0), 1);
      }
    }
  }
}
