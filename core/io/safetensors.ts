/**
 * `.safetensors` files (Hugging Face's format, chosen because it cannot carry code): an 8-byte little-endian
 * header length N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {…} }`,
 * then the raw little-endian tensor data, offsets relative to the end of the header. The format is a JSON
 * header and byte ranges, so it is read here directly (JSON.parse and DataView), with every offset checked.
 */
import { ModelFileError } from './errors.ts';
import { bfloat16ToFloat, halfToFloat } from './floats.ts';
import type { NamedTensor, StateDict } from './torch-state-dict.ts';

const DTYPES = { F32: 4, F64: 8, F16: 2, BF16: 2 } as const;
type FloatDtype = keyof typeof DTYPES;

/** True when the bytes start like a safetensors file (a plausible header length followed by "{"). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return n > 1 && n < 100_000_000 && bytes[8] === 0x7b;
}

export function readSafetensors(bytes: Uint8Array, file: string): { tensors: StateDict; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new ModelFileError(file, `truncated safetensors file (${bytes.length} bytes, the header length alone is 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new ModelFileError(file, `truncated safetensors file: the header claims ${headerLength} bytes, the file has ${bytes.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    throw new ModelFileError(file, `corrupt safetensors header (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ModelFileError(file, 'corrupt safetensors header (not a JSON object)');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors: StateDict = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = info?.shape;
    const offsets = info?.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new ModelFileError(file, `tensor "${name}": malformed header entry ${JSON.stringify(raw)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) throw new ModelFileError(file, `truncated safetensors file: tensor "${name}" ends at byte ${end} of the data, which has ${dataLength}`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const dtype = info.dtype as string;
    if (!(dtype in DTYPES)) {
      // Integer tensors (counters, masks) are not weights; keep their shape so the caller can say what they are.
      tensors.set(name, { dtype: dtype as NamedTensor['dtype'], shape: shape as number[], data: new Float32Array(0) });
      continue;
    }
    const size = DTYPES[dtype as FloatDtype];
    if (end - begin !== count * size) throw new ModelFileError(file, `tensor "${name}": ${end - begin} bytes for ${count} ${dtype} values (expected ${count * size})`);
    const at = dataStart + begin;
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const p = at + i * size;
      data[i] = dtype === 'F32' ? view.getFloat32(p, true) : dtype === 'F64' ? view.getFloat64(p, true) : dtype === 'F16' ? halfToFloat(view.getUint16(p, true)) : bfloat16ToFloat(view.getUint16(p, true));
    }
    tensors.set(name, { dtype: dtype as FloatDtype, shape: shape as number[], data });
  }
  return { tensors, metadata };
}
