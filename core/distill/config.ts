/**
 * A student's configuration (seed §3.2, §4.2): `L = α·L_hard + (1−α)·L_soft`.
 *
 * Methods (where the soft target comes from) and data modes (which states the student trains on):
 * | method      | offline (KB rows, no env steps)                 | online (the student acts, ε-greedy)                  |
 * |-------------|-------------------------------------------------|------------------------------------------------------|
 * | supervised  | the row's stored teacher Q (Rusu et al. 2016)  | — (the student's states are not KB rows)             |
 * | retrieval   | — (a KB row retrieves itself: = supervised)     | teacher Q of its k nearest KB states (seed §3.2)     |
 * | teacher     | a live teacher forward pass on KB states        | a live teacher forward pass on its own states        |
 *
 * Two schemas:
 * - `StudentSettingsSchema`: what a user writes (experiment spec, CLI flags, the designer). Every field but
 *   hiddenSizes is optional, and a field that has no effect in the chosen combination is an error naming it
 *   (`inapplicableFields`), never silently ignored.
 * - `StudentConfigSchema`: the complete configuration a run stores and trains with (`resolveStudentConfig`
 *   fills the defaults of the method and mode).
 *
 * Step units: `steps`, `evalEvery` and `targetUpdateInterval` count gradient updates offline and env
 * transitions online (the unit of the run's metric x-axis).
 */
import { z } from 'zod';
import { ENV_IDS, type EnvId } from '../envs/index.ts';
import { configErrorFromZod } from '../training/errors.ts';
import { SOFT_LOSSES, TEMPERED_SOFT_LOSSES } from './soft-loss-names.ts';

const posInt = z.number().int().positive();
const unit = z.number().min(0).max(1);

export const STUDENT_METHODS = ['supervised', 'retrieval', 'teacher'] as const;
export type StudentMethod = (typeof STUDENT_METHODS)[number];
export const DATA_MODES = ['offline', 'online'] as const;
export type DataMode = (typeof DATA_MODES)[number];

