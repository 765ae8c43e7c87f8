/**
 * A knowledge base as one file (`.dskb`), for the CLI and exports: a magic line, a little-endian u32 header
 * length, a JSON header (version, meta, size, statistics, column table) and the raw little-endian columns,
 * each 8-byte aligned.
 *
 * Version 2 (written since this version) ends with a 32-byte SHA-256 of everything before it, so a flipped bit
 * or a partial copy is found at load instead of surfacing later as a diverging loss; version 1 files (no
 * checksum) are still read. Every load also checks the header's structure (meta, size, column offsets inside
 * the file, aligned and not overlapping) and every value (finite states, rewards and Q-values; actions in
 * range; flags 0 or 1), and refuses a KB without rows. Errors name the file and the problem.
 *
 * Written through core/util/safe-output.ts: a temporary sibling renamed into place, so a crash never leaves
 * half a file; an existing file is replaced only when it is a knowledge-base file itself or the caller says
 * `force`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeAll, writeFileSafely, type OutputOptions } from '../util/safe-output.ts';
import { knowledgeBaseStats, validateKnowledgeBase, type KnowledgeBase, type KnowledgeBaseStats } from './knowledge-base.ts';

const MAGIC = 'DISTILL-STUDIO-KB\n';
/** The version this studio writes (2: SHA-256 trailer); it reads 1 and 2. */
export const KB_FILE_VERSION = 2;
const CHECKSUM_BYTES = 32;
const COLUMNS = ['states', 'actions', 'rewards', 'nextStates', 'terminated', 'episodeEnd', 'episode', 'teacherQ'] as const;
type Column = (typeof COLUMNS)[number];
const CTOR = {
  states: Float32Array,
  actions: Int32Array,
  rewards: Float32Array,
  nextStates: Float32Array,
  terminated: Uint8Array,
  episodeEnd: Uint8Array,
  episode: Int32Array,
  teacherQ: Float32Array,
} as const;

interface ColumnEntry {
  name: Column;
  offset: number;
  byteLength: number;
}

interface Header {
  version: number;
  /** Version 2: "sha256" (of every byte before the 32-byte trailer). */
  checksum?: 'sha256';
  meta: KnowledgeBase['meta'];
  size: number;
  stats: KnowledgeBaseStats;
  columns: ColumnEntry[];
}

const align8 = (x: number) => (x + 7) & ~7;

