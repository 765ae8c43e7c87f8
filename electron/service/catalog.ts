/**
 * The catalog the designer is built from: environments, teacher presets, the documented fields of the teacher
 * and student configs (derived from their zod schemas, so a new field shows up by itself), defaults, a valid
 * starting spec per environment, the metric keys and the backends.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import { DqnConfigSchema } from '../../core/dqn/config.ts';
import { PRESET_NAMES, presetConfig } from '../../core/dqn/presets.ts';
import { DATA_MODES, STUDENT_METHODS, StudentConfigBase, defaultMethod, studentDefaults } from '../../core/distill/config.ts';
import { ENV_IDS, ENV_SPECS } from '../../core/envs/index.ts';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { METRIC_KEYS } from '../../core/metrics.ts';
import { BACKEND_NAMES } from '../../core/nn/backend.ts';
import { API_VERSION, type Catalog, type EnvInfo, type ExperimentSpec, type FieldInfo } from '../api/contract.ts';

/** Observation components as Gymnasium documents them, and the actions' meanings. */
const ENV_LABELS: Record<string, { observations: string[]; actions: string[] }> = {
  'CartPole-v1': { observations: ['cart position', 'cart velocity', 'pole angle', 'pole angular velocity'], actions: ['push left', 'push right'] },
  'Acrobot-v1': {
    observations: ['cos θ1', 'sin θ1', 'cos θ2', 'sin θ2', 'θ1 angular velocity', 'θ2 angular velocity'],
    actions: ['torque −1', 'torque 0', 'torque +1'],
  },
  'MountainCar-v0': { observations: ['position', 'velocity'], actions: ['accelerate left', 'no acceleration', 'accelerate right'] },
};

const PRESET_DOCS: Record<string, string> = {
  default:
    "This project's preset, tuned for wall-clock on a 2-core CPU: the RL Zoo recipe on a 64-64 network (128-128 for MountainCar) with 3-step returns, a greedy validation every few thousand steps, and the best validated weights kept; it reaches the threshold on seeds 1-5 of every environment.",
  zoo: 'RL Baselines3 Zoo hyperparams/dqn.yml on SB3 DQN defaults, 256-256 network.',
  cleanrl: 'CleanRL dqn.py defaults (120-84 network, MSE loss, no gradient clipping, 500k steps).',
};

/** Metric documentation (core/metrics.ts names the keys). Student steps count updates offline, env steps online. */
const METRIC_DOCS: Record<string, string> = {
  [METRIC_KEYS.episodicReturn]: 'Return of a finished training episode (ε-greedy behaviour).',
  [METRIC_KEYS.episodicLength]: 'Length of a finished training episode.',
  [METRIC_KEYS.epsilon]: 'Exploration ε in force.',
  [METRIC_KEYS.sps]: 'Env steps per second since the start of the run.',
  [METRIC_KEYS.tdLoss]: 'Mean TD loss since the last point (mean over the batch).',
  [METRIC_KEYS.qValues]: 'Mean Q(s, a) of the sampled actions since the last point.',
  [METRIC_KEYS.gradientSteps]: 'Gradient updates done so far.',
  [METRIC_KEYS.distillLoss]: 'Distillation loss α·L_hard + (1−α)·L_soft, mean since the last point.',
  [METRIC_KEYS.hardLoss]: 'L_hard, mean since the last point.',
  [METRIC_KEYS.softLoss]: 'L_soft, mean since the last point.',
  [METRIC_KEYS.alpha]: 'α in force.',
  [METRIC_KEYS.evalMeanReturn]: 'Mean greedy return on the validation seeds (periodic evaluation).',
  [METRIC_KEYS.evalStdReturn]: 'Std of the greedy return on the validation seeds.',
};

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

