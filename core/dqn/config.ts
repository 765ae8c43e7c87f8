/**
 * The DQN teacher's configuration: one zod schema that validates input (CLI flags, preset files, experiment
 * specs), documents every field (`describe`), and is what a run stores as its hyper-parameter table.
 *
 * Units: every "steps" field counts env transitions summed over the vector env's copies (as the PyTorch peer
 * and SB3 count them); gradient updates are counted separately.
 */
import { z } from 'zod';
import { ENV_IDS } from '../envs/index.ts';
import { ConfigError, configErrorFromZod } from '../training/errors.ts';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const unit = z.number().min(0).max(1);

export const DqnConfigSchema = z
  .object({
    env: z.enum(ENV_IDS).describe('Environment id (Gymnasium classic control).'),
    seed: nonNegInt.describe('Seed of every random stream of the run (init, exploration, replay sampling, env resets).'),
    totalSteps: posInt.describe('Env transitions to collect (summed over copies).'),
    numEnvs: posInt.max(256).describe('Env copies stepped together (vectorised acting).'),
    hiddenSizes: z.array(posInt).max(8).describe('Hidden layer widths of the Q-network MLP.'),
    learningRate: z.number().positive().describe('Adam learning rate.'),
    adamEpsilon: z.number().positive().describe('Adam ε (PyTorch default 1e-8; tfjs would use 1e-7).'),
    bufferSize: posInt.describe('Replay buffer capacity in transitions.'),
    learningStarts: nonNegInt.describe('Transitions collected before the first gradient update.'),
    batchSize: posInt.describe('Minibatch size of each gradient update.'),
    gamma: unit.describe('Discount factor γ.'),
    nStep: z.number().int().min(1).max(20).describe('Multi-step returns: each stored transition sums n rewards and bootstraps with γ^n (1: one-step DQN).'),
    trainFreq: posInt.describe('Run a block of gradient updates every this many transitions.'),
    gradientSteps: z.number().int().min(-1).refine((v) => v !== 0, 'must be -1 or a positive integer').describe(
      'Gradient updates per block; -1 = as many as transitions collected since the last block (SB3).',
    ),
    targetUpdateInterval: posInt.describe('Update the target network every this many transitions.'),
    targetTau: z.number().gt(0).max(1).describe('Target update coefficient: 1 = hard copy, < 1 = Polyak averaging.'),
    explorationFraction: unit.describe('Fraction of totalSteps over which ε decays linearly.'),
    explorationInitialEps: unit.describe('ε at the start.'),
    explorationFinalEps: unit.describe('ε after the decay.'),
    randomWarmup: z.boolean().describe('Act uniformly at random before learningStarts (SB3) instead of ε-greedy (CleanRL).'),
    loss: z.enum(['huber', 'mse']).describe('TD loss: Huber with δ = 1 (SB3) or MSE (CleanRL); mean over the batch.'),
    doubleDqn: z.boolean().describe('Double DQN targets: online argmax, target value.'),
    maxGradNorm: z.number().nonnegative().describe('Clip the global gradient norm to this; 0 disables clipping.'),
    evalEvery: nonNegInt.describe('Evaluate greedily on the validation seeds every this many transitions; 0 = never.'),
    evalEpisodes: posInt.max(1000).describe('Validation episodes per periodic evaluation.'),
    keepBest: z.boolean().describe('Return the weights of the best periodic evaluation rather than the last (SB3 EvalCallback best model).'),
    stopAtThreshold: z.boolean().describe("Stop once a periodic evaluation reaches the env's reward threshold."),
    stopAtReturn: z.number().nullable().describe('Stop once a periodic evaluation reaches this return (null: never); baselines use it to stop at a normalised score.'),
  })
  .strict();

export type DqnConfig = z.infer<typeof DqnConfigSchema>;

/** Formats zod issues as `field: message` lines (the field path joined with dots). */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export function parseDqnConfig(input: unknown): DqnConfig {
  const parsed = DqnConfigSchema.safeParse(input);
  if (!parsed.success) throw configErrorFromZod('DQN config', parsed.error);
  const c = parsed.data;
  if (c.batchSize > c.bufferSize) throw new ConfigError('DQN config', { path: 'batchSize', message: `${c.batchSize} exceeds bufferSize (${c.bufferSize})` });
  return c;
}
