/**
 * Experiment specs: one JSON document describes a whole experiment (teacher → knowledge base → students and
 * baselines over seeds → evaluations → replays). One zod schema validates it and gives field-level messages;
 * specs carry a version so that old files stay readable (`parseExperimentSpec` upgrades version 1).
 *
 * Version 2 (this one) names a student's method (supervised | retrieval | teacher) where version 1 had
 * `source: kb | teacher`, and makes a field that has no effect in a student's method and mode an error.
 */
import { z } from 'zod';
import { DqnConfigSchema, formatIssues } from '../dqn/config.ts';
import { PRESET_NAMES } from '../dqn/presets.ts';
import { StudentSettingsBase, inapplicableFields, refineStudentSettings } from '../distill/config.ts';
import { ENV_IDS } from '../envs/index.ts';
import { ConfigError } from '../training/errors.ts';

export const SPEC_VERSION = 2;

const seed = z.number().int().nonnegative();

/** The accepted teacher forms, as the union's error names them (zod alone says only "Invalid input"). */
const TEACHER_FORMS = ['train', 'model', 'modelId'] as const;
const TEACHER_FORMS_TEXT = 'must be one of {"train": {…}} (train a teacher), {"model": PATH} (a model bundle folder) or {"modelId": N} (a stored model)';

/**
 * The teacher union's message: with exactly one of the forms' keys, what is wrong inside that form (the
 * union tried the other forms too, whose errors only say the key does not belong there); otherwise the forms.
 */
function teacherError(issue: { code?: string; input?: unknown; errors?: readonly (readonly { path: readonly PropertyKey[]; message: string }[])[] }): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const input = issue.input;
  const keys = typeof input === 'object' && input !== null && !Array.isArray(input) ? Object.keys(input) : [];
  const form = keys.length === 1 ? TEACHER_FORMS.indexOf(keys[0] as (typeof TEACHER_FORMS)[number]) : -1;
  const inner = form >= 0 ? issue.errors?.[form]?.[0] : undefined;
  if (inner) return `${[TEACHER_FORMS[form], ...inner.path.filter((p) => p !== TEACHER_FORMS[form]).map(String)].join('.')}: ${inner.message}`;
  const got = Array.isArray(input) ? ', got an array' : keys.length > 0 ? `, got ${keys.map((k) => JSON.stringify(k)).join(', ')}` : input === null ? ', got null' : typeof input === 'object' ? ', got {}' : `, got ${typeof input}`;
  return `${TEACHER_FORMS_TEXT}${got}`;
}

const TeacherSpec = z.union([
  z
    .object({
      train: z
        .object({
          preset: z.enum(PRESET_NAMES as [string, ...string[]]).default('default'),
          seed: seed.default(1),
          /** Any DQN config field (see core/dqn/config.ts), e.g. { "totalSteps": 20000 }. */
          overrides: DqnConfigSchema.omit({ env: true, seed: true }).partial().default({}),
        })
        .strict(),
    })
    .strict(),
  z.object({ model: z.string().min(1).describe('Path of a model bundle folder.') }).strict(),
  z.object({ modelId: z.number().int().positive().describe('Id of a model stored in the database.') }).strict(),
], { error: teacherError });

const StudentSpec = StudentSettingsBase.extend({ name: z.string().min(1).max(80).optional() }).strict().superRefine(refineStudentSettings);

const BaselinesSpec = z
  .object({
    steps: z.number().int().positive().optional().describe("Env-step budget of every baseline (default: its size's students' env budget × budgetFactor)."),
    budgetFactor: z.number().positive().max(100).default(1).describe("Multiple of the students' env-step budget (ignored when steps is given)."),
    stopAtScore: z.number().gt(0).max(2).nullable().default(null).describe('Stop a baseline once a validation reaches this normalised score (null: train the whole budget).'),
    /**
     * DQN config fields that change the baselines' recipe (the default preset's), e.g. { "nStep": 1 } to make a
     * baseline the same algorithm as an α = 1 student, whose TD loss is one-step. Size, budget and seed come
     * from the plan.
     */
    overrides: DqnConfigSchema.omit({ env: true, seed: true, hiddenSizes: true, totalSteps: true })
      .partial()
      .strict()
      .default({})
      .describe("DQN config fields changing the baselines' recipe (default preset), e.g. {\"nStep\": 1}."),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.steps !== undefined && b.budgetFactor !== 1) ctx.addIssue({ code: 'custom', path: ['budgetFactor'], message: 'budgetFactor has no effect when steps is given' });
  });

