/**
 * The designer's logic, kept out of the components so it is unit-tested: live validation with the very schema
 * the CLI and the service use (ExperimentSpecSchema, re-exported by the contract), text ↔ value conversion of
 * form fields described by the catalog's FieldInfo, network sizes, and the student rows' relevance rules.
 */
import { defaultMethod, defaultMode, defaultSoftLoss, ExperimentSpecSchema, fieldInapplicability, type Catalog, type EnvInfo, type ExperimentSpec, type FieldInfo } from '../../electron/api/contract.ts';

/** A spec being edited: shaped like ExperimentSpec but any value may be wrong (that is what validation says). */
export type SpecDraft = Record<string, unknown> & {
  name?: unknown;
  env?: unknown;
  teacher?: unknown;
  knowledgeBase?: Record<string, unknown>;
  students?: Record<string, unknown>[];
  baselines?: unknown;
  seeds?: unknown;
  evaluation?: Record<string, unknown>;
};

export interface SpecCheck {
  readonly ok: boolean;
  /** Dotted path ("students.0.alpha") → message; the first issue of a path wins. */
  readonly issues: ReadonlyMap<string, string>;
  readonly spec: ExperimentSpec | null;
}

/**
 * zod's messages, shortened for a form cell ("Too big: expected number to be <=1" → "must be ≤ 1"); anything
 * not recognised is shown as zod wrote it.
 */
export function humanMessage(message: string): string {
  const bound = /^Too (big|small): expected (number|array|string) to (?:be|have) ([<>]=?)\s*(-?[\d.e+]+)(?: (items|characters))?/.exec(message);
  if (bound) {
    const op = { '<=': '≤', '>=': '≥', '<': '<', '>': '>' }[bound[3]] ?? bound[3];
    if (bound[2] === 'number') return `must be ${op} ${bound[4]}`;
    const n = Number(bound[4]) + (bound[3] === '>' ? 1 : bound[3] === '<' ? -1 : 0);
    if (n === 1 && bound[3].startsWith('>')) return bound[2] === 'array' ? 'needs at least one value' : 'must not be empty';
    const what = `${bound[2] === 'array' ? 'value' : 'character'}${n === 1 ? '' : 's'}`;
    return bound[3].startsWith('<') ? `at most ${n} ${what}` : `at least ${n} ${what}`;
  }
  if (/expected int, received number/.test(message)) return 'must be a whole number';
  const expected = /^Invalid input: expected (\w+), received (\w+)/.exec(message);
  if (expected) return expected[2] === 'undefined' ? 'required' : `must be ${expected[1] === 'array' ? 'a list' : `a ${expected[1]}`}`;
  const option = /^Invalid option: expected one of (.+)$/.exec(message);
  if (option) return `must be one of ${option[1].replace(/"/g, '').split('|').join(', ')}`;
  if (message === 'Unrecognized key' || /^Unrecognized keys?:/.test(message)) return message.replace('Unrecognized key', 'unknown field');
  return message;
}

/** A person's name for a spec path: "students.0.alpha" → "Student 1 · alpha". */
export function pathLabel(path: string): string {
  const p = path.split('.');
  if (p[0] === 'students' && p.length >= 2 && /^\d+$/.test(p[1])) return [`Student ${Number(p[1]) + 1}`, ...p.slice(2)].join(' · ');
  if (p[0] === 'teacher') return ['Teacher', ...p.slice(p[1] === 'train' ? (p[2] === 'overrides' ? 3 : 2) : 1)].join(' · ');
  if (p[0] === 'knowledgeBase') return ['Knowledge base', ...p.slice(1)].join(' · ');
  if (p[0] === 'evaluation') return ['Evaluation', ...p.slice(1)].join(' · ');
  return path;
}

/** Validates a draft exactly as `createExperiment` will (same schema, same paths). */
export function checkSpec(draft: unknown): SpecCheck {
  const parsed = ExperimentSpecSchema.safeParse(draft);
  if (parsed.success) return { ok: true, issues: new Map(), spec: parsed.data };
  const issues = new Map<string, string>();
  for (const i of parsed.error.issues) {
    const path = i.path.map(String).join('.') || '(root)';
    if (!issues.has(path)) issues.set(path, humanMessage(i.message));
  }
  return { ok: false, issues, spec: null };
}

/** The issue at `path`, or one of its children's (a list field shows "hiddenSizes.1" at "hiddenSizes"). */
export function issueAt(issues: ReadonlyMap<string, string>, path: string): string | null {
  const own = issues.get(path);
  if (own) return own;
  for (const [p, m] of issues) if (p.startsWith(`${path}.`)) return `${p.slice(path.length + 1)}: ${m}`;
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Field text ↔ value

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string; value: unknown };