const FIELDS = {
  env: z.enum(ENV_IDS).describe("Environment id; must be the teacher's."),
  seed: z.number().int().nonnegative().describe('Seed of the student run (init, exploration, sampling).'),
  hiddenSizes: z.array(posInt).min(1).max(8).describe('Hidden layer widths of the student MLP (e.g. [16, 16]).'),
  method: z.enum(STUDENT_METHODS).describe(
    'Where soft targets come from: supervised = a KB row\'s stored teacher Q (Rusu et al. 2016; offline); retrieval = the teacher Q of the nearest KB states to the student\'s own states (the seed\'s method; online); teacher = a live teacher forward pass.',
  ),
  mode: z.enum(DATA_MODES).describe('offline: minibatches of KB rows (no env steps); online: the student acts ε-greedily in the env and learns from its own replay buffer.'),
  alpha: unit.describe('Weight α of L_hard (1 − α weighs L_soft); the start of a linear schedule.'),
  alphaSchedule: z.enum(['constant', 'linear', 'adaptive']).describe(
    'constant: α throughout; linear: alpha → alphaEnd over the run; adaptive: QDagger (Agarwal et al. 2022), soft weight max(1 − normalised score of the last validation, 0).',
  ),
  alphaEnd: unit.describe('α at the end of a linear schedule.'),
  hardLoss: z.enum(['td', 'mc']).describe("L_hard's target: td = r + γ·max Q of the student's own target network (real rewards); mc = the recorded episode's return-to-go (offline only)."),
  hardError: z.enum(['huber', 'mse']).describe('L_hard per sample: Huber with δ = 1 (SB3 DQN; the baselines use it) or the squared error (the seed\'s).'),
  doubleDqn: z.boolean().describe('td: Double DQN targets (online argmax, target-network value), as the baselines of an env that uses them.'),
  maxGradNorm: z.number().nonnegative().describe('Clip the global norm of the gradient of L to this (SB3: 10); 0 disables clipping.'),
  softLoss: z.enum(SOFT_LOSSES).describe(
    "L_soft: kl = KL(softmax(q_T/τ) ‖ softmax(q_S)) (Rusu et al. 2016: the student's outputs are logits); kl-two-sided = τ·KL(softmax(q_T/τ) ‖ softmax(q_S/τ)) (both on the Q scale, as QDagger); mse on Q-values; nll = −log softmax(q_S)[argmax q_T]. Default: kl when α is 0 throughout, kl-two-sided when there is a hard loss (a TD loss makes the outputs Q-values, which Rusu's untempered student softmax fights).",
  ),
  softActions: z.enum(['all', 'taken']).describe("mse: every action's Q (mean over actions) or only the sampled action's (the seed's worked example)."),
  tau: z.number().positive().describe("Temperature τ sharpening the teacher's softmax in kl and kl-two-sided (Rusu et al. 2016 use 0.01)."),
  k: posInt.max(64).describe('retrieval: KB neighbours per query; their teacher Q are averaged with inverse-distance weights.'),
  radius: z.union([z.literal('auto'), z.number().positive()]).describe(
    'retrieval: only KB states within this standardised distance give a target (farther: no target, masked). auto: a high quantile of the KB\'s own nearest-neighbour distances (resolved per KB and reported).',
  ),
  steps: posInt.describe('Budget: gradient updates (offline) or env transitions (online).'),
  batchSize: posInt.describe('Minibatch size.'),
  learningRate: z.number().positive().describe('Adam learning rate.'),
  adamEpsilon: z.number().positive().describe('Adam ε (PyTorch default 1e-8).'),
  gamma: unit.describe('Discount of the hard loss.'),
  targetUpdateInterval: posInt.describe("td: copy the student into its target network every this many budget steps (updates offline, env transitions online)."),
  numEnvs: posInt.max(256).describe('online: env copies stepped together.'),
  bufferSize: posInt.describe('online: replay capacity.'),
  learningStarts: z.number().int().nonnegative().describe('online: transitions before the first update.'),
  trainFreq: posInt.describe('online: a block of updates every this many transitions.'),
  gradientSteps: posInt.describe('online: updates per block.'),
  explorationFraction: unit.describe('online: fraction of the budget over which ε decays.'),
  explorationInitialEps: unit.describe('online: ε at the start.'),
  explorationFinalEps: unit.describe('online: ε after the decay.'),
  randomWarmup: z.boolean().describe('online: act uniformly at random before learningStarts (SB3) instead of ε-greedily.'),
  evalEvery: z.number().int().nonnegative().describe('Greedy validation every this many budget steps (0: never); adaptive α needs it.'),
  evalEpisodes: posInt.max(1000).describe('Validation episodes.'),
  keepBest: z.boolean().describe('Return the weights of the best validation rather than the last.'),
  heldOutFraction: z.number().min(0).max(0.5).describe('Fraction of KB episodes held out of training (and retrieval) for the agreement and Q-error report.'),
};

export type StudentField = keyof typeof FIELDS;

export const StudentConfigBase = z.object(FIELDS).strict();

type Full = z.infer<typeof StudentConfigBase>;

/** Checks that hold for every complete config (and for settings once resolved). */
function checkCombination(c: Partial<Full>, ctx: z.RefinementCtx): void {
  if (c.method === 'supervised' && c.mode === 'online') {
    ctx.addIssue({ code: 'custom', path: ['mode'], message: "supervised distillation trains on the knowledge base's rows (offline); for the student's own states use method retrieval (targets from the KB) or teacher (a live teacher)" });
  }
  if (c.method === 'retrieval' && c.mode === 'offline') {
    ctx.addIssue({ code: 'custom', path: ['mode'], message: "retrieval of a KB row's own state returns that row, so offline retrieval is supervised distillation: use method supervised, or mode online" });
  }
  if (c.hardLoss === 'mc' && c.mode === 'online') ctx.addIssue({ code: 'custom', path: ['hardLoss'], message: 'mc needs recorded episodes: use mode offline, or hardLoss td online' });
  if (c.alphaSchedule === 'adaptive' && c.evalEvery === 0) ctx.addIssue({ code: 'custom', path: ['evalEvery'], message: 'adaptive α needs periodic evaluation (evalEvery > 0)' });
  if (c.mode === 'online' && c.batchSize !== undefined && c.bufferSize !== undefined && c.batchSize > c.bufferSize) {
    ctx.addIssue({ code: 'custom', path: ['batchSize'], message: `exceeds bufferSize (${c.bufferSize})` });
  }
}

