/**
 * An in-memory StudioApi for the UI benchmarks only (never part of the app): it serves generated experiments,
 * runs and long metric series, and lets the bench push `metricPoints` events at a chosen rate, so the real
 * views are measured without a training process competing for the CPU.
 */
import type {
  Catalog,
  CompareRunView,
  EventMap,
  EventName,
  ExperimentDetail,
  ExperimentSummary,
  KnowledgeBaseView,
  MetricSeriesView,
  ReplayIndexView,
  ReplayView,
  RunView,
  StudioApi,
} from '../../../electron/api/contract.ts';
import { ApiError } from '../../../electron/api/contract.ts';

export interface FakeWorld {
  readonly catalog: Catalog;
  readonly experiments: ExperimentSummary[];
  readonly detail: ExperimentDetail | null;
  /** Points per (run, key) series that metricSeries answers with. */
  readonly pointsPerSeries: number;
  /** Part 2: the compare selection, a replay pair, a knowledge base. */
  readonly compare?: CompareRunView[];
  readonly replays?: { index: ReplayIndexView; episodes: ReplayView[] };
  readonly kb?: KnowledgeBaseView;
}

type Listener = (payload: unknown) => void;

export class FakeApi {
  private readonly listeners = new Map<EventName, Set<Listener>>();
  readonly api: StudioApi;

  constructor(private readonly world: FakeWorld) {
    const unsupported = (verb: string) => async () => {
      throw new ApiError('unavailable', `${verb} is not part of the UI bench`);
    };
    const verbs: Partial<Record<keyof StudioApi, unknown>> = {
      catalog: async () => world.catalog,
      listExperiments: async () => world.experiments,
      getExperiment: async ({ id }: { id: number }) => {
        if (!world.detail || world.detail.id !== id) throw new ApiError('not_found', `experiment ${id} not found`);
        return world.detail;
      },
      listRuns: async () => world.detail?.runs ?? [],
      metricSeries: async ({ runIds, keys }: { runIds: number[]; keys: string[] }) => this.series(runIds, keys),
      listModels: async () => [],
      compareRuns: async () => ({ runs: world.compare ?? [] }),
      replayIndex: async () => {
        if (!world.replays) throw new ApiError('not_found', 'no replays in this bench');
        return world.replays.index;
      },
      getReplay: async ({ id }: { id: number }) => world.replays?.episodes.find((e) => e.id === id) ?? Promise.reject(new ApiError('not_found', `replay ${id} not found`)),
      getKnowledgeBase: async () => world.kb ?? Promise.reject(new ApiError('not_found', 'no knowledge base in this bench')),
      listKnowledgeBases: async () => (world.kb ? [world.kb] : []),
      on: <E extends EventName>(event: E, listener: (p: EventMap[E]) => void) => {
        const set = this.listeners.get(event) ?? new Set();
        this.listeners.set(event, set);
        set.add(listener as Listener);
        return () => set.delete(listener as Listener);
      },
    };
    for (const v of ['deleteExperiment', 'validateSpec', 'createExperiment', 'startExperiment', 'cancelRun', 'cancelExperiment', 'resumeRun', 'getRun', 'metricKeys', 'exportExperiment', 'importExperiment', 'metricsCsv', 'importTeacher', 'exportModel']) {
      verbs[v as keyof StudioApi] ??= unsupported(v);
    }
    this.api = verbs as unknown as StudioApi;
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  private series(runIds: number[], keys: string[]): MetricSeriesView[] {
    const n = this.world.pointsPerSeries;
    const out: MetricSeriesView[] = [];
    for (const runId of runIds) {
      for (const key of keys) {
        const steps = new Array<number>(n);
        const values = new Array<number>(n);
        for (let i = 0; i < n; i++) {
          steps[i] = i * 10;
          values[i] = curve(key, runId, i);
        }
        out.push({ runId, key, unit: 'env_steps', steps, values, downsampled: false });
      }
    }
    return out;
  }
}

/** A plausible-looking value of a metric at point i (noisy learning curves, decaying losses and ε). */
export function curve(key: string, runId: number, i: number): number {
  const t = i / 2000;
  const noise = Math.sin(i * 12.9898 + runId * 78.233) * 43758.5453;
  const r = noise - Math.floor(noise) - 0.5;
  if (key.includes('return')) return Math.min(500, 500 * (1 - Math.exp(-t / (1 + runId * 0.3)))) + r * 60;
  if (key.includes('epsilon')) return Math.max(0.05, 1 - t);
  if (key.includes('alpha')) return 0.5;
  return Math.exp(-t) * (1 + runId * 0.1) + r * 0.05;
}

export function runView(id: number, role: RunView['role'], name: string, hiddenSizes: number[], status: RunView['status'], extra: Partial<RunView> = {}): RunView {
  return {
    id,
    experimentId: 1,
    role,
    name,
    status,
    seed: 1,
    backend: 'wasm',
    env: 'CartPole-v1',
    hiddenSizes,
    params: 4 * hiddenSizes[0] + 100,
    paramRatio: role === 'teacher' ? null : 0.05,
    teacherRunId: role === 'teacher' ? null : 1,
    student: role === 'student' ? { alpha: 0, alphaSchedule: 'constant', alphaEnd: 0, tau: 0.01, softLoss: 'kl', hardLoss: 'td', method: 'retrieval', mode: 'online', steps: 400_000 } : null,
    progress: null,
    result: null,
    error: null,
    resumable: false,
    checkpointStep: null,
    createdAt: new Date().toISOString(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    ...extra,
  };
}