/** How a value shows in its text box. */
export function fieldText(info: Pick<FieldInfo, 'kind'>, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (info.kind === 'integer-list' && Array.isArray(value)) return value.join(', ');
  return String(value);
}

/**
 * Converts a text box's content to the field's value. Empty means "not set" (the default applies). Text that
 * is not a number stays as text in the draft, so the schema refuses it too and Start stays disabled; the
 * message here is the friendlier one shown at the field.
 */
export function parseFieldText(info: Pick<FieldInfo, 'kind' | 'nullable' | 'name'> & Pick<Partial<FieldInfo>, 'keywords'>, text: string): Parsed {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  if (info.keywords?.includes(t.toLowerCase())) return { ok: true, value: t.toLowerCase() };
  switch (info.kind) {
    case 'integer':
    case 'number': {
      const n = Number(t.replace(/_/g, ''));
      if (!Number.isFinite(n)) return { ok: false, message: info.keywords?.length ? `Enter a number or ${info.keywords.join(' or ')}` : 'Enter a number', value: t };
      if (info.kind === 'integer' && !Number.isInteger(n)) return { ok: false, message: 'Enter a whole number', value: n };
      return { ok: true, value: n };
    }
    case 'integer-list': {
      // Network widths may be written as the studio prints them ("64-64", "64x64"); other lists take commas.
      const sep = /hiddenSizes$/.test(info.name) ? /[\s,;x×-]+/ : /[\s,;]+/;
      const parts = t.split(sep).filter((p) => p.length > 0);
      const nums = parts.map(Number);
      if (parts.length === 0 || nums.some((n) => !Number.isInteger(n))) return { ok: false, message: 'Enter whole numbers separated by commas, e.g. 64, 64', value: t };
      return { ok: true, value: nums };
    }
    case 'boolean':
      return t === 'true' || t === 'false' ? { ok: true, value: t === 'true' } : { ok: false, message: 'true or false', value: t };
    default:
      return { ok: true, value: t };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sizes

/** Weights and biases of an MLP with the given hidden widths (dense layers, bias per unit). */
export function mlpParams(inputSize: number, hidden: readonly number[], outputSize: number): number {
  let n = 0;
  let prev = inputSize;
  for (const h of [...hidden, outputSize]) {
    n += (prev + 1) * h;
    prev = h;
  }
  return n;
}

function validSizes(v: unknown): number[] | null {
  return Array.isArray(v) && v.length > 0 && v.every((n) => Number.isInteger(n) && n > 0) ? (v as number[]) : null;
}

/** Parameters of a student row (null while its sizes are invalid). */
export function studentParams(env: EnvInfo | undefined, hidden: unknown): number | null {
  const sizes = validSizes(hidden);
  return env && sizes ? mlpParams(env.observationSize, sizes, env.actionCount) : null;
}

/** The teacher's hidden sizes and parameter count as the draft stands (preset + overrides, or a stored model). */
export function teacherSize(
  catalog: Catalog,
  draft: SpecDraft,
  models: readonly { id: number; params: number; hiddenSizes: readonly number[] }[],
): { hiddenSizes: readonly number[] | null; params: number | null } {
  const env = catalog.envs.find((e) => e.id === draft.env);
  const teacher = draft.teacher as { train?: { preset?: unknown; overrides?: Record<string, unknown> }; modelId?: unknown } | undefined;
  if (teacher?.modelId !== undefined) {
    const m = models.find((x) => x.id === teacher.modelId);
    return m ? { hiddenSizes: m.hiddenSizes, params: m.params } : { hiddenSizes: null, params: null };
  }
  if (!teacher?.train || !env) return { hiddenSizes: null, params: null };
  const preset = catalog.presets[env.id]?.[String(teacher.train.preset ?? 'default')];
  const sizes = validSizes(teacher.train.overrides?.hiddenSizes ?? preset?.hiddenSizes);
  return { hiddenSizes: sizes, params: sizes ? mlpParams(env.observationSize, sizes, env.actionCount) : null };
}

// ---------------------------------------------------------------------------------------------------------
// Student rows

/** Fields every student row shows in its first line; the rest of the catalog's fields go under "More". */
export const STUDENT_ROW_FIELDS = ['hiddenSizes', 'method', 'mode', 'alpha', 'alphaSchedule', 'alphaEnd', 'softLoss', 'tau', 'steps'] as const;

/** The row's method and data mode, as the schema resolves them (a missing one from the other's default). */
function methodAndMode(row: Record<string, unknown>): { method: string; mode: string } {
  const mode = typeof row.mode === 'string' ? row.mode : undefined;
  const method = typeof row.method === 'string' ? row.method : defaultMethod(mode as 'offline' | 'online' | undefined);
  return { method, mode: mode ?? defaultMode(method as 'supervised' | 'retrieval' | 'teacher') };
}

/**
 * Whether a student field applies to the row's other choices (irrelevant ones are hidden unless set): the
 * schema's own rule (a field that has no effect is an error in the spec), given the row and its defaults.
 */
export function studentFieldApplies(name: string, row: Record<string, unknown>, defaults: Record<string, unknown>): boolean {
  const given: Record<string, unknown> = {};
  for (const k of ['method', 'mode', 'alpha', 'alphaSchedule', 'softLoss', 'hardLoss', 'evalEvery']) {
    const v = row[k] ?? defaults[k];
    if (v !== undefined) given[k] = v;
  }
  return fieldInapplicability(name as Parameters<typeof fieldInapplicability>[0], given) === null;
}

/**
 * Writes the catalog's defaults into a row's first-line fields that apply and are not set, so the row shows
 * (and the JSON says) what will run; first-line fields left at their default that no longer apply are removed
 * (the schema refuses a field that has no effect). Fields under "More" stay unset: their defaults show in grey.
 */
export function fillRowDefaults(catalog: Catalog, row: Record<string, unknown>): Record<string, unknown> {
  const d = studentRowDefaults(catalog, row);
  for (const k of STUDENT_ROW_FIELDS) {
    const applies = studentFieldApplies(k, row, d);
    if (row[k] === undefined && d[k] !== undefined && applies) row[k] = d[k];
    else if (row[k] !== undefined && !applies && k !== 'hiddenSizes' && JSON.stringify(row[k]) === JSON.stringify(d[k])) delete row[k];
  }
  return row;
}

/** A new student row with the catalog's defaults for its data mode. */
export function newStudent(catalog: Catalog, mode = 'offline', hiddenSizes: number[] = [16, 16]): Record<string, unknown> {
  return fillRowDefaults(catalog, { hiddenSizes, mode });
}

/**
 * Sets a row's field. The method and the data mode go together (supervised is offline, retrieval online):
 * changing one moves the other when needed. Changing them also moves budgets that were left at the old
 * defaults to the new ones (offline counts gradient updates, online env steps: 10,000 of one is not 10,000 of
 * the other), and first-line fields are refilled or dropped as they (no longer) apply.
 */
export function setStudentField(catalog: Catalog, row: Record<string, unknown>, name: string, value: unknown): void {
  const before = studentRowDefaults(catalog, row);
  if (value === undefined) delete row[name];
  else row[name] = value;
  if (name === 'method' && typeof value === 'string') {
    if (value === 'supervised' && row.mode === 'online') row.mode = 'offline';
    if (value === 'retrieval' && row.mode === 'offline') row.mode = 'online';
  }
  if (name === 'mode' && typeof value === 'string') {
    if (value === 'online' && row.method === 'supervised') row.method = 'retrieval';
    if (value === 'offline' && row.method === 'retrieval') row.method = 'supervised';
  }
  // Fields left at the old defaults follow the new ones (budgets change unit with the mode; the soft loss's
  // default depends on whether there is a hard loss).
  const after = studentRowDefaults(catalog, row);
  for (const k of [...STUDENT_ROW_FIELDS, 'evalEvery']) {
    if (k === name || row[k] === undefined || JSON.stringify(row[k]) !== JSON.stringify(before[k])) continue;
    if (after[k] === undefined) delete row[k];
    else row[k] = after[k];
  }
  fillRowDefaults(catalog, row);
}

/** The defaults a row falls back to (they depend on its method and data mode). */
export function studentRowDefaults(catalog: Catalog, row: Record<string, unknown>): Record<string, unknown> {
  const { method, mode } = methodAndMode(row);
  const d = catalog.studentDefaults[`${method}/${mode}`] ?? catalog.studentDefaults[mode] ?? catalog.studentDefaults.offline ?? {};
  const alpha = typeof row.alpha === 'number' ? row.alpha : (d.alpha as number);
  const alphaSchedule = typeof row.alphaSchedule === 'string' ? row.alphaSchedule : (d.alphaSchedule as string);
  return { ...d, softLoss: defaultSoftLoss({ alpha, alphaSchedule: alphaSchedule as 'constant' }) };
}

/** A short name for a row, shown until the user names it: "16-16 offline α 0". */
export function studentLabel(row: Record<string, unknown>): string {
  const sizes = Array.isArray(row.hiddenSizes) ? row.hiddenSizes.join('-') : '?';
  const { method, mode } = methodAndMode(row);
  return `${sizes} ${method} ${mode} α ${String(row.alpha ?? 0)}`;
}

/** Whether an enum field accepts the value (used to keep selects honest when the JSON holds something else). */
export function enumHas(info: FieldInfo, v: unknown): boolean {
  return typeof v === 'string' && (info.options ?? []).includes(v);
}

/** A deep copy for the draft (JSON-safe values only). */
export function cloneDraft<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
