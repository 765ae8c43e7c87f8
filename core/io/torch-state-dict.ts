/**
 * PyTorch state dicts saved with `torch.save` (the zip format, default since PyTorch 1.6): an archive with
 * `<root>/data.pkl` (a pickle of the dict), `<root>/data/<key>` (raw little-endian storages) and `<root>/version`.
 *
 * The pickle is read by pickleparser (a parser, never a Python VM) with a strict allow-list of the globals a
 * state dict needs, the same set as PyTorch's own `weights_only` unpickler admits for tensors: OrderedDict, the
 * tensor/parameter rebuild functions and the typed storage classes. Any other global (os.system, numpy's
 * reconstructors, a module's class…) is refused before anything is built: `torch.load` without weights_only
 * would import and call it, which is how a malicious checkpoint runs code.
 */
import { Parser } from 'pickleparser';
import { ModelFileError, reason } from './errors.ts';
import { bfloat16ToFloat, halfToFloat } from './floats.ts';
import { readZip } from './zip.ts';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const DTYPE_BYTES: Record<TorchDtype, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** A tensor read from a file, converted to float32 (row-major, contiguous). */
export interface NamedTensor {
  readonly dtype: TorchDtype | 'F32' | 'F64' | 'F16' | 'BF16';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type StateDict = Map<string, NamedTensor>;

/** Marker for a storage class global (`torch.FloatStorage`…); never called with arguments by a real state dict. */
class StorageType {
  constructor(readonly dtype: TorchDtype) {
    Object.freeze(this);
  }
}

class TorchStorage {
  constructor(
    readonly dtype: TorchDtype,
    readonly bytes: Uint8Array,
    readonly key: string,
  ) {
    Object.freeze(this);
  }
}

class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    Object.freeze(this);
  }
}

const ALLOWED_GLOBALS = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
];

/** Thrown (and turned into a ModelFileError) when a pickle names a global outside the allow-list. */
class RefusedGlobal extends Error {}

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor {
  if (!(storage instanceof TorchStorage)) throw new Error('a tensor refers to something that is not a storage');
  if (!Number.isSafeInteger(offset) || !isIntList(size) || !isIntList(stride) || size.length !== stride.length) {
    throw new Error('a tensor has a malformed offset, size or stride');
  }
  // The last element a view touches must lie inside its storage.
  const elements = storage.bytes.byteLength / DTYPE_BYTES[storage.dtype];
  const count = size.reduce((a, b) => a * b, 1);
  const last = (offset as number) + size.reduce((s, n, i) => s + (n - 1) * stride[i], 0);
  if (count > 0 && (last >= elements || (offset as number) < 0)) {
    throw new Error(`a tensor of shape [${size.join(', ')}] reaches past the end of storage ${storage.key} (${elements} elements)`);
  }
  return new TorchTensor(storage, offset as number, [...size], [...stride]);
}

