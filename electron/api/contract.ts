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
}

/** Requests whose argument or answer carries bytes (HTTP sends those as application/octet-stream). */
export const BINARY_REQUESTS = { exportExperiment: 'response', importExperiment: 'request' } as const satisfies Partial<Record<RequestName, 'request' | 'response'>>;

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
