/**
 * Conversions between JavaScript values and SQLite column values: typed arrays ↔ BLOBs and JSON ↔ TEXT.
 * Typed arrays are stored in the platform's byte order (little-endian on every platform Node and Electron ship
 * for), the same bytes the .dskb file and model bundles use.
 */

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
type TypedArrayConstructor<T extends TypedArray> = { new (length: number): T; readonly BYTES_PER_ELEMENT: number; readonly name: string };

/** The array's own bytes as a Buffer, without copying (only the view's window, not its whole ArrayBuffer). */
export function blobFromArray(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * A BLOB (as better-sqlite3 returns it, a Buffer that may sit at any offset of a shared pool) copied into a new,
 * correctly aligned typed array. `what` names the column in the error when the length does not fit the type.
 */
export function arrayFromBlob<T extends TypedArray>(ctor: TypedArrayConstructor<T>, blob: Uint8Array, what: string): T {
  if (blob.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new Error(`${what}: BLOB of ${blob.byteLength} bytes is not a whole number of ${ctor.name} elements`);
  }
  const out = new ctor(blob.byteLength / ctor.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** JSON text of a value for a TEXT column checked with json_valid(); `what` names the field in the error. */
export function jsonEncode(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Error(`${what}: cannot be stored as JSON (${(err as Error).message})`);
  }
  if (text === undefined) throw new Error(`${what}: cannot be stored as JSON (got ${typeof value})`);
  return text;
}

export function jsonDecode(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what}: stored JSON is corrupt (${(err as Error).message})`);
  }
}

/** Current time as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ') writes it (the same as toISOString). */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Row ids come back as number unless safeIntegers is on; this narrows lastInsertRowid. */
export function rowId(id: number | bigint): number {
  return typeof id === 'bigint' ? Number(id) : id;
}
