/**
 * Experiment specs: one JSON document describes a whole experiment (teacher → knowledge base → students and
 * baselines over seeds → evaluations → replays). One zod schema validates it and gives field-level messages;
 * specs carry a version so that old files stay readable.
 */
import { z } from 'zod';
import { DqnConfigSchema, formatIssues } from '../dqn/config.ts';
import { PRESET_NAMES } from '../dqn/presets.ts';
import { StudentConfigBase } from '../distill/config.ts';
import { ENV_IDS } from '../envs/index.ts';

export const SPEC_VERSION = 1;

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

const StudentSpec = StudentConfigBase.omit({ env: true, seed: true })
  .partial()
  .extend({ name: z.string().min(1).max(80).optional(), hiddenSizes: z.array(z.number().int().positive()).min(1).max(8) })
  .strict();

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
    students: z.array(StudentSpec).max(100).default([]),
    /** From-scratch baselines of every student size; steps default to the env-step budget of the students. */
    baselines: z.union([z.boolean(), z.object({ steps: z.number().int().positive() }).strict()]).default(true),
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
    spec.students.forEach((s, i) => {
      if (s.hardLoss === 'mc' && s.mode === 'online') ctx.addIssue({ code: 'custom', path: ['students', i, 'hardLoss'], message: 'mc needs recorded episodes: use mode offline' });
      if (s.alphaSchedule === 'adaptive' && s.evalEvery === 0) ctx.addIssue({ code: 'custom', path: ['students', i, 'evalEvery'], message: 'adaptive α needs periodic evaluation (evalEvery > 0)' });
    });
    if (spec.baselines !== false && spec.students.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['baselines'], message: 'baselines need at least one student size' });
    }
  });

export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;
export type StudentSpec = z.infer<typeof StudentSpec>;

export class SpecError extends Error {
  override name = 'SpecError';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** Validates a parsed JSON spec; `source` (a file name) prefixes the message. */
export function parseExperimentSpec(input: unknown, source = 'spec'): ExperimentSpec {
  if (typeof input === 'object' && input !== null && typeof (input as { version?: unknown }).version === 'number' && (input as { version: number }).version > SPEC_VERSION) {
    throw new SpecError(`${source}: spec version ${(input as { version: number }).version} is newer than this studio reads (${SPEC_VERSION}); upgrade Distill Studio`, [{ path: 'version', message: 'newer than supported' }]);
  }
  const parsed = ExperimentSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    throw new SpecError(`${source}: invalid experiment spec: ${formatIssues(parsed.error)}`, issues);
  }
  return parsed.data;
}
