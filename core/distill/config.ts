/**
 * A student's configuration (seed §3.2, §4.2): `L = α·L_hard + (1−α)·L_soft`, one zod schema that validates
 * CLI flags and experiment specs and documents each field.
 *
 * Step units: `steps` counts gradient updates in `offline` mode and env transitions in `online` mode (the
 * env-step budget a from-scratch baseline gets).
 */
import { z } from 'zod';
import { ENV_IDS } from '../envs/index.ts';
import { formatIssues } from '../dqn/config.ts';

const posInt = z.number().int().positive();
const unit = z.number().min(0).max(1);

export const StudentConfigBase = z
  .object({
    env: z.enum(ENV_IDS).describe('Environment id; must be the teacher\'s.'),
    seed: z.number().int().nonnegative().describe('Seed of the student run (init, sampling, exploration).'),
    hiddenSizes: z.array(posInt).max(8).describe('Hidden layer widths of the student MLP (e.g. [16, 16]).'),
    alpha: unit.describe('Weight α of L_hard (1 − α weighs L_soft); the start value of a linear schedule.'),
    alphaSchedule: z.enum(['constant', 'linear', 'adaptive']).describe(
      'constant: α throughout; linear: alpha → alphaEnd over the run; adaptive: QDagger, soft weight max(1 − score_student, 0).',
    ),
    alphaEnd: unit.describe('α at the end of a linear schedule.'),
    hardLoss: z.enum(['td', 'mc']).describe('L_hard: td = squared TD error against the student\'s own target network on real rewards; mc = squared error to the Monte-Carlo return of the recorded episode (offline only).'),
    softLoss: z.enum(['kl', 'mse', 'nll']).describe('L_soft: kl = KL(softmax(q_T/τ) ‖ softmax(q_S/τ)); mse on Q-values; nll = −log softmax(q_S/τ)[argmax q_T].'),
    softActions: z.enum(['all', 'taken']).describe('mse only: compare every action\'s Q (mean over actions) or only the sampled action\'s (the seed\'s worked example).'),
    tau: z.number().positive().describe('Softmax temperature τ of kl and nll (Rusu et al. 2016 use 0.01).'),
    source: z.enum(['kb', 'teacher']).describe('Soft targets from the knowledge base by retrieval (the seed\'s method) or from a live teacher forward pass.'),
    mode: z.enum(['offline', 'online']).describe('offline: minibatches of KB transitions; online: the student acts in the env with its own ε-greedy schedule and replay buffer.'),
    k: posInt.max(64).describe('Neighbours per retrieval query.'),
    radius: z.number().positive().nullable().describe('Retrieval radius in standardised units; farther states get no soft target (masked). null: no limit.'),
    steps: posInt.describe('Budget: gradient updates (offline) or env transitions (online).'),
    batchSize: posInt.describe('Minibatch size.'),
    learningRate: z.number().positive().describe('Adam learning rate.'),
    gamma: unit.describe('Discount of the hard loss.'),
    targetUpdateInterval: posInt.describe('Student target-network hard update every this many gradient updates (td).'),
    numEnvs: posInt.max(256).describe('online: env copies stepped together.'),
    bufferSize: posInt.describe('online: replay capacity.'),
    learningStarts: z.number().int().nonnegative().describe('online: transitions before the first update.'),
    trainFreq: posInt.describe('online: a block of updates every this many transitions.'),
    gradientSteps: posInt.describe('online: updates per block.'),
    explorationFraction: unit.describe('online: fraction of the budget over which ε decays.'),
    explorationInitialEps: unit.describe('online: ε at the start.'),
    explorationFinalEps: unit.describe('online: ε after the decay.'),
    evalEvery: z.number().int().nonnegative().describe('Greedy validation every this many budget steps (0: never); adaptive α needs it.'),
    evalEpisodes: posInt.max(1000).describe('Validation episodes.'),
    keepBest: z.boolean().describe('Return the weights of the best validation rather than the last.'),
    heldOutFraction: z.number().min(0).max(0.5).describe('Fraction of KB episodes held out of training for agreement and Q-error.'),
  })
  .strict();

export const StudentConfigSchema = StudentConfigBase.superRefine((c, ctx) => {
    if (c.hardLoss === 'mc' && c.mode === 'online') {
      ctx.addIssue({ code: 'custom', path: ['hardLoss'], message: 'mc needs recorded episodes: use mode offline, or hardLoss td online' });
    }
    if (c.alphaSchedule === 'adaptive' && c.evalEvery === 0) {
      ctx.addIssue({ code: 'custom', path: ['evalEvery'], message: 'adaptive α needs periodic evaluation (evalEvery > 0)' });
    }
  });

export type StudentConfig = z.infer<typeof StudentConfigSchema>;

export const STUDENT_DEFAULTS: Omit<StudentConfig, 'env' | 'seed'> = {
  hiddenSizes: [16, 16],
  alpha: 0,
  alphaSchedule: 'constant',
  alphaEnd: 0,
  hardLoss: 'td',
  softLoss: 'kl',
  softActions: 'all',
  tau: 0.01,
  source: 'kb',
  mode: 'offline',
  k: 1,
  radius: null,
  steps: 10_000,
  batchSize: 64,
  // 3e-3 reached the teacher's return in 1000 offline updates where 1e-3 needed several thousand (CartPole 8-8, KL τ 0.01).
  learningRate: 3e-3,
  gamma: 0.99,
  targetUpdateInterval: 500,
  numEnvs: 4,
  bufferSize: 50_000,
  learningStarts: 500,
  trainFreq: 4,
  gradientSteps: 1,
  explorationFraction: 0.2,
  explorationInitialEps: 0.5,
  explorationFinalEps: 0.02,
  evalEvery: 1000,
  evalEpisodes: 10,
  keepBest: true,
  heldOutFraction: 0.1,
};

/** Defaults for a mode: offline budgets count updates, online budgets env transitions. */
export function studentDefaults(env: StudentConfig['env'], mode: StudentConfig['mode']): Omit<StudentConfig, 'env' | 'seed'> {
  void env;
  return mode === 'offline'
    ? { ...STUDENT_DEFAULTS, mode, steps: 10_000, evalEvery: 1000 }
    : { ...STUDENT_DEFAULTS, mode, steps: 30_000, evalEvery: 3000 };
}

export function parseStudentConfig(input: unknown): StudentConfig {
  const parsed = StudentConfigSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid student config: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