export const StudentConfigSchema = StudentConfigBase.superRefine(checkCombination);
export type StudentConfig = z.infer<typeof StudentConfigSchema>;

/**
 * Why a field has no effect in a (partial) configuration, or null when it does. Values missing from `c` are
 * taken from the defaults of its method and mode.
 */
export function fieldInapplicability(field: StudentField, given: Partial<Full>): string | null {
  const method = given.method ?? defaultMethod(given.mode);
  const defaults = studentDefaults(method, given.mode ?? defaultMode(method));
  const c = { ...defaults, softLoss: defaultSoftLoss({ ...defaults, ...given }), ...given };
  const hardNever = c.alphaSchedule === 'constant' && c.alpha === 0;
  const softNever = c.alphaSchedule === 'constant' && c.alpha === 1;
  switch (field) {
    case 'numEnvs': case 'bufferSize': case 'learningStarts': case 'trainFreq': case 'gradientSteps':
    case 'explorationFraction': case 'explorationInitialEps': case 'explorationFinalEps': case 'randomWarmup':
      return c.mode === 'offline' ? 'offline, the student trains on KB rows and takes no env steps' : null;
    case 'alpha':
      return c.alphaSchedule === 'adaptive' ? 'the adaptive schedule sets α from the validation score' : null;
    case 'alphaEnd':
      return c.alphaSchedule !== 'linear' ? 'only the linear schedule reads alphaEnd' : null;
    case 'hardLoss': case 'hardError': case 'gamma':
      return hardNever ? 'α is 0 throughout: there is no hard loss' : null;
    case 'doubleDqn': case 'targetUpdateInterval':
      if (hardNever) return 'α is 0 throughout: there is no hard loss';
      return c.hardLoss !== 'td' ? 'only the td hard loss uses a target network' : null;
    case 'softLoss': case 'softActions': case 'tau':
      if (softNever) return 'α is 1 throughout: there is no soft loss';
      if (field === 'tau' && !TEMPERED_SOFT_LOSSES.includes(c.softLoss)) return `only kl and kl-two-sided read τ (softLoss is ${c.softLoss})`;
      if (field === 'softActions' && c.softLoss !== 'mse') return `only the mse soft loss reads softActions (softLoss is ${c.softLoss})`;
      return null;
    case 'k': case 'radius':
      if (c.method !== 'retrieval') return `only retrieval reads ${field} (method ${c.method} takes its targets from ${c.method === 'supervised' ? "the KB rows' stored Q" : 'the live teacher'})`;
      return softNever ? 'α is 1 throughout: there is no soft target' : null;
    case 'evalEpisodes': case 'keepBest':
      return c.evalEvery === 0 ? 'evalEvery is 0: there is no periodic validation' : null;
    default:
      return null;
  }
}

/** Every field of `given` that has no effect, with the reason. */
export function inapplicableFields(given: Partial<Full>): { field: StudentField; reason: string }[] {
  const out: { field: StudentField; reason: string }[] = [];
  for (const field of Object.keys(given) as StudentField[]) {
    if (given[field] === undefined) continue;
    const reason = fieldInapplicability(field, given);
    if (reason !== null) out.push({ field, reason });
  }
  return out;
}

function checkSettings(s: Partial<Full>, ctx: z.RefinementCtx): void {
  for (const { field, reason } of inapplicableFields(s)) ctx.addIssue({ code: 'custom', path: [field], message: `has no effect here: ${reason}` });
  const method = s.method ?? defaultMethod(s.mode);
  checkCombination({ ...studentDefaults(method, s.mode ?? defaultMode(method)), ...s }, ctx);
}

/** What a user writes: every field optional but the hidden sizes; fields that have no effect are errors. */
export const StudentSettingsBase = StudentConfigBase.omit({ env: true, seed: true }).partial().required({ hiddenSizes: true });
export const StudentSettingsSchema = StudentSettingsBase.superRefine(checkSettings);
export type StudentSettings = z.infer<typeof StudentSettingsSchema>;
/** The settings' refinement, for schemas that extend the settings (the experiment spec's students). */
export const refineStudentSettings = checkSettings;

