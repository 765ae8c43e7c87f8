/**
 * Faults: forged and damaged input files, refused at load with the file and the problem named (issue 9 § Refuse
 * bad input: .dskb with a flipped bit, NaN/Inf Q-values, a negative column offset, a header without meta, zero
 * rows; bundles whose meta.json disagrees with the network or env, a weights.bin that is a folder). Plus our
 * own: truncated and appended files, overlapping columns, out-of-range flags, checksum and parameter-count
 * mismatches, an unknown env, and the old formats (a version 1 .dskb, a bundle without a checksum) still load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKnowledgeBaseFile, saveKnowledgeBaseFile } from '../../core/kb/kb-file.ts';
import { knowledgeBaseStats, type KnowledgeBase } from '../../core/kb/knowledge-base.ts';
import { decodeBundle, loadBundle, saveBundle } from '../../core/nn/bundle.ts';
import { makeKb } from '../db/fixtures.ts';
import { realBundle } from './fixtures.ts';
import { useBackend } from '../helpers.ts';
import { expectHandled, expectRefused, tempDir } from './helpers.ts';

const SUITE = 'files';
const { dir, cleanup } = tempDir();
beforeAll(async () => void (await useBackend()));
afterAll(cleanup);

const MAGIC = 'DISTILL-STUDIO-KB\n';
const align8 = (x: number) => (x + 7) & ~7;

/** The parts of a .dskb file, to forge variants: header object, data area, checksum trailer. */
function parts(file: string): { header: Record<string, unknown>; data: Buffer; trailer: Buffer } {
  const buf = fs.readFileSync(file);
  const len = buf.readUInt32LE(MAGIC.length);
  const header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + len)) as Record<string, unknown>;
  const base = align8(MAGIC.length + 4 + len);
  return { header, data: buf.subarray(base, buf.length - 32), trailer: buf.subarray(buf.length - 32) };
}

/** Writes a .dskb from parts (without a trailer for version 1). */
function forge(name: string, header: Record<string, unknown>, data: Buffer, trailer: Buffer | null): string {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(MAGIC.length + 4 + h.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(h.length, MAGIC.length);
  h.copy(prefix, MAGIC.length + 4);
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([prefix, data, ...(trailer ? [trailer] : [])]));
  return file;
}

/** A version 1 file (the format before checksums) of `kb`, as the previous studio wrote it. */
function versionOne(name: string, kb: KnowledgeBase): string {
  const cols = ['states', 'actions', 'rewards', 'nextStates', 'terminated', 'episodeEnd', 'episode', 'teacherQ'] as const;
  let offset = 0;
  const chunks: Buffer[] = [];
  const columns = cols.map((c) => {
    const v = kb[c] as ArrayBufferView;
    const entry = { name: c, offset, byteLength: v.byteLength };
    chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.alloc(align8(v.byteLength) - v.byteLength));
    offset = align8(offset + v.byteLength);
    return entry;
  });
  return forge(name, { version: 1, meta: kb.meta, size: kb.size, stats: knowledgeBaseStats(kb), columns }, Buffer.concat(chunks), null);
}