/** Whether `file` starts with the knowledge-base magic line (a previous output of ours, replaceable without force). */
export function isKnowledgeBaseFile(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(MAGIC.length);
      return fs.readSync(fd, head, 0, MAGIC.length, 0) === MAGIC.length && head.toString('latin1') === MAGIC;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Writes the KB to `file` (version 2, with its checksum) and returns the absolute path. An existing file is
 * replaced only when it is a knowledge-base file or `options.force` is set; `options.protect` lists files that
 * are never written (the open database).
 */
export function saveKnowledgeBaseFile(file: string, kb: KnowledgeBase, options: OutputOptions = {}): string {
  validateKnowledgeBase(kb);
  let offset = 0;
  const columns: ColumnEntry[] = COLUMNS.map((name) => {
    const byteLength = (kb[name] as ArrayBufferView).byteLength;
    const entry = { name, offset, byteLength };
    offset = align8(offset + byteLength);
    return entry;
  });
  const header: Header = { version: KB_FILE_VERSION, checksum: 'sha256', meta: kb.meta, size: kb.size, stats: knowledgeBaseStats(kb), columns };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(MAGIC.length + 4 + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(prefix, MAGIC.length + 4);
  return writeFileSafely(
    file,
    (fd) => {
      const hash = crypto.createHash('sha256');
      const put = (bytes: Uint8Array) => {
        hash.update(bytes);
        writeAll(fd, bytes);
      };
      put(prefix);
      for (const c of columns) {
        const view = kb[c.name] as ArrayBufferView;
        put(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
        const pad = align8(c.byteLength) - c.byteLength;
        if (pad) put(new Uint8Array(pad));
      }
      writeAll(fd, hash.digest());
    },
    { ...options, replaceable: options.replaceable ?? isKnowledgeBaseFile },
  );
}

function bad(where: string, problem: string): Error {
  return new Error(`${where}: ${problem}`);
}

function checkMeta(meta: unknown, where: string): KnowledgeBase['meta'] {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw bad(where, 'the header has no "meta" object (the file is damaged or was not written by Distill Studio)');
  const m = meta as Record<string, unknown>;
  if (typeof m.env !== 'string' || m.env === '') throw bad(where, `meta.env must be an environment id, got ${JSON.stringify(m.env)}`);
  for (const k of ['observationSize', 'actionCount']) {
    if (!Number.isInteger(m[k]) || (m[k] as number) < 1) throw bad(where, `meta.${k} must be a positive integer, got ${JSON.stringify(m[k])}`);
  }
  return m as unknown as KnowledgeBase['meta'];
}

/** Checks the column table against the data area: every column once, aligned, inside the file, not overlapping. */
function checkColumns(raw: unknown, dataBytes: number, where: string): Map<Column, ColumnEntry> {
  if (!Array.isArray(raw)) throw bad(where, 'the header has no "columns" table');
  const byName = new Map<Column, ColumnEntry>();
  for (const c of raw as Partial<ColumnEntry>[]) {
    if (typeof c !== 'object' || c === null || !COLUMNS.includes(c.name as Column)) throw bad(where, `the column table has an unknown entry ${JSON.stringify(c)}`);
    const name = c.name as Column;
    if (byName.has(name)) throw bad(where, `column "${name}" appears twice in the column table`);
    if (!Number.isSafeInteger(c.offset) || (c.offset as number) < 0 || (c.offset as number) % 8 !== 0) throw bad(where, `column "${name}" has offset ${JSON.stringify(c.offset)}; offsets are non-negative multiples of 8`);
    if (!Number.isSafeInteger(c.byteLength) || (c.byteLength as number) < 0) throw bad(where, `column "${name}" has byteLength ${JSON.stringify(c.byteLength)}; lengths are non-negative integers`);
    if ((c.byteLength as number) % CTOR[name].BYTES_PER_ELEMENT !== 0) throw bad(where, `column "${name}" has a partial element (${c.byteLength} bytes)`);
    if ((c.offset as number) + (c.byteLength as number) > dataBytes) throw bad(where, `truncated (column "${name}" ends past the end of the file)`);
    byName.set(name, c as ColumnEntry);
  }
  for (const name of COLUMNS) if (!byName.has(name)) throw bad(where, `column "${name}" is missing`);
  const sorted = [...byName.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + prev.byteLength > sorted[i].offset) throw bad(where, `columns "${prev.name}" and "${sorted[i].name}" overlap in the file`);
  }
  return byName;
}

export function loadKnowledgeBaseFile(file: string): { kb: KnowledgeBase; stats: KnowledgeBaseStats } {
  const where = path.resolve(file);
  const st = fs.statSync(where, { throwIfNoEntry: false });
  if (st === undefined) throw bad(where, 'no such knowledge-base file');
  if (st.isDirectory()) throw bad(where, 'is a folder, not a knowledge-base file');
  const buf = fs.readFileSync(where);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw bad(where, 'not a Distill Studio knowledge-base file');
  const headerLength = buf.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + headerLength > buf.length) throw bad(where, `truncated (the header of ${headerLength} bytes ends past the end of the file)`);
  let header: Partial<Header>;
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as Partial<Header>;
  } catch (err) {
    throw bad(where, `corrupt header (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad(where, 'corrupt header (not a JSON object)');
  if (!Number.isInteger(header.version) || (header.version as number) < 1) throw bad(where, `corrupt header (version ${JSON.stringify(header.version)})`);
  if ((header.version as number) > KB_FILE_VERSION) {
    throw bad(where, `knowledge-base file version ${String(header.version)} is newer than this studio reads (${KB_FILE_VERSION}); upgrade Distill Studio`);
  }
  const base = align8(MAGIC.length + 4 + headerLength);
  const trailer = header.version === 1 ? 0 : CHECKSUM_BYTES;
  if (header.version !== 1 && header.checksum !== 'sha256') throw bad(where, `corrupt header (checksum ${JSON.stringify(header.checksum)}, expected "sha256")`);
  const meta = checkMeta(header.meta, where);
  if (!Number.isSafeInteger(header.size) || (header.size as number) < 0) throw bad(where, `corrupt header (size ${JSON.stringify(header.size)})`);
  const size = header.size as number;
  const dataBytes = buf.length - base - trailer;
  if (dataBytes < 0) throw bad(where, 'truncated (no room for the columns)');
  const table = checkColumns(header.columns, dataBytes, where);
  const end = Math.max(...[...table.values()].map((c) => align8(c.offset + c.byteLength)));
  if (end > dataBytes) throw bad(where, 'truncated (the last column ends past the end of the file)');
  if (trailer > 0) {
    if (base + end + trailer !== buf.length) throw bad(where, `truncated or appended to (expected ${base + end + trailer} bytes, found ${buf.length})`);
    const stored = buf.subarray(buf.length - trailer);
    const actual = crypto.createHash('sha256').update(buf.subarray(0, buf.length - trailer)).digest();
    if (!actual.equals(stored)) throw bad(where, 'checksum mismatch: the file is damaged (a changed byte or a partial copy); re-extract or copy it again');
  }
  if (size === 0) throw bad(where, 'holds no transitions (0 rows); there is nothing to learn from');
  const cols: Partial<Record<Column, ArrayLike<number>>> = {};
  for (const name of COLUMNS) {
    const c = table.get(name)!;
    const Ctor = CTOR[name];
    const out = new Ctor(c.byteLength / Ctor.BYTES_PER_ELEMENT);
    new Uint8Array(out.buffer).set(buf.subarray(base + c.offset, base + c.offset + c.byteLength));
    cols[name] = out;
  }
  const kb = { meta, size, ...(cols as Record<Column, never>) } as KnowledgeBase;
  validateKnowledgeBase(kb, where);
  const stats = typeof header.stats === 'object' && header.stats !== null ? header.stats : knowledgeBaseStats(kb);
  return { kb, stats };
}
