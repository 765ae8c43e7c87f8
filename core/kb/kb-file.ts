/**
 * A knowledge base as one file (`.dskb`), for the CLI and exports: a magic line, a JSON header (meta,
 * statistics, column table) and the raw little-endian columns, each 8-byte aligned. Written to a temporary
 * sibling and renamed, so a crash never leaves half a file; every read is checked and errors name the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { knowledgeBaseStats, validateKnowledgeBase, type KnowledgeBase, type KnowledgeBaseStats } from './knowledge-base.ts';

const MAGIC = 'DISTILL-STUDIO-KB\n';
export const KB_FILE_VERSION = 1;
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

interface Header {
  version: number;
  meta: KnowledgeBase['meta'];
  size: number;
  stats: KnowledgeBaseStats;
  columns: { name: Column; offset: number; byteLength: number }[];
}

const align8 = (x: number) => (x + 7) & ~7;

export function saveKnowledgeBaseFile(file: string, kb: KnowledgeBase): string {
  validateKnowledgeBase(kb);
  const target = path.resolve(file);
  let offset = 0;
  const columns = COLUMNS.map((name) => {
    const byteLength = (kb[name] as ArrayBufferView).byteLength;
    const entry = { name, offset, byteLength };
    offset = align8(offset + byteLength);
    return entry;
  });
  const header: Header = { version: KB_FILE_VERSION, meta: kb.meta, size: kb.size, stats: knowledgeBaseStats(kb), columns };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(MAGIC.length + 4 + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(prefix, MAGIC.length + 4);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, prefix);
    for (const c of columns) {
      const view = kb[c.name] as ArrayBufferView;
      fs.writeSync(fd, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      const pad = align8(c.byteLength) - c.byteLength;
      if (pad) fs.writeSync(fd, Buffer.alloc(pad));
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return target;
}

export function loadKnowledgeBaseFile(file: string): { kb: KnowledgeBase; stats: KnowledgeBaseStats } {
  const where = path.resolve(file);
  if (!fs.existsSync(where)) throw new Error(`${where}: no such knowledge-base file`);
  const buf = fs.readFileSync(where);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error(`${where}: not a Distill Studio knowledge-base file`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as Header;
  } catch (err) {
    throw new Error(`${where}: corrupt header (${(err as Error).message})`);
  }
  if (typeof header.version !== 'number' || header.version > KB_FILE_VERSION) {
    throw new Error(`${where}: knowledge-base file version ${String(header.version)} is newer than this studio reads (${KB_FILE_VERSION}); upgrade Distill Studio`);
  }
  const base = align8(MAGIC.length + 4 + headerLength);
  const cols: Partial<Record<Column, ArrayLike<number>>> = {};
  for (const name of COLUMNS) {
    const c = header.columns?.find((x) => x.name === name);
    if (!c) throw new Error(`${where}: column "${name}" is missing`);
    if (base + c.offset + c.byteLength > buf.length) throw new Error(`${where}: truncated (column "${name}" ends past the end of the file)`);
    const Ctor = CTOR[name];
    if (c.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`${where}: column "${name}" has a partial element`);
    const out = new Ctor(c.byteLength / Ctor.BYTES_PER_ELEMENT);
    new Uint8Array(out.buffer).set(buf.subarray(base + c.offset, base + c.offset + c.byteLength));
    cols[name] = out;
  }
  const kb = { meta: header.meta, size: header.size, ...(cols as Record<Column, never>) } as KnowledgeBase;
  validateKnowledgeBase(kb, where);
  return { kb, stats: header.stats };
}
