/**
 * The StudioApi contract: the one typed map of requests (with zod schemas for their arguments) and streamed
 * events between the renderer and the host (STYLE.md 6, after Electron Fiddle's ipc-events.ts). The Electron
 * preload and the browser-mode client both implement `StudioApi`; the host implements `StudioService` once
 * (electron/service/) and the IPC handlers, the HTTP server and the CLI are thin adapters over it.
 *
 * Rules:
 * - Every request takes one JSON-serialisable argument object validated by its schema in `REQUESTS` (the IPC
 *   handler and the HTTP route validate with the same schema, so a malformed call is refused with field paths
 *   before it reaches the service). Binary payloads (`Uint8Array`) travel as such over IPC and as
 *   application/octet-stream over HTTP (see `BINARY_REQUESTS`).
 * - Responses are plain JSON data (no class instances, no typed arrays except where the type says so).
 * - Failures are `ApiError`s: a code, a message that names the field or the object, and field issues for
 *   `invalid`.
 * - The renderer imports this file only (types, schemas and constants); test/boundaries.test.ts enforces it.
 *   Importing the experiment-spec schema from core/ here is deliberate: the designer validates live with the
 *   very schema the CLI and the service use.
 */
import { z } from 'zod';
import { ExperimentSpecSchema, type ExperimentSpec } from '../../core/experiment/spec.ts';
import { IPC_EVENT_NAMES, PRELOAD_GLOBAL, REQUEST_NAMES, type IpcResult, type PreloadBridge } from './ipc.ts';

export { ExperimentSpecSchema, type ExperimentSpec };
export { PRELOAD_GLOBAL, REQUEST_NAMES, type IpcResult, type PreloadBridge };
/**
 * The student-settings rules the designer needs to agree with the schema: which fields apply to a row's method,
 * data mode and α (a field that does not apply is an error in the spec), and the default method/mode pairing.
 */
export { defaultMethod, defaultMode, defaultSoftLoss, fieldInapplicability, STUDENT_METHODS, DATA_MODES } from '../../core/distill/config.ts';

/** Bumped when a request or event changes incompatibly; the browser client checks it at connect. */
export const API_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------
// Vocabulary (kept in step with db/ by test/electron/contract.test.ts)

export const RUN_ROLES = ['teacher', 'student', 'baseline'] as const;
export type RunRole = (typeof RUN_ROLES)[number];
export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** What a running job is doing; `train` is the gradient-update loop. */
export const RUN_PHASES = ['train', 'extract', 'evaluate', 'replay'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];
/** The unit of a metric series' x-axis. */
export type StepUnit = 'env_steps' | 'gradient_updates';

// ---------------------------------------------------------------------------------------------------------
// Views (what requests return)

export interface FieldIssue {
  /** Dotted path into the argument, e.g. "students.0.alpha"; "(root)" for the whole object. */
  readonly path: string;
  readonly message: string;
}

export interface RunCounts {
  readonly total: number;
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly interrupted: number;
}

export interface ExperimentSummary {
  readonly id: number;
  readonly name: string;
  readonly env: string;
  readonly createdAt: string;
  readonly runCounts: RunCounts;
  /** Best normalised score among the experiment's completed students (null when none completed). */
  readonly bestStudentScore: number | null;
  readonly bestStudentRunId: number | null;
  /** The teacher's greedy test return (null until its run completed). */
  readonly teacherReturn: number | null;
}

export interface RunProgress {
  readonly phase: RunPhase;
  /** Budget steps done and total in the phase's unit (env steps, updates, episodes). */
  readonly step: number;
  readonly total: number;
  readonly unit: StepUnit | 'episodes';
  readonly elapsedSeconds: number;
  /** Remaining seconds of the whole run at the current rate; null before there is a rate. */
  readonly etaSeconds: number | null;
  readonly recentReturn: number | null;
  readonly lastEval: number | null;
  /** When the host received it (ISO time). */
  readonly at: string;
}