/** The method when none is given: supervised offline, retrieval online (the seed's method). */
export function defaultMethod(mode: DataMode | undefined): StudentMethod {
  return mode === 'online' ? 'retrieval' : 'supervised';
}

/** The data mode a method uses when none is given. */
export function defaultMode(method: StudentMethod): DataMode {
  return method === 'supervised' ? 'offline' : 'online';
}

/** Defaults of a method and mode (offline budgets count updates, online budgets env transitions). */
export function studentDefaults(method: StudentMethod, mode: DataMode): Omit<StudentConfig, 'env' | 'seed'> {
  const offline = mode === 'offline';
  return {
    hiddenSizes: [16, 16],
    method,
    mode,
    alpha: 0,
    alphaSchedule: 'constant',
    alphaEnd: 0,
    hardLoss: 'td',
    hardError: 'huber',
    doubleDqn: false,
    maxGradNorm: 10,
    softLoss: 'kl',
    softActions: 'all',
    tau: 0.01,
    k: 1,
    radius: 'auto',
    steps: offline ? 10_000 : 30_000,
    batchSize: 64,
    // 3e-3 reached the teacher's return in 1000 offline updates where 1e-3 needed several thousand (CartPole 8-8, KL τ 0.01).
    learningRate: 3e-3,
    adamEpsilon: 1e-8,
    gamma: 0.99,
    // 500 updates offline; online one update per 4 transitions, so 2000 transitions is the same 500 updates.
    targetUpdateInterval: offline ? 500 : 2000,
    numEnvs: 4,
    bufferSize: 50_000,
    learningStarts: 500,
    trainFreq: 4,
    gradientSteps: 1,
    explorationFraction: 0.2,
    explorationInitialEps: 0.5,
    explorationFinalEps: 0.02,
    randomWarmup: false,
    evalEvery: offline ? 1000 : 3000,
    evalEpisodes: 10,
    keepBest: true,
    heldOutFraction: 0.1,
  };
}

/** Settings (validated: no field without effect) → the complete config, with the defaults of the method and mode. */
export function resolveStudentConfig(settings: unknown, env: EnvId, seed: number, what = 'student settings'): StudentConfig {
  const parsed = StudentSettingsSchema.safeParse(settings);
  if (!parsed.success) throw configErrorFromZod(what, parsed.error);
  const s = parsed.data;
  const method = s.method ?? defaultMethod(s.mode);
  const defaults = studentDefaults(method, s.mode ?? defaultMode(method));
  return parseStudentConfig({ ...defaults, softLoss: defaultSoftLoss({ ...defaults, ...s }), ...s, env, seed });
}

/**
 * kl (Rusu et al. 2016) for pure distillation; kl-two-sided when a hard loss is in play. Rusu's loss treats the
 * student's outputs as policy logits and pushes the gap between actions towards infinity as τ → 0, while a TD
 * loss pulls them to Q-values whose gaps are small (CartPole: 8-8 students with α rising 0 → 0.5 stayed at
 * normalised score 0.17-0.21 on 3 of 3 seeds with kl, and reached 1.0 on 3 of 3 with kl-two-sided).
 */
export function defaultSoftLoss(c: Pick<StudentConfig, 'alpha' | 'alphaSchedule'>): StudentConfig['softLoss'] {
  return c.alphaSchedule === 'constant' && c.alpha === 0 ? 'kl' : 'kl-two-sided';
}

/** Validates a complete config (a stored run's, a resumed job's). */
export function parseStudentConfig(input: unknown): StudentConfig {
  const parsed = StudentConfigSchema.safeParse(input);
  if (!parsed.success) throw configErrorFromZod('student config', parsed.error);
  return parsed.data;
}

/** The config without the fields that have no effect in it (what a run's hyper-parameter table shows). */
export function effectiveStudentConfig(c: StudentConfig): Partial<StudentConfig> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(c)) if (fieldInapplicability(field as StudentField, c) === null) out[field] = value;
  return out as Partial<StudentConfig>;
}