describe('.dskb files', () => {
  const good = saveKnowledgeBaseFile(path.join(dir, 'good.dskb'), makeKb(100));
  const { header, data, trailer } = parts(good);
  const columns = header.columns as { name: string; offset: number; byteLength: number }[];
  const column = (name: string) => columns.find((c) => c.name === name)!;

  it('a flipped bit in a state (e.g. −8e36) fails the checksum', () => {
    const damaged = Buffer.from(data);
    damaged[column('states').offset + 3] ^= 0x7c; // the exponent byte of the first state value
    const file = forge('flipped.dskb', header, damaged, trailer);
    expectRefused(SUITE, '.dskb with a flipped bit', () => loadKnowledgeBaseFile(file), /flipped\.dskb: checksum mismatch: the file is damaged/, [file]);
  });

  it('NaN and Inf values are refused with their column and row, in files without a checksum too', () => {
    const kb = makeKb(50);
    const nanQ = { ...kb, teacherQ: kb.teacherQ.slice() };
    nanQ.teacherQ[2 * 2 + 1] = Number.NaN;
    const f1 = versionOne('nan-q.dskb', nanQ);
    expectRefused(SUITE, '.dskb with a NaN Q-value', () => loadKnowledgeBaseFile(f1), /nan-q\.dskb: column "teacherQ" row 2 holds NaN; every Q-value must be a finite number/, [f1]);
    const infState = { ...kb, states: kb.states.slice() };
    infState.states[7 * 4] = Number.POSITIVE_INFINITY;
    const f2 = versionOne('inf-state.dskb', infState);
    expectRefused(SUITE, '.dskb with an infinite state', () => loadKnowledgeBaseFile(f2), /inf-state\.dskb: column "states" row 7 holds Infinity/, [f2]);
    const infReward = { ...kb, rewards: kb.rewards.slice() };
    infReward.rewards[9] = Number.NEGATIVE_INFINITY;
    const f3 = versionOne('inf-reward.dskb', infReward);
    expectRefused(SUITE, '.dskb with an infinite reward', () => loadKnowledgeBaseFile(f3), /inf-reward\.dskb: column "rewards" row 9 holds -Infinity/, [f3]);
    const badFlag = { ...kb, terminated: kb.terminated.slice() };
    badFlag.terminated[4] = 7;
    const f4 = versionOne('flag.dskb', badFlag);
    expectRefused(SUITE, '.dskb with a terminated flag of 7', () => loadKnowledgeBaseFile(f4), /flag\.dskb: row 4 has terminated=7/, [f4]);
  });

  it('a broken column table is refused before anything is read', () => {
    const variants: [string, (cs: typeof columns) => void, RegExp][] = [
      ['negative offset', (cs) => (cs[1].offset = -8), /column "actions" has offset -8; offsets are non-negative multiples of 8/],
      ['unaligned offset', (cs) => (cs[1].offset += 4), /column "actions" has offset \d+; offsets are non-negative multiples of 8/],
      ['overlapping columns', (cs) => (cs[1].offset = cs[0].offset), /columns "states" and "actions" overlap|overlap in the file/],
      ['offset past the end', (cs) => (cs[7].offset = 1 << 30), /truncated \(column "teacherQ" ends past the end of the file\)/],
      ['a missing column', (cs) => cs.splice(2, 1), /column "rewards" is missing/],
      ['a partial element', (cs) => (cs[1].byteLength = 3), /column "actions" has a partial element/],
    ];
    for (const [name, change, message] of variants) {
      const cs = structuredClone(columns);
      change(cs);
      const file = forge(`cols-${name.replace(/ /g, '-')}.dskb`, { ...header, version: 1, columns: cs }, data, null);
      expectRefused(SUITE, `.dskb with ${name}`, () => loadKnowledgeBaseFile(file), message, [file]);
    }
  });

  it('a header without meta, or with a broken one, says so (no JavaScript destructuring error)', () => {
    const { meta: _meta, ...noMeta } = header;
    const f1 = forge('no-meta.dskb', { ...noMeta, version: 1 }, data, null);
    expectRefused(SUITE, '.dskb header without meta', () => loadKnowledgeBaseFile(f1), /no-meta\.dskb: the header has no "meta" object/, [f1]);
    const f2 = forge('bad-meta.dskb', { ...header, version: 1, meta: { ...(header.meta as object), observationSize: 0 } }, data, null);
    expectRefused(SUITE, '.dskb meta with observationSize 0', () => loadKnowledgeBaseFile(f2), /bad-meta\.dskb: meta\.observationSize must be a positive integer, got 0/, [f2]);
    const f3 = forge('header-array.dskb', [] as unknown as Record<string, unknown>, data, null);
    expectRefused(SUITE, '.dskb header that is not an object', () => loadKnowledgeBaseFile(f3), /header-array\.dskb: corrupt header/, [f3]);
  });

  it('a KB without rows is refused at load (before a run is created for it)', () => {
    const empty = forge('empty.dskb', { ...header, version: 1, size: 0, columns: columns.map((c) => ({ ...c, offset: 0, byteLength: 0 })) }, Buffer.alloc(0), null);
    expectRefused(SUITE, '.dskb with zero rows', () => loadKnowledgeBaseFile(empty), /empty\.dskb: holds no transitions \(0 rows\)/, [empty]);
  });

  it('truncated, appended, folder and huge-header files are named', () => {
    const bytes = fs.readFileSync(good);
    const cut = path.join(dir, 'cut.dskb');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    expectRefused(SUITE, '.dskb truncated', () => loadKnowledgeBaseFile(cut), /cut\.dskb: truncated/, [cut]);
    const grown = path.join(dir, 'grown.dskb');
    fs.writeFileSync(grown, Buffer.concat([bytes, Buffer.from('extra')]));
    expectRefused(SUITE, '.dskb with bytes appended', () => loadKnowledgeBaseFile(grown), /grown\.dskb: (truncated or appended to|checksum mismatch)/, [grown]);
    const folder = path.join(dir, 'folder.dskb');
    fs.mkdirSync(folder);
    expectRefused(SUITE, '.dskb that is a folder', () => loadKnowledgeBaseFile(folder), /folder\.dskb: is a folder, not a knowledge-base file/, [folder]);
    const huge = Buffer.from(bytes);
    huge.writeUInt32LE(0x7fffffff, MAGIC.length);
    const hugeFile = path.join(dir, 'huge-header.dskb');
    fs.writeFileSync(hugeFile, huge);
    expectRefused(SUITE, '.dskb whose header length runs past the end', () => loadKnowledgeBaseFile(hugeFile), /huge-header\.dskb: truncated \(the header of \d+ bytes ends past the end of the file\)/, [hugeFile]);
  });

  it('a version 1 file (no checksum) still loads', async () => {
    const kb = makeKb(64, 3);
    const file = versionOne('old.dskb', kb);
    await expectHandled(SUITE, '.dskb version 1 loads', () => {
      const back = loadKnowledgeBaseFile(file).kb;
      expect(Buffer.from(back.teacherQ.buffer)).toEqual(Buffer.from(kb.teacherQ.buffer));
    });
  });
});

