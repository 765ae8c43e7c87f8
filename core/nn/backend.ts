/**
 * Runtime backend selection, best first: tensorflow on GPU (@tensorflow/tfjs-node-gpu), tensorflow on CPU
 * (@tensorflow/tfjs-node), wasm+fused, wasm (SIMD), cpu. The two native packages are optionalDependencies whose
 * install downloads libtensorflow; where that failed they are absent and the next backend is used.
 *
 * `wasm+fused` is tfjs's wasm backend plus the fused engine for MLP Q-networks (core/nn/fused/): networks
 * live in WebAssembly memory and train through SIMD kernels, a few calls per update instead of dozens of tfjs
 * ops. tfjs stays the reference (plain `wasm`) and the path on the native backends. The name is what run
 * records store, so a replay on the same name repeats the same arithmetic.
 *
 * A backend can be forced with `selectBackend('wasm')` (the CLI's `--backend`) or the environment variable
 * DISTILL_BACKEND; a forced backend that cannot be loaded is an error, never a silent fallback.
 */
import { createRequire } from 'node:module';
import util from 'node:util';
import { wasmHeap } from './fused/wasm.ts';
import { tf } from './tf.ts';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm+fused', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** Our name for it (what run records store). */
  readonly name: BackendName;
  /** tfjs's own backend name (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** What Q-networks train on: tfjs ops, or the fused WebAssembly kernels (`wasm+fused`). */
  readonly engine: 'tfjs' | 'fused';
  /** Backends tried before this one and why they were skipped. */
  readonly skipped: readonly { name: BackendName; reason: string }[];
}

export const BACKEND_ENV_VAR = 'DISTILL_BACKEND';

let current: BackendInfo | null = null;

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

/** The backend in use, or null before `selectBackend` ran. */
export function currentBackend(): BackendInfo | null {
  return current;
}

/**
 * Loads and activates a backend. `requested` 'auto' (default) honours DISTILL_BACKEND, else tries the list
 * best first. Idempotent for the same request.
 */
export async function selectBackend(requested: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
  let want: BackendName | 'auto' = requested;
  if (want === 'auto') {
    const fromEnv = process.env[BACKEND_ENV_VAR];
    if (fromEnv !== undefined && fromEnv !== '' && fromEnv !== 'auto') {
      if (!isBackendName(fromEnv)) {
        throw new Error(`${BACKEND_ENV_VAR}="${fromEnv}" is not a backend; choose one of ${BACKEND_NAMES.join(', ')}, auto`);
      }
      want = fromEnv;
    }
  }
  if (current && (want === 'auto' || want === current.name)) return current;

  const candidates: BackendName[] = want === 'auto' ? [...BACKEND_NAMES] : [want];
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of candidates) {
    try {
      await activate(name);
      current = { name, tfBackend: tf.getBackend(), engine: name === 'wasm+fused' ? 'fused' : 'tfjs', skipped };
      return current;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      if (want !== 'auto') throw new Error(`backend "${name}" is not available: ${reason}`);
      skipped.push({ name, reason });
    }
  }
  throw new Error(`no tfjs backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * Why `name` cannot be used in this process, or null when it can (as far as can be told without loading it:
 * for the native backends, whether their package is installed). Cheap and synchronous, for checks made before
 * anything is stored (a resumed run must continue on the backend it was recorded with).
 */
export function backendUnavailable(name: string): string | null {
  if (!isBackendName(name)) return `"${name}" is not a backend this version knows (${BACKEND_NAMES.join(', ')})`;
  if (current?.name === name) return null;
  try {
    if (name === 'tensorflow' || name === 'tensorflow-gpu') createRequire(import.meta.url).resolve(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
    else if (name === 'wasm+fused') wasmHeap();
    else if (name === 'wasm' && typeof WebAssembly !== 'object') return 'WebAssembly is missing';
    return null;
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
}

async function activate(name: BackendName): Promise<void> {
  if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    loadNative(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") failed');
    if (name === 'tensorflow-gpu' && !nativeHasGpu()) throw new Error('libtensorflow found no GPU');
  } else if (name === 'wasm+fused') {
    wasmHeap(); // compiles the kernels: throws where WebAssembly SIMD is missing
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  } else {
    if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  }
  await tf.ready();
  tf.enableProdMode();
}

function loadNative(pkg: string): void {
  // tfjs-node 4.22 calls util.isNullOrUndefined, removed in Node 23+ (Electron ≥ 40 ships Node 24).
  const u = util as unknown as Record<string, unknown>;
  if (typeof u.isNullOrUndefined !== 'function') u.isNullOrUndefined = (v: unknown) => v === null || v === undefined;
  const require = createRequire(import.meta.url);
  require(pkg); // registers the 'tensorflow' backend; throws when the package or libtensorflow is missing
}

function nativeHasGpu(): boolean {
  // The GPU build registers the same backend name; ask TensorFlow whether it sees a GPU device.
  const backend = tf.backend() as unknown as {
    isUsingGpuDevice?: boolean | (() => boolean);
    binding?: { isUsingGpuDevice?: () => boolean };
  };
  const flag = backend.isUsingGpuDevice;
  if (typeof flag === 'function') return flag.call(backend);
  if (typeof flag === 'boolean') return flag;
  return backend.binding?.isUsingGpuDevice?.() ?? false;
}