/** A run as lists and the monitor show it. */
export interface RunView {
  readonly id: number;
  readonly experimentId: number | null;
  readonly role: RunRole;
  readonly name: string;
  readonly status: RunStatus;
  readonly seed: number;
  readonly backend: string | null;
  readonly env: string;
  /** Hidden layer widths of the network it trains (or the imported teacher's). */
  readonly hiddenSizes: readonly number[];
  readonly params: number | null;
  /** params / teacher params (students and baselines). */
  readonly paramRatio: number | null;
  readonly teacherRunId: number | null;
  /** Student configuration highlights (null for teachers and baselines). */
  readonly student: {
    readonly alpha: number;
    readonly alphaSchedule: string;
    readonly alphaEnd: number;
    readonly tau: number;
    readonly softLoss: string;
    readonly hardLoss: string;
    /** supervised | retrieval | teacher: where the soft targets come from. */
    readonly method: string;
    readonly mode: string;
    readonly steps: number;
  } | null;
  /** Last progress the host saw (only while running in this studio process). */
  readonly progress: RunProgress | null;
  readonly result: {
    readonly evalMean: number | null;
    readonly evalStd: number | null;
    /** Half-width of the 95% CI of evalMean; null when it has none (a single evaluation episode). */
    readonly evalCi95: number | null;
    /** Episodes of the final evaluation (1: no confidence interval). */
    readonly evalEpisodes: number | null;
    readonly normalizedScore: number | null;
    /** Teacher runs: whether the final return reached the env's reward threshold. */
    readonly reachedThreshold: boolean | null;
  } | null;
  readonly error: string | null;
  /** Whether `resumeRun` can continue it (interrupted, cancelled or externally failed, and resumable). */
  readonly resumable: boolean;
  /** Whether a checkpoint exists to resume from, and its step. */
  readonly checkpointStep: number | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface ExperimentDetail extends ExperimentSummary {
  readonly spec: ExperimentSpec;
  readonly runs: readonly RunView[];
}

export interface MetricSeriesView {
  readonly runId: number;
  readonly key: string;
  readonly unit: StepUnit;
  readonly steps: number[];
  readonly values: number[];
  /** True when points were dropped to fit maxPoints (min/max envelope kept). */
  readonly downsampled: boolean;
}

export interface ModelView {
  readonly id: number;
  readonly runId: number | null;
  readonly experimentId: number | null;
  readonly kind: string;
  readonly env: string;
  readonly hiddenSizes: readonly number[];
  readonly params: number;
  /** Greedy test return recorded for it, when known. */
  readonly evalMean: number | null;
  /** A human label: "teacher of experiment 3 (run 12)", "imported from …". */
  readonly label: string;
  readonly createdAt: string;
}

/** One documented field of a config form, derived from the zod schemas (the designer is built from these). */
export interface FieldInfo {
  readonly name: string;
  readonly description: string;
  readonly kind: 'integer' | 'number' | 'boolean' | 'enum' | 'integer-list' | 'string';
  readonly nullable: boolean;
  readonly options?: readonly string[];
  /** Words a number field also accepts (e.g. radius: "auto"). */
  readonly keywords?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  /** Exclusive bounds, when the schema says so. */
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
}

export interface EnvInfo {
  readonly id: string;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly observationLabels: readonly string[];
  readonly actionLabels: readonly string[];
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number;
}

export interface Catalog {
  readonly apiVersion: number;
  readonly envs: readonly EnvInfo[];
  /** Teacher presets per env: preset name → full DQN config (without env and seed), and its documentation. */
  readonly presets: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
  readonly presetDocs: Readonly<Record<string, string>>;
  /** DQN config fields (teacher overrides). */
  readonly teacherFields: readonly FieldInfo[];
  /** Student config fields (without env and seed). */
  readonly studentFields: readonly FieldInfo[];
  /** Student defaults per data mode. */
  /**
   * Student defaults per "method/mode" pair (e.g. "retrieval/online"), and per mode alone ("offline",
   * "online": the mode's default method).
   */
  readonly studentDefaults: Readonly<Record<string, Record<string, unknown>>>;
  /** A complete, valid starting spec per env. */
  readonly specTemplates: Readonly<Record<string, ExperimentSpec>>;
  /** Every metric key with its documentation and x-axis unit. */
  readonly metricKeys: readonly { readonly key: string; readonly doc: string; readonly unit: StepUnit | 'per_role' }[];
  /** tfjs backends this studio can select, best first, and the one workers use. */
  readonly backends: { readonly available: readonly string[]; readonly selected: string | null };
}

export interface PlannedRunView {
  readonly role: RunRole;
  readonly name: string;
  readonly hiddenSizes: readonly number[];
  readonly params: number;
  /** params / teacher params (null when the teacher's size is not known yet). */
  readonly paramRatio: number | null;
  readonly seed: number;
}

export type Validation =
  | { readonly ok: true; readonly spec: ExperimentSpec; readonly plan: { readonly teacherParams: number | null; readonly runs: readonly PlannedRunView[] }; readonly warnings: readonly FieldIssue[] }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

export interface CreatedExperimentView {
  readonly experimentId: number;
  readonly runIds: readonly number[];
  /** Whether its runs were queued on this studio's runner. */
  readonly started: boolean;
}

export interface ImportedExperimentsView {
  readonly experimentIds: readonly number[];
}

export interface ExportedFile {
  readonly fileName: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

// ---------------------------------------------------------------------------------------------------------
// Views of part 2: compare, replays, knowledge bases, model files

/** A run as the compare table, the curves and the frontier see it: its whole configuration and every result figure. */
export interface CompareRunView {
  readonly id: number;
  readonly experimentId: number | null;
  readonly experimentName: string | null;
  readonly role: RunRole;
  readonly name: string;
  readonly status: RunStatus;
  readonly env: string;
  readonly seed: number;
  readonly backend: string | null;
  readonly hiddenSizes: readonly number[];
  readonly params: number | null;
  /** params / the teacher's params (students and baselines). */
  readonly paramRatio: number | null;
  /** Student configuration (null for teachers and baselines). */
  readonly student: RunView['student'];
  /** Training budget in `budgetUnit`: env steps (teachers, baselines, online students) or gradient updates (offline students). */
  readonly budget: number | null;
  readonly budgetUnit: StepUnit;
  readonly result: {
    readonly evalMean: number | null;
    readonly evalStd: number | null;
    readonly evalCi95: number | null;
    readonly episodes: number | null;
    /** (G − G_random) / (G_teacher − G_random); 1 for a teacher by definition. */
    readonly normalizedScore: number | null;
    /** The 95% CI half-width of the return, in normalised-score units. */
    readonly normalizedCi95: number | null;
    readonly microsecondsPerAction: number | null;
    /** Share of held-out KB states where the student's greedy action is the teacher's. */
    readonly agreement: number | null;
    /** RMS error of the student's Q-values against the teacher's on held-out KB states. */
    readonly qRmse: number | null;
    readonly teacherEvalMean: number | null;
    readonly randomEvalMean: number | null;
  } | null;
  /** Seconds of training (evaluations excluded) when the run recorded them. */
  readonly trainSeconds: number | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Lineage: a student's (or baseline's) teacher run, the stored model it came from, and its knowledge base. */
  readonly teacherRunId: number | null;
  readonly teacherModelId: number | null;
  readonly kbId: number | null;
  /** A teacher's students and baselines (runs whose teacher it is). */
  readonly studentRunIds: readonly number[];
  /** Stored evaluation episodes (the replay viewer's). */
  readonly replays: number;
  /** Whether a final model exists (exportable). */
  readonly hasModel: boolean;
}

export interface CompareView {
  readonly runs: readonly CompareRunView[];
}

export interface ReplaySummaryView {
  readonly id: number;
  readonly runId: number;
  readonly episodeSeed: number;
  readonly length: number;
  readonly episodeReturn: number;
  /** True when the episode ended in a terminal state, false when the time limit cut it. */
  readonly terminated: boolean;
}

export interface ReplayRunRef {
  readonly runId: number;
  readonly experimentId: number | null;
  readonly name: string;
  readonly role: RunRole;
  readonly hiddenSizes: readonly number[];
  readonly seed: number;
  readonly replays: readonly ReplaySummaryView[];
}

/** A run's stored episodes and the runs it can be replayed beside (same env, episodes on shared seeds). */
export interface ReplayIndexView {
  readonly env: string;
  readonly run: ReplayRunRef;
  /** Teacher, students and baselines of the same family that have replays on at least one of the run's seeds. */
  readonly partners: readonly ReplayRunRef[];
  /** The partner shown by default: a student's or baseline's teacher, a teacher's best student. */
  readonly defaultPartnerId: number | null;
}

/** One stored episode, step by step. */
export interface ReplayView extends ReplaySummaryView {
  readonly env: string;
  readonly observationSize: number;
  readonly actionCount: number;
  /** (length + 1) × observationSize: the observation before each step, then the final one. */
  readonly states: readonly number[];
  readonly actions: readonly number[];
  readonly rewards: readonly number[];
  /** length × actionCount: the Q-values the policy chose from (null when not recorded). */
  readonly qValues: readonly number[] | null;
}

export interface KnowledgeBaseSummaryView {
  readonly id: number;
  readonly env: string;
  readonly size: number;
  readonly episodes: number;
  readonly meanEpisodeReturn: number | null;
  readonly epsilon: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly teacherRunId: number | null;
  readonly teacherModelId: number | null;
  /** "teacher run 12 (64-64, experiment 3)", "model 7 (imported from dqn.zip)". */
  readonly teacherLabel: string;
  readonly experimentId: number | null;
  readonly experimentName: string | null;
  readonly createdAt: string;
}

/** Equal-width bins over [lo, hi]; counts[i] covers [lo + i·w, lo + (i+1)·w). */
export interface HistogramView {
  readonly lo: number;
  readonly hi: number;
  readonly counts: readonly number[];
  readonly n: number;
}

/** Little-endian typed-array bytes as base64 (compact in JSON; the page decodes it into a typed array). */
export type Base64Array = string;

export interface KnowledgeBaseView extends KnowledgeBaseSummaryView {
  readonly seed: number;
  readonly numEnvs: number | null;
  readonly incompleteEpisodes: number;
  readonly teacher: { readonly source: string; readonly paramCount: number; readonly hiddenSizes: readonly number[] };
  readonly stats: {
    readonly stateMean: readonly number[];
    readonly stateStd: readonly number[];
    readonly stateMin: readonly number[];
    readonly stateMax: readonly number[];
    /** Share of rows per action (the teacher's ε-greedy actions). */
    readonly actionMix: readonly number[];
    /** Share of rows per teacher greedy action. */
    readonly greedyMix: readonly number[];
    readonly greedyFraction: number | null;
    readonly returnMean: number | null;
    readonly returnStd: number | null;
    readonly returnMin: number | null;
    readonly returnMax: number | null;
    readonly teacherMaxQMean: number | null;
    readonly teacherMaxQStd: number | null;
  };
  /** Rows for the coverage scatter: every row, or an even sample of `maxPoints` (rows = how many are here). */
  readonly points: {
    readonly rows: number;
    /** Float32, rows × observationSize. */
    readonly states: Base64Array;
    /** Uint8, the teacher's greedy action per row. */
    readonly greedy: Base64Array;
  };
  readonly histograms: {
    /** The teacher's Q-values, one histogram per action on shared bins. */
    readonly qByAction: readonly HistogramView[];
    /** Q(best) − Q(second best): small where the teacher is unsure. */
    readonly gap: HistogramView;
    /** Episode returns of the rollout. */
    readonly returns: HistogramView;
  };
  /**
   * Retrieval students of this KB: a uniform sample (at most 2,000) of their own states that had no KB
   * neighbour within the retrieval radius (no soft target there), stored with the run.
   */
  readonly outsideRadius: readonly {
    readonly runId: number;
    readonly name: string;
    /** Radius in standardised units (the KB's per-dimension scale). */
    readonly radius: number | null;
    /** Queries without a neighbour within the radius, over the run, and how many of them are here. */
    readonly seen: number | null;
    readonly kept: number;
    /** Float32, kept × observationSize. */
    readonly states: Base64Array;
  }[];
  /** Runs that learned from it (students), with their method and mode. */
  readonly students: readonly { readonly runId: number; readonly name: string; readonly experimentId: number | null; readonly mode: string; readonly method: string; readonly status: RunStatus }[];
}

export interface ImportedTeacherView {
  readonly modelId: number;
  readonly env: string;
  /** How it runs in the studio: a tfjs Q-network, or an ONNX graph in onnxruntime. */
  readonly runtime: string;
  readonly format: string;
  readonly fileName: string;
  /** "4-64-64-2". */
  readonly network: string;
  readonly params: number;
  readonly hiddenSizes: readonly number[];
  readonly evalMean: number;
  readonly evalCi95: number;
  readonly episodes: number;
  readonly randomMean: number;
}

export const EXPORT_MODEL_FORMATS = ['onnx', 'tfjs', 'js', 'c'] as const;
export type ExportModelFormat = (typeof EXPORT_MODEL_FORMATS)[number];

/** An exported model file (tfjs: the folder as a .zip), with the check it passed before it was handed over. */
export interface ExportedModelFile extends ExportedFile {
  readonly format: ExportModelFormat;
  readonly modelId: number;
  readonly check: {
    readonly states: number;
    readonly statesSource: string;
    readonly method: string;
    readonly maxAbsDiff: number;
    readonly maxRelDiff: number;
    readonly actionsAgree: number;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Requests

const id = z.number().int().positive();

export const REQUESTS = {
  /** Environments, presets, documented config fields, defaults, metric keys, backends. */
  catalog: z.object({}).strict(),
  listExperiments: z.object({}).strict(),
  getExperiment: z.object({ id }).strict(),
  /** Deletes an experiment with its runs and everything they own; refused while a run is running. */
  deleteExperiment: z.object({ id }).strict(),
  /** Field-level validation of a spec (same schema as the CLI) plus the planned runs and their sizes. */
  validateSpec: z.object({ spec: z.unknown() }).strict(),
  /** Validates, stores the experiment and its runs in one transaction, and (by default) queues them. */
  createExperiment: z.object({ spec: z.unknown(), start: z.boolean().default(true) }).strict(),
  /** Queues every queued or interrupted run of an experiment (e.g. one created with start: false). */
  startExperiment: z.object({ id }).strict(),
  cancelRun: z.object({ runId: id }).strict(),
  /** Cancels every queued and running run of the experiment. */
  cancelExperiment: z.object({ id }).strict(),
  /** Continues an interrupted, cancelled or externally failed run from its checkpoint, then its waiting dependents. */
  /** `backend`: continue on another backend than the run's recorded one (its arithmetic changes). */
  resumeRun: z.object({ runId: id, backend: z.string().min(1).max(40).optional() }).strict(),
  listRuns: z.object({ experimentId: id.optional() }).strict(),
  getRun: z.object({ runId: id }).strict(),
  /** Metric series, downsampled to at most maxPoints each (min/max envelope). */
  metricSeries: z
    .object({
      runIds: z.array(id).min(1).max(500),
      keys: z.array(z.string().min(1).max(100)).min(1).max(50),
      maxPoints: z.number().int().min(2).max(100_000).default(2000),
    })
    .strict(),
  /** Metric keys that have points, per run. */
  metricKeys: z.object({ runIds: z.array(id).min(1).max(500) }).strict(),
  /** Stored models (to reuse as a teacher), optionally for one env. */
  listModels: z.object({ env: z.string().optional() }).strict(),
  /** The experiment (spec, runs, metrics, models, KBs, evaluations, replays) as one portable file. */
  exportExperiment: z.object({ id }).strict(),
  /** Imports a file written by exportExperiment; ids are remapped; importing the same file twice is refused. */
  importExperiment: z.object({ fileName: z.string().min(1).max(500), bytes: z.instanceof(Uint8Array) }).strict(),
  /** The compare table's runs: every run of the given experiments, and the given runs (at most 2,000 in all). */
  compareRuns: z
    .object({ experimentIds: z.array(id).max(500).default([]), runIds: z.array(id).max(2000).default([]) })
    .strict()
    .refine((r) => r.experimentIds.length + r.runIds.length > 0, { message: 'give experimentIds or runIds', path: ['experimentIds'] }),
  /** A run's stored episodes and the runs it can be replayed beside. */
  replayIndex: z.object({ runId: id }).strict(),
  /** One stored episode with its states, actions, rewards and Q-values. */
  getReplay: z.object({ id }).strict(),
  /** Knowledge bases, optionally those of one experiment's teacher. */
  listKnowledgeBases: z.object({ experimentId: id.optional() }).strict(),
  /** A knowledge base for the browser: statistics, coverage points (at most maxPoints, evenly spread), histograms. */
  getKnowledgeBase: z.object({ id, maxPoints: z.number().int().min(100).max(1_000_000).default(100_000), bins: z.number().int().min(5).max(200).default(40) }).strict(),
  /** Every point of the given metric series as CSV (run, name, key, step, value). */
  metricsCsv: z.object({ runIds: z.array(id).min(1).max(500), keys: z.array(z.string().min(1).max(100)).min(1).max(50) }).strict(),
  /** Imports a teacher file (SB3 .zip, torch state dict, .safetensors, .onnx) for an env; evaluated, then stored as a model. */
  importTeacher: z
    .object({
      fileName: z.string().min(1).max(500),
      bytes: z.instanceof(Uint8Array),
      env: z.string().min(1).max(100),
      evalEpisodes: z.number().int().min(1).max(1000).default(20),
    })
    .strict(),
  /** A run's final model (or a stored model) as an ONNX file, a tfjs folder (zipped), an ES module or a C header, checked before it is handed over. */
  exportModel: z
    .object({
      runId: id.optional(),
      modelId: id.optional(),
      format: z.enum(EXPORT_MODEL_FORMATS),
      cName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/, 'must be a C identifier of at most 31 characters').optional(),
    })
    .strict()
    .refine((r) => (r.runId === undefined) !== (r.modelId === undefined), { message: 'give exactly one of runId and modelId', path: ['runId'] }),
} as const;

export type RequestName = keyof typeof REQUESTS;

// REQUEST_NAMES (ipc.ts, which the preload bundles without zod) must list exactly the keys of REQUESTS.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestNamesMatch: SameKeys<(typeof REQUEST_NAMES)[number], RequestName> = true;
void requestNamesMatch;
/** What a caller passes (defaults may be omitted). */
export type RequestInput<K extends RequestName> = z.input<(typeof REQUESTS)[K]>;
/** What the service receives (defaults filled in). */
export type RequestArgs<K extends RequestName> = z.output<(typeof REQUESTS)[K]>;

export interface ResponseMap {
  catalog: Catalog;
  listExperiments: ExperimentSummary[];
  getExperiment: ExperimentDetail;
  deleteExperiment: { deleted: number };
  validateSpec: Validation;
  createExperiment: CreatedExperimentView;
  startExperiment: { queued: number[] };
  cancelRun: RunView;
  cancelExperiment: { cancelled: number[] };
  resumeRun: RunView;
  listRuns: RunView[];
  getRun: RunView;
  metricSeries: MetricSeriesView[];
  metricKeys: { runId: number; keys: string[] }[];
  listModels: ModelView[];
  exportExperiment: ExportedFile;
  importExperiment: ImportedExperimentsView;
  compareRuns: CompareView;
  replayIndex: ReplayIndexView;
  getReplay: ReplayView;
  listKnowledgeBases: KnowledgeBaseSummaryView[];
  getKnowledgeBase: KnowledgeBaseView;
  metricsCsv: ExportedFile;
  importTeacher: ImportedTeacherView;
  exportModel: ExportedModelFile;
}

/** Requests whose argument or answer carries bytes (HTTP sends those as application/octet-stream). */
export const BINARY_REQUESTS = { exportExperiment: 'response', importExperiment: 'request', metricsCsv: 'response', exportModel: 'response', importTeacher: 'request' } as const satisfies Partial<Record<RequestName, 'request' | 'response'>>;

// ---------------------------------------------------------------------------------------------------------
// Events (host → renderer)

export interface EventMap {
  /** A run changed status (queued → running → completed …). */
  runStatus: { readonly runId: number; readonly experimentId: number | null; readonly status: RunStatus; readonly error: string | null };
  /** Throttled progress of a running run (at most a few per second per run). */
  runProgress: { readonly runId: number; readonly experimentId: number | null; readonly backend: string | null; readonly progress: RunProgress };
  /** New metric points of a run, batched and throttled (a few batches per second per run). */
  metricPoints: { readonly runId: number; readonly points: readonly { readonly key: string; readonly step: number; readonly value: number; readonly unit?: StepUnit }[] };
  /** An experiment was created, imported, deleted or its runs were (re)queued. */
  experimentsChanged: { readonly experimentId: number; readonly change: 'created' | 'deleted' | 'updated' };
}

export type EventName = keyof EventMap;
export const EVENT_NAMES = IPC_EVENT_NAMES satisfies readonly EventName[];
const eventNamesMatch: SameKeys<(typeof EVENT_NAMES)[number], EventName> = true;
void eventNamesMatch;

// ---------------------------------------------------------------------------------------------------------
// Errors

/** The service answers the first five; `unauthorized`, `forbidden` and `too_large` come from the browser-mode transport. */
export const API_ERROR_CODES = ['invalid', 'not_found', 'conflict', 'unavailable', 'internal', 'unauthorized', 'forbidden', 'too_large'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The error every transport reproduces on the caller's side. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }

  toJSON(): { code: ApiErrorCode; message: string; issues: readonly FieldIssue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}

/** Validates a request's argument with its schema; a failure is an `invalid` ApiError naming the fields. */
export function parseRequest<K extends RequestName>(name: K, input: unknown): RequestArgs<K> {
  const schema = REQUESTS[name] as unknown as z.ZodType<RequestArgs<K>>;
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  throw new ApiError('invalid', `${name}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

// ---------------------------------------------------------------------------------------------------------
// The API as the renderer sees it, and as the host implements it

export type Unsubscribe = () => void;

/** What the renderer calls: one async verb per request, plus event subscriptions. */
export type StudioApi = {
  readonly [K in RequestName]: (input: RequestInput<K>) => Promise<ResponseMap[K]>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): Unsubscribe;
};

/** What the host implements once: verbs over validated arguments. Adapters call `parseRequest` first. */
export type StudioService = {
  readonly [K in RequestName]: (args: RequestArgs<K>) => Promise<ResponseMap[K]>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): Unsubscribe;
};

// ---------------------------------------------------------------------------------------------------------
// The Electron preload's bridge as a StudioApi (the renderer uses this when `window[PRELOAD_GLOBAL]` exists)

/** Wraps the preload's bridge: envelopes become results or thrown ApiErrors, as over HTTP. */
export function apiFromBridge(bridge: PreloadBridge): StudioApi {
  const verbs = Object.fromEntries(
    REQUEST_NAMES.map((name) => [
      name,
      async (input: unknown) => {
        const result = (await (bridge[name] as (i: unknown) => Promise<IpcResult<unknown>>)(input)) as IpcResult<unknown>;
        if (result.ok) return result.value;
        throw new ApiError(result.error.code, result.error.message, result.error.issues);
      },
    ]),
  );
  return { ...verbs, on: (event, listener) => bridge.on(event, listener) } as StudioApi;
}

// ---------------------------------------------------------------------------------------------------------
// CSV as the studio writes it (metricsCsv on the host, the compare table's export in the page): RFC 4180,
// comma-separated, CRLF line ends, a field quoted when it holds a comma, a quote or a line break.

/** One CSV field: numbers as JavaScript writes them (NaN and ±∞ as an empty field), text quoted when needed. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with its CRLF). */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