function resolver(): { resolve(module: string, name: string): (...args: never[]) => unknown } {
  return {
    resolve(module, name) {
      const full = `${module}.${name}`;
      if (module === 'collections' && name === 'OrderedDict') return () => new Map();
      if (module === 'torch._utils') {
        if (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor') return ((s: unknown, o: unknown, size: unknown, stride: unknown) => rebuildTensor(s, o, size, stride)) as never;
        if (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state') {
          return ((data: unknown) => {
            if (!(data instanceof TorchTensor)) throw new Error('a parameter wraps something that is not a tensor');
            return data;
          }) as never;
        }
      }
      if (module === 'torch' && name in STORAGE_DTYPES) {
        const marker = new StorageType(STORAGE_DTYPES[name]);
        // The parser wants a callable; a storage class is only ever referenced, so calling it is refused.
        return Object.assign(() => {
          throw new RefusedGlobal(`the pickle calls ${full}, which a state dict never does`);
        }, { marker }) as never;
      }
      throw new RefusedGlobal(
        `refusing to load: the pickle references the Python global "${full}", which is not a tensor or a plain container ` +
          `(allowed: ${ALLOWED_GLOBALS.join(', ')}). torch.load would import and run it; nothing was run here`,
      );
    },
  };
}

/** Parses a torch pickle with storages looked up by `storage(key)`. Exported for tests of the allow-list. */
export function parseTorchPickle(pkl: Uint8Array, storage: (key: string, dtype: TorchDtype, numel: number) => Uint8Array): unknown {
  const storages = new Map<string, TorchStorage>();
  const parser = new Parser({
    nameResolver: resolver(),
    persistentResolver: {
      resolve(pid: unknown) {
        // ('storage', <storage class>, key, location, numel)
        if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new Error(`unknown persistent id ${JSON.stringify(pid)}`);
        const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
        const marker = (type as { marker?: unknown } | null)?.marker;
        if (!(marker instanceof StorageType)) throw new Error('a storage record does not name a storage type');
        if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new Error(`a storage has an invalid key ${JSON.stringify(key)}`);
        if (!Number.isSafeInteger(numel) || (numel as number) < 0) throw new Error(`storage ${key} has an invalid size`);
        let s = storages.get(key);
        if (!s) {
          s = new TorchStorage(marker.dtype, storage(key, marker.dtype, numel as number), key);
          storages.set(key, s);
        }
        return s;
      },
    },
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'array',
    extensionResolver: {
      resolve: (code: number) => {
        throw new RefusedGlobal(`refusing to load: the pickle uses extension code ${code}`);
      },
    },
  } as ConstructorParameters<typeof Parser>[0]);
  return parser.parse(pkl);
}

/** The tensor's elements in row-major order as float32 (any strides, any float dtype). */
function toFloat32(t: TorchTensor, name: string): NamedTensor {
  const { dtype, bytes } = t.storage;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (i: number): number => {
    switch (dtype) {
      case 'float32':
        return view.getFloat32(i * 4, true);
      case 'float64':
        return view.getFloat64(i * 8, true);
      case 'float16':
        return halfToFloat(view.getUint16(i * 2, true));
      case 'bfloat16':
        return bfloat16ToFloat(view.getUint16(i * 2, true));
      default:
        throw new Error(`tensor "${name}" has dtype ${dtype}; a Q-network's weights must be floating point`);
    }
  };
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = t.offset;
    for (let d = 0; d < idx.length; d++) off += idx[d] * t.stride[d];
    out[k] = read(off);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype, shape: t.shape, data: out };
}

/**
 * Flattens the unpickled object into "a.b.c" → tensor. Nested dicts (a checkpoint holding a state dict) join
 * their keys with dots; numbers, strings and None are metadata and dropped. Integer tensors are kept out (a
 * BatchNorm counter, an optimizer step) unless they are asked for.
 */
function collectTensors(value: unknown, file: string): StateDict {
  const out: StateDict = new Map();
  const walk = (v: unknown, prefix: string) => {
    if (v instanceof TorchTensor) {
      if (v.storage.dtype.startsWith('float') || v.storage.dtype === 'bfloat16') out.set(prefix, toFloat32(v, prefix));
      else out.set(prefix, { dtype: v.storage.dtype, shape: v.shape, data: new Float32Array(0) });
      return;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) walk(x, prefix === '' ? String(k) : `${prefix}.${String(k)}`);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, prefix === '' ? String(i) : `${prefix}.${i}`));
    }
  };
  if (!(value instanceof Map)) throw new ModelFileError(file, 'the pickle does not hold a dict of tensors (not a state dict)');
  walk(value, '');
  return out;
}

/**
 * Reads a state dict from torch.save's zip format (`bytes` is the whole archive). `file` names the file in
 * messages (for an archive nested in an SB3 zip: "model.zip/policy.pth").
 */
export function readTorchZip(bytes: Uint8Array, file: string): StateDict {
  const entries = readZip(bytes, file);
  const pklName = [...entries.keys()].find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pklName) throw new ModelFileError(file, 'not a torch.save archive (no <name>/data.pkl entry)');
  const root = pklName.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${root}byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') throw new ModelFileError(file, 'big-endian torch archives are not supported');
  let value: unknown;
  try {
    value = parseTorchPickle(entries.get(pklName)!, (key, dtype, numel) => {
      const data = entries.get(`${root}data/${key}`);
      if (!data) throw new Error(`storage ${key} is missing from the archive (${root}data/${key})`);
      if (data.byteLength < numel * DTYPE_BYTES[dtype]) throw new Error(`storage ${key} has ${data.byteLength} bytes, ${numel} ${dtype} values need ${numel * DTYPE_BYTES[dtype]}`);
      return data;
    });
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    const where = `${file} (${pklName})`;
    if (err instanceof RefusedGlobal) throw new ModelFileError(where, err.message);
    throw new ModelFileError(where, `corrupt or unsupported pickle: ${reason(err)}`);
  }
  return collectTensors(value, file);
}