/** FieldInfo of every property of an object schema, from its JSON Schema (zod's own conversion). */
export function fieldsOf(schema: z.ZodType, omit: readonly string[] = []): FieldInfo[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, JsonSchema> };
  const bound = (v: number | undefined) => (v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
  return Object.entries(json.properties)
    .filter(([name]) => !omit.includes(name))
    .map(([name, raw]) => {
      const nullable = Array.isArray(raw.anyOf) && raw.anyOf.some((s) => s.type === 'null');
      // A number that also takes words (z.union([z.literal('auto'), z.number()])): the number, with the words as keywords.
      const words = (raw.anyOf ?? []).filter((x) => typeof x.const === 'string').map((x) => String(x.const));
      const numeric = (raw.anyOf ?? []).find((x) => x.type === 'number' || x.type === 'integer');
      const s: JsonSchema = words.length > 0 && numeric ? numeric : nullable ? { ...raw.anyOf!.find((x) => x.type !== 'null')!, description: raw.description } : raw;
      const range = s.type === 'array' ? (s.items ?? {}) : s;
      const kind: FieldInfo['kind'] =
        s.enum !== undefined
          ? 'enum'
          : s.type === 'array'
            ? 'integer-list'
            : s.type === 'integer'
              ? 'integer'
              : s.type === 'number'
                ? 'number'
                : s.type === 'boolean'
                  ? 'boolean'
                  : 'string';
      const info: { -readonly [K in keyof FieldInfo]: FieldInfo[K] } = { name, description: raw.description ?? s.description ?? '', kind, nullable };
      if (s.enum) info.options = s.enum.map(String);
      if (words.length > 0 && numeric) info.keywords = words;
      if (bound(range.minimum) !== undefined) info.minimum = range.minimum;
      if (bound(range.maximum) !== undefined) info.maximum = range.maximum;
      if (bound(range.exclusiveMinimum) !== undefined) info.exclusiveMinimum = range.exclusiveMinimum;
      if (bound(range.exclusiveMaximum) !== undefined) info.exclusiveMaximum = range.exclusiveMaximum;
      return info;
    });
}

/** A complete, valid experiment for an env: the default teacher, an 8-8 student offline and online, baselines, 3 seeds. */
export function specTemplate(env: (typeof ENV_IDS)[number]): ExperimentSpec {
  return parseExperimentSpec({
    version: 1,
    name: `${env} distillation`,
    env,
    teacher: { train: { preset: 'default', seed: 1 } },
    knowledgeBase: { steps: 20_000, epsilon: 0.05, seed: 1 },
    students: [
      { hiddenSizes: [8, 8], mode: 'offline' },
      { hiddenSizes: [8, 8], mode: 'online' },
    ],
    baselines: true,
    seeds: [1, 2, 3],
    evaluation: { episodes: 20, replays: 2 },
  });
}

/** Backends whose package is installed (loading them is left to the workers). */
function installedBackends(): string[] {
  const require = createRequire(import.meta.url);
  const has = (pkg: string) => {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  };
  const packages: Record<string, string | null> = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node', wasm: '@tensorflow/tfjs-backend-wasm', cpu: null };
  return BACKEND_NAMES.filter((b) => packages[b] === null || has(packages[b]!));
}

export function buildCatalog(selectedBackend: string | null): Catalog {
  const envs: EnvInfo[] = ENV_IDS.map((id) => {
    const spec = ENV_SPECS[id];
    return {
      id,
      observationSize: spec.observationSize,
      actionCount: spec.actionCount,
      observationLabels: ENV_LABELS[id]?.observations ?? spec.stateLabels.slice(0, spec.observationSize),
      actionLabels: ENV_LABELS[id]?.actions ?? Array.from({ length: spec.actionCount }, (_, i) => `action ${i}`),
      maxEpisodeSteps: spec.maxEpisodeSteps,
      rewardThreshold: spec.rewardThreshold,
    };
  });
  const presets = Object.fromEntries(ENV_IDS.map((env) => [env, Object.fromEntries(PRESET_NAMES.map((p) => [p, { ...presetConfig(env, p) } as Record<string, unknown>]))]));
  return {
    apiVersion: API_VERSION,
    envs,
    presets,
    presetDocs: PRESET_DOCS,
    teacherFields: fieldsOf(DqnConfigSchema, ['env', 'seed']),
    studentFields: fieldsOf(StudentConfigBase, ['env', 'seed']),
    studentDefaults: studentDefaultsCatalog(),
    specTemplates: Object.fromEntries(ENV_IDS.map((env) => [env, specTemplate(env)])),
    metricKeys: Object.values(METRIC_KEYS).map((key) => ({ key, doc: METRIC_DOCS[key] ?? key, unit: 'per_role' as const })),
    backends: { available: installedBackends(), selected: selectedBackend },
  };
}

/** Student defaults per "method/mode" pair that the schema accepts, and per mode (with the mode's default method). */
function studentDefaultsCatalog(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const method of STUDENT_METHODS) {
    for (const mode of DATA_MODES) {
      if ((method === 'supervised' && mode === 'online') || (method === 'retrieval' && mode === 'offline')) continue;
      out[`${method}/${mode}`] = { ...studentDefaults(method, mode) };
    }
  }
  for (const mode of DATA_MODES) out[mode] = { ...studentDefaults(defaultMethod(mode), mode) };
  return out;
}
