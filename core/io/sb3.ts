/**
 * Stable-Baselines3 DQN saves (`model.save("dqn.zip")`, save_util.save_to_zip_file): a zip holding
 * - `data`: JSON of the algorithm's attributes; values JSON cannot hold are {":type:", ":serialized:"
 *   (base64 cloudpickle), …their first-level attributes as text}. Read here: policy_class, policy_kwargs
 *   (net_arch, activation_fn, features extractor), observation_space (Box: _shape, dtype, low, high) and
 *   action_space (Discrete: n, start). The cloudpickled parts are never unpickled (that would run code); the
 *   policy class name is read from its pickle with a parser that only records the global it names.
 * - `policy.pth`: the DQNPolicy state dict (torch.save zip), `q_net.q_net.<i>.weight/bias` and the target copy;
 * - `policy.optimizer.pth`, `pytorch_variables.pth`, `_stable_baselines3_version`, `system_info.txt`.
 */
import { Parser } from 'pickleparser';
import { ModelFileError } from './errors.ts';
import { readTorchZip, type StateDict } from './torch-state-dict.ts';

export interface Sb3Space {
  /** "Box", "Discrete", … (the class name from ":type:"). */
  readonly type: string;
  readonly shape: number[] | null;
  readonly dtype: string | null;
  readonly low: number[] | null;
  readonly high: number[] | null;
  readonly n: number | null;
  readonly start: number | null;
}

export interface Sb3Model {
  readonly version: string | null;
  /** e.g. "stable_baselines3.dqn.policies.DQNPolicy" (null when unreadable). */
  readonly policyClass: string | null;
  readonly netArch: number[] | null;
  /** torch activation class name from policy_kwargs.activation_fn (SB3's DQN default is ReLU). */
  readonly activation: string;
  readonly featuresExtractor: string | null;
  readonly observationSpace: Sb3Space;
  readonly actionSpace: Sb3Space;
  readonly policy: StateDict;
  /** A few training facts worth keeping with the imported model. */
  readonly training: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** The global a pickled class reference names ("module.name"), read without building anything. */
export function pickledGlobalName(base64: string): string | null {
  let named: string | null = null;
  try {
    const bytes = Uint8Array.from(Buffer.from(base64, 'base64'));
    const parser = new Parser({
      nameResolver: {
        resolve: (module: string, name: string) => {
          named = `${module}.${name}`;
          return () => {
            throw new Error('not a plain class reference');
          };
        },
      },
      persistentResolver: { resolve: () => { throw new Error('persistent ids are not expected'); } },
      extensionResolver: { resolve: () => { throw new Error('extensions are not expected'); } },
      unpicklingTypeOfDictionary: 'Map',
      unpicklingTypeOfSet: 'array',
    } as ConstructorParameters<typeof Parser>[0]);
    const value = parser.parse(bytes);
    return typeof value === 'function' ? named : null;
  } catch {
    return null;
  }
}

/** numpy's printed arrays ("[-4.8000002e+00 -3.4028235e+38 …]") → numbers; null when abbreviated or odd. */
export function parseNumpyArray(text: unknown): number[] | null {
  if (typeof text !== 'string' || text.includes('...')) return null;
  const body = text.trim().replace(/^\[+|\]+$/g, '').trim();
  if (body === '') return [];
  const parts = body.split(/[\s,\[\]]+/).filter(Boolean);
  const values = parts.map((p) => (p === 'inf' ? Infinity : p === '-inf' ? -Infinity : Number(p)));
  return values.every((v) => !Number.isNaN(v)) ? values : null;
}

function className(typeText: unknown): string {
  const m = /<class '([\w.]+)'>/.exec(String(typeText ?? ''));
  return m ? m[1].split('.').pop()! : String(typeText ?? 'unknown');
}

function readSpace(raw: unknown, field: string, file: string): Sb3Space {
  if (typeof raw !== 'object' || raw === null) throw new ModelFileError(file, `data: "${field}" is missing`);
  const s = raw as Json;
  const shape = Array.isArray(s._shape) && s._shape.every((d) => Number.isInteger(d)) ? (s._shape as number[]) : null;
  const scalar = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : null);
  const low = parseNumpyArray(s.low);
  const high = parseNumpyArray(s.high);
  return {
    type: className(s[':type:']),
    shape,
    dtype: typeof s.dtype === 'string' ? s.dtype : null,
    low: low && shape && low.length === shape.reduce((a, b) => a * b, 1) ? low : null,
    high: high && shape && high.length === shape.reduce((a, b) => a * b, 1) ? high : null,
    n: scalar(s.n),
    start: scalar(s.start) ?? (s.n !== undefined ? 0 : null),
  };
}

/** "<class 'torch.nn.modules.activation.ReLU'>" → "ReLU". */
function activationName(kwargs: Json): string {
  const fn = kwargs.activation_fn;
  if (fn === undefined || fn === null) return 'ReLU';
  return className(fn);
}

export function isSb3Archive(names: Iterable<string>): boolean {
  const set = new Set(names);
  return set.has('data') && set.has('policy.pth');
}

export function readSb3Zip(entries: Map<string, Uint8Array>, file: string): Sb3Model {
  const text = (name: string) => {
    const b = entries.get(name);
    return b ? new TextDecoder().decode(b) : null;
  };
  let data: Json;
  try {
    data = JSON.parse(text('data') ?? '');
  } catch (err) {
    throw new ModelFileError(`${file} (data)`, `corrupt Stable-Baselines3 data JSON (${(err as Error).message})`);
  }
  const pc = data.policy_class as Json | undefined;
  const policyClass = (typeof pc?.[':serialized:'] === 'string' ? pickledGlobalName(pc[':serialized:'] as string) : null) ??
    (typeof pc?.__module__ === 'string' ? `${pc.__module__}.?` : null);
  // A kwargs dict with a class in it is cloudpickled whole; its first-level items are kept beside it as JSON or
  // text ("activation_fn": "<class 'torch.nn.modules.activation.Tanh'>"), which is what is read here.
  const kwargs = (data.policy_kwargs ?? {}) as Json;
  const netArch = Array.isArray(kwargs.net_arch) && kwargs.net_arch.every((h) => Number.isInteger(h)) ? (kwargs.net_arch as number[]) : null;
  const extractor = kwargs.features_extractor_class !== undefined ? className(kwargs.features_extractor_class) : null;
  const policy = readTorchZip(entries.get('policy.pth')!, `${file}/policy.pth`);
  const pick = (k: string) => (typeof data[k] === 'number' || typeof data[k] === 'string' || typeof data[k] === 'boolean' ? data[k] : undefined);
  const training: Record<string, unknown> = {};
  for (const k of ['num_timesteps', 'seed', 'learning_rate', 'gamma', 'batch_size', 'buffer_size', 'learning_starts', 'target_update_interval', 'exploration_final_eps', 'exploration_fraction', 'gradient_steps', 'max_grad_norm']) {
    if (pick(k) !== undefined) training[k] = pick(k);
  }
  return {
    version: text('_stable_baselines3_version')?.trim() ?? null,
    policyClass,
    netArch,
    activation: activationName(kwargs),
    featuresExtractor: extractor,
    observationSpace: readSpace(data.observation_space, 'observation_space', `${file} (data)`),
    actionSpace: readSpace(data.action_space, 'action_space', `${file} (data)`),
    policy,
    training,
  };
}