export const ExperimentSpecSchema = z
  .object({
    version: z.literal(SPEC_VERSION).describe('Spec format version.'),
    name: z.string().min(1).max(200),
    env: z.enum(ENV_IDS),
    teacher: TeacherSpec,
    knowledgeBase: z
      .object({
        steps: z.number().int().positive().max(50_000_000).default(20_000),
        epsilon: z.number().min(0).max(1).default(0.05),
        seed: seed.default(1),
      })
      .strict()
      .default({ steps: 20_000, epsilon: 0.05, seed: 1 }),
    students: z.array(StudentSpec).max(200).default([]),
    /** From-scratch DQN baselines of every student size (true: on the students' env budget). */
    baselines: z.union([z.boolean(), BaselinesSpec]).default(true),
    seeds: z.array(seed).min(1).max(50).default([1]),
    evaluation: z
      .object({
        episodes: z.number().int().positive().max(1000).default(20),
        /** Evaluation episodes per policy recorded step by step for the replay viewer. */
        replays: z.number().int().min(0).max(20).default(2),
      })
      .strict()
      .default({ episodes: 20, replays: 2 }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.baselines !== false && spec.students.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['baselines'], message: 'baselines need at least one student size' });
    }
  });

export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;
export type StudentSpec = z.infer<typeof StudentSpec>;

export class SpecError extends ConfigError {
  override name = 'SpecError';
  constructor(message: string, issues: readonly { path: string; message: string }[]) {
    super('experiment spec', issues);
    this.message = message;
  }
}

/**
 * Version 1 → 2. A v1 student's `source` becomes its method (kb offline → supervised, kb online → retrieval,
 * teacher → teacher); fields v1 accepted but ignored in that combination (k and radius offline, online fields
 * offline, …) are dropped, so nothing that had no effect becomes an error; a v1 radius null (no limit) becomes
 * 'auto'. Kept as they were in v1: an online targetUpdateInterval (v1 counted updates, v2 env transitions) and
 * L_hard as the squared error without clipping. What v2 computes differently: v1's `kl` (both sides tempered)
 * becomes v2's default soft loss (Rusu's kl without a hard loss, kl-two-sided ×τ with one), and `nll` no longer
 * reads τ.
 */
export function upgradeSpecV1(input: Record<string, unknown>): Record<string, unknown> {
  const students = Array.isArray(input.students) ? input.students : [];
  return {
    ...input,
    version: 2,
    students: students.map((raw) => {
      if (typeof raw !== 'object' || raw === null) return raw;
      const { source, ...s } = raw as Record<string, unknown>;
      const mode = s.mode ?? 'offline';
      const out: Record<string, unknown> = { ...s, mode, method: source === 'teacher' ? 'teacher' : mode === 'online' ? 'retrieval' : 'supervised' };
      if (out.radius === null) delete out.radius;
      // v1's kl tempered both sides; v2's default is Rusu's kl without a hard loss and the two-sided form with one.
      if (out.softLoss === 'kl') delete out.softLoss;
      if (mode === 'online' && typeof out.targetUpdateInterval === 'number') {
        const perUpdate = (Number(out.trainFreq ?? 4) || 4) / (Number(out.gradientSteps ?? 1) || 1);
        out.targetUpdateInterval = Math.max(1, Math.round(out.targetUpdateInterval * perUpdate));
      }
      Object.assign(out, { hardError: 'mse', maxGradNorm: 0 });
      for (const { field } of inapplicableFields(out)) delete out[field];
      return out;
    }),
  };
}

/** Validates a parsed JSON spec (upgrading version 1); `source` (a file name) prefixes the message. */
export function parseExperimentSpec(input: unknown, source = 'spec'): ExperimentSpec {
  const version = typeof input === 'object' && input !== null ? (input as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version > SPEC_VERSION) {
    throw new SpecError(`${source}: spec version ${version} is newer than this studio reads (${SPEC_VERSION}); upgrade Distill Studio`, [{ path: 'version', message: 'newer than supported' }]);
  }
  const upgraded = version === 1 ? upgradeSpecV1(input as Record<string, unknown>) : input;
  const parsed = ExperimentSpecSchema.safeParse(upgraded);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    throw new SpecError(`${source}: invalid experiment spec: ${formatIssues(parsed.error)}`, issues);
  }
  return parsed.data;
}
