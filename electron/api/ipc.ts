/**
 * How the StudioApi travels over Electron IPC: the preload exposes a bridge under `window[PRELOAD_GLOBAL]` with
 * one function per request (answering an `IpcResult` envelope, because Electron keeps only the message of an
 * error thrown across IPC) and `on(event, listener)`. The renderer wraps the bridge with `apiFromBridge`
 * (contract.ts) to get a StudioApi that throws ApiErrors, exactly like the browser-mode client.
 *
 * This file holds values the sandboxed preload bundles (names, channels) and no runtime import: the preload
 * stays a few lines of code with no zod or schemas in it.
 */
import type { ApiErrorCode, EventMap, EventName, FieldIssue, RequestInput, RequestName, ResponseMap, Unsubscribe } from './contract.ts';

/** The global the preload defines in the renderer's main world. */
export const PRELOAD_GLOBAL = 'distillStudio';

/** Every request name (contract.ts checks at compile time that this is exactly the keys of REQUESTS). */
export const REQUEST_NAMES = [
  'catalog',
  'listExperiments',
  'getExperiment',
  'deleteExperiment',
  'validateSpec',
  'createExperiment',
  'startExperiment',
  'cancelRun',
  'cancelExperiment',
  'resumeRun',
  'listRuns',
  'getRun',
  'metricSeries',
  'metricKeys',
  'listModels',
  'exportExperiment',
  'importExperiment',
  'compareRuns',
  'replayIndex',
  'getReplay',
  'listKnowledgeBases',
  'getKnowledgeBase',
  'metricsCsv',
  'importTeacher',
  'exportModel',
] as const;

export const IPC_EVENT_NAMES = ['runStatus', 'runProgress', 'metricPoints', 'experimentsChanged'] as const;

/** The invoke channel of a request. */
export const ipcChannel = (name: string): string => `studio:${name}`;
/** The channel events are sent on, as `{ event, payload }`. */
export const IPC_EVENT_CHANNEL = 'studio:event';

export type IpcResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly code: ApiErrorCode; readonly message: string; readonly issues: readonly FieldIssue[] } };

/** What the preload exposes: the contract's verbs (answering envelopes) and event subscription, nothing else. */
export type PreloadBridge = {
  readonly [K in RequestName]: (input: RequestInput<K>) => Promise<IpcResult<ResponseMap[K]>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): Unsubscribe;
};