describe('model bundles', () => {
  const save = (name: string, seed = 1) => saveBundle(path.join(dir, name), realBundle(seed));
  const editMeta = (bundleDir: string, edit: (m: Record<string, unknown>) => void) => {
    const file = path.join(bundleDir, 'meta.json');
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    edit(meta);
    fs.writeFileSync(file, JSON.stringify(meta));
  };

  it('a meta.json whose env does not match the network says which sizes disagree (no raw tfjs shape error)', () => {
    const b = save('env-mismatch');
    editMeta(b, (m) => (m.env = 'Acrobot-v1'));
    expectRefused(SUITE, 'bundle whose env does not match its network', () => loadBundle(b), /env-mismatch\/meta\.json: Acrobot-v1 has 6 observations and 3 actions, but the network takes 4 inputs and gives 2 Q-values/, [b]);
    const c = save('obs-mismatch');
    editMeta(c, (m) => (m.observationSize = 6));
    expectRefused(SUITE, 'bundle whose observation size does not match its env', () => loadBundle(c), /CartPole-v1 has 4 observations and 2 actions, but the network takes 6 inputs/, [c]);
    const d = save('unknown-env');
    editMeta(d, (m) => (m.env = 'Pong-v5'));
    expectRefused(SUITE, 'bundle of an unknown env', () => loadBundle(d), /field "env" is "Pong-v5", not an environment this studio knows/, [d]);
  });

  it('a weights.bin or meta.json that is a folder is named', () => {
    const b = save('weights-folder');
    fs.rmSync(path.join(b, 'weights.bin'));
    fs.mkdirSync(path.join(b, 'weights.bin'));
    expectRefused(SUITE, 'bundle whose weights.bin is a folder', () => loadBundle(b), /weights-folder\/weights\.bin is a folder, not the bundle's weights\.bin/, [b]);
    const c = save('meta-folder');
    fs.rmSync(path.join(c, 'meta.json'));
    fs.mkdirSync(path.join(c, 'meta.json'));
    expectRefused(SUITE, 'bundle whose meta.json is a folder', () => loadBundle(c), /meta-folder\/meta\.json is a folder/, [c]);
    const file = path.join(dir, 'not-a-bundle.txt');
    fs.writeFileSync(file, 'x');
    expectRefused(SUITE, 'bundle path that is a file', () => loadBundle(file), /not-a-bundle\.txt is a file, not a model bundle folder/, [file]);
  });

  it('changed weights fail the checksum; a wrong parameter count is named', () => {
    const b = save('tampered');
    const w = fs.readFileSync(path.join(b, 'weights.bin'));
    w[10] ^= 1;
    fs.writeFileSync(path.join(b, 'weights.bin'), w);
    expectRefused(SUITE, 'bundle with changed weights', () => loadBundle(b), /tampered\/weights\.bin: checksum mismatch with meta\.json/, [b]);
    const c = save('param-count');
    editMeta(c, (m) => (m.paramCount = 59));
    expectRefused(SUITE, 'bundle whose paramCount disagrees', () => loadBundle(c), /param-count\/meta\.json: says 59 parameters, but a 4-8-2 network has 58/, [c]);
    const d = save('bad-sum');
    editMeta(d, (m) => (m.weightsSha256 = 'xyz'));
    expectRefused(SUITE, 'bundle with a malformed checksum field', () => loadBundle(d), /field "weightsSha256" must be 64 hex digits/, [d]);
  });

  it('the same checks guard bundles stored in the database (decodeBundle)', () => {
    const bundle = realBundle();
    const weights = new Uint8Array(bundle.weights);
    weights[0] ^= 0xff;
    expectRefused(SUITE, 'stored model with damaged weights', () => decodeBundle({ ...bundle, weights }, 'models id 7'), /models id 7\/weights\.bin: checksum mismatch/, []);
  });

  it('a bundle written before checksums existed still loads', async () => {
    const b = save('old-bundle', 4);
    editMeta(b, (m) => delete m.weightsSha256);
    await expectHandled(SUITE, 'bundle without a checksum loads', () => {
      const { network, meta } = loadBundle(b);
      expect(meta.training).toMatchObject({ seed: 4 });
      expect(network.paramCount).toBe(58);
      network.dispose();
    });
  });
});
