/**
 * Faults: outputs that would destroy a user's file. Issue 9 § Data loss — `--out` onto an existing folder or
 * file (bundles), `metrics --out` / `export --out` onto an existing file or the open database, temporaries
 * left by a failed or killed export, a large -wal beside an export. Plus: every spelling of the open database,
 * a database in use by another program, a full disk (RLIMIT_FSIZE) in the middle of each kind of write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKnowledgeBaseFile, loadKnowledgeBaseFile, saveKnowledgeBaseFile } from '../../core/kb/kb-file.ts';
import { isBundleFolder, saveBundle } from '../../core/nn/bundle.ts';
import { cleanStaleTemps, tempPathFor, writeFileSafely } from '../../core/util/safe-output.ts';
import { openDatabase, type StudioDb } from '../../db/index.ts';
import { makeKb } from '../db/fixtures.ts';
import { buildLargeExperiment, realBundle } from './fixtures.ts';
import { childResult, expectHandled, expectRefused, runChild, snapshot, startChild, strayTemps, tempDir, waitFor } from './helpers.ts';

const SUITE = 'output-paths';
const { dir, cleanup } = tempDir();
const dbFile = path.join(dir, 'studio.db');
let db: StudioDb;
let experimentId = 0;

beforeAll(() => {
  ({ experimentId } = buildLargeExperiment(dbFile, { points: 40_000, kbRows: 2000 }));
  db = openDatabase(dbFile);
});
afterAll(() => {
  db.close();
  cleanup();
});

describe('export never overwrites what it did not create', () => {
  it('refuses an existing file without force, and replaces it with force', async () => {
    const target = path.join(dir, 'precious.txt');
    fs.writeFileSync(target, 'my notes');
    expectRefused(SUITE, 'export onto an existing file', () => db.transfer.exportExperiment(experimentId, target), /precious\.txt already exists; pass --force to replace it/, [target]);
    await expectHandled(SUITE, 'export onto an existing file with force', () => {
      db.transfer.exportExperiment(experimentId, target, { force: true });
      expect(fs.readFileSync(target).subarray(0, 15).toString()).toBe('SQLite format 3');
    });
    expect(strayTemps(dir)).toEqual([]);
  });

  it('refuses the open database under every spelling, even with force', () => {
    const rel = path.relative(process.cwd(), dbFile);
    const dotted = path.join(dir, 'sub', '..', 'studio.db');
    const symlink = path.join(dir, 'link.db');
    fs.symlinkSync(dbFile, symlink);
    const hardlink = path.join(dir, 'hard.db');
    fs.linkSync(dbFile, hardlink);
    const cases: [string, string][] = [
      ['same path', dbFile],
      ['relative path', rel],
      ['path with ..', dotted],
      ['symbolic link', symlink],
      ['hard link', hardlink],
      ['its -wal file', `${dbFile}-wal`],
    ];
    for (const [name, target] of cases) {
      expectRefused(SUITE, `export onto the open database (${name})`, () => db.transfer.exportExperiment(experimentId, target, { force: true }), /is the open studio database/, [dir]);
    }
    fs.rmSync(symlink);
    fs.rmSync(hardlink);
  });

  it('refuses, even with force, a database another program has open (a live -wal beside it)', () => {
    const other = path.join(dir, 'other.db');
    const otherDb = openDatabase(other);
    otherDb.experiments.create({ name: 'keep me', spec: {}, specVersion: 1 });
    try {
      expectRefused(SUITE, 'export onto a database in use', () => db.transfer.exportExperiment(experimentId, other, { force: true }), /live wal file .* it may be open in another program/, [other]);
    } finally {
      otherDb.close();
    }
  });

  it('refuses a folder as the target and leaves no temporary behind', () => {
    const folder = path.join(dir, 'a-folder');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'inside.txt'), 'x');
    expectRefused(SUITE, 'export onto a folder', () => db.transfer.exportExperiment(experimentId, folder), /a-folder is a folder; give a file name inside it/, [dir]);
    expect(strayTemps(dir)).toEqual([]);
  });

  it('writes one self-contained file: no -wal, -shm or -journal beside it', () => {
    const target = path.join(dir, 'clean.dsx');
    db.transfer.exportExperiment(experimentId, target);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('clean.dsx'))).toEqual(['clean.dsx']);
  });

  it('a killed export leaves only a recognisable temporary, which the next export removes', async () => {
    const out = path.join(dir, 'killed');
    fs.mkdirSync(out);
    const target = path.join(out, 'exp.dsx');
    // A big enough experiment that the export is still writing when the temporary appears.
    const bigDb = path.join(dir, 'big.db');
    const built = buildLargeExperiment(bigDb, { points: 300_000, kbRows: 50_000 });
    const child = startChild({ op: 'export', db: bigDb, id: built.experimentId, out: target });
    await waitFor(() => strayTemps(out).length > 0, 60_000, 1);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await expectHandled(SUITE, 'export killed with kill -9', () => {
      expect(fs.existsSync(target)).toBe(false); // never a half-written target
      expect(strayTemps(out).length).toBeGreaterThan(0);
      const bigStudio = openDatabase(bigDb);
      try {
        bigStudio.transfer.exportExperiment(built.experimentId, target);
      } finally {
        bigStudio.close();
      }
      expect(strayTemps(out)).toEqual([]);
      expect(fs.readdirSync(out)).toEqual(['exp.dsx']);
    });
  });

  it('a full disk during an export names the target, keeps the old file and leaves no temporary', async () => {
    const target = path.join(dir, 'full.dsx');
    fs.writeFileSync(target, 'previous export');
    const r = runChild({ op: 'export', db: dbFile, id: experimentId, out: target, force: true }, { fileSizeLimitKb: 256 });
    await expectHandled(SUITE, 'export on a full disk (ulimit -f)', () => {
      const result = childResult<{ error?: string }>(r);
      expect(result.error).toMatch(/full\.dsx: could not be written \(.*\); the existing file was left unchanged/);
      expect(fs.readFileSync(target, 'utf8')).toBe('previous export');
      expect(strayTemps(dir)).toEqual([]);
    });
  });
});

describe('files written through the safe-output helper (metrics CSV and the like)', () => {
  it('refuse an existing file and the open database; write atomically otherwise', async () => {
    const csv = path.join(dir, 'metrics.csv');
    fs.writeFileSync(csv, 'someone else\'s data');
    expectRefused(SUITE, 'metrics --out onto an existing file', () => writeFileSafely(csv, 'run_id,key\n', { protect: [dbFile] }), /metrics\.csv already exists; pass --force/, [csv]);
    expectRefused(SUITE, 'metrics --out onto the open database', () => writeFileSafely(dbFile, 'run_id,key\n', { force: true, protect: [dbFile] }), /is the open studio database/, [dbFile]);
    await expectHandled(SUITE, 'metrics --out with force', () => {
      writeFileSafely(csv, 'run_id,key\n', { force: true, protect: [dbFile] });
      expect(fs.readFileSync(csv, 'utf8')).toBe('run_id,key\n');
    });
  });

  it('a full disk keeps the old file and leaves no temporary', async () => {
    const target = path.join(dir, 'big.csv');
    fs.writeFileSync(target, 'old');
    const r = runChild({ op: 'write-file', out: target, bytes: 1 << 20, force: true }, { fileSizeLimitKb: 64 });
    await expectHandled(SUITE, 'CSV on a full disk (ulimit -f)', () => {
      expect(childResult<{ error?: string }>(r).error).toMatch(/big\.csv: could not be written \(the file is larger than this process may write/);
      expect(fs.readFileSync(target, 'utf8')).toBe('old');
      expect(strayTemps(dir)).toEqual([]);
    });
  });

  it('stale temporaries are removed only when they are ours and their process is gone', () => {
    const folder = path.join(dir, 'stale');
    fs.mkdirSync(folder);
    const mine = tempPathFor(path.join(folder, 'x.csv'), 'write');
    fs.writeFileSync(mine, 'live');
    const dead = path.join(folder, '.x.csv.distill-write-999999999-0badf00d.tmp');
    fs.writeFileSync(dead, 'dead');
    const lookalike = path.join(folder, '.x.csv.tmp-123');
    fs.writeFileSync(lookalike, 'not ours');
    expect(cleanStaleTemps(folder, (pid) => pid !== 999999999)).toEqual([dead]);
    expect(fs.readdirSync(folder).sort()).toEqual([path.basename(mine), path.basename(lookalike)].sort());
  });
});

describe('model bundles never delete a folder they did not create', () => {
  it('refuses a folder of someone else\'s files and a file; replaces a previous bundle of ours', async () => {
    const foreign = path.join(dir, 'my-project');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'thesis.tex'), 'years of work');
    expectRefused(SUITE, 'bundle --out onto a folder of other files', () => saveBundle(foreign, realBundle()), /my-project is a folder that holds other things \(thesis\.tex\) and is not a model bundle/, [foreign]);
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'notes');
    expectRefused(SUITE, 'bundle --out onto a file', () => saveBundle(file, realBundle()), /notes\.txt is a file, not a bundle folder/, [file]);
    expectRefused(SUITE, 'bundle --out onto the open database, with force', () => saveBundle(dbFile, realBundle(), { force: true, protect: [dbFile] }), /is the open studio database/, [dbFile]);

    const ours = path.join(dir, 'teacher');
    saveBundle(ours, realBundle(1));
    await expectHandled(SUITE, 'bundle --out onto a previous bundle of ours', () => {
      saveBundle(ours, realBundle(2));
      expect(JSON.parse(fs.readFileSync(path.join(ours, 'meta.json'), 'utf8')).training.seed).toBe(2);
      expect(fs.readdirSync(ours).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    });
    await expectHandled(SUITE, 'bundle --out with force into a foreign folder keeps its other files', () => {
      saveBundle(foreign, realBundle(), { force: true });
      expect(fs.readFileSync(path.join(foreign, 'thesis.tex'), 'utf8')).toBe('years of work');
      expect(isBundleFolder(foreign)).toBe(true);
    });
    await expectHandled(SUITE, 'bundle into an empty folder', () => {
      const empty = path.join(dir, 'empty');
      fs.mkdirSync(empty);
      saveBundle(empty, realBundle());
      expect(isBundleFolder(empty)).toBe(true);
    });
    expect(strayTemps(dir)).toEqual([]);
  });

  it('refuses a bundle folder whose weights.bin is a folder', () => {
    const odd = path.join(dir, 'odd');
    fs.mkdirSync(path.join(odd, 'weights.bin'), { recursive: true });
    expectRefused(SUITE, 'bundle --out where weights.bin is a folder', () => saveBundle(odd, realBundle(), { force: true }), /odd\/weights\.bin is not a file/, [odd]);
  });

  it('a full disk keeps the previous bundle and leaves no temporary', async () => {
    const target = path.join(dir, 'full-bundle');
    saveBundle(target, realBundle(5));
    const before = snapshot(target);
    const r = runChild({ op: 'save-bundle', out: target }, { fileSizeLimitKb: 0 });
    await expectHandled(SUITE, 'bundle on a full disk (ulimit -f)', () => {
      expect(childResult<{ error?: string }>(r).error).toMatch(/full-bundle: could not be written/);
      expect(snapshot(target)).toEqual(before);
      expect(strayTemps(dir)).toEqual([]);
    });
  });
});

describe('knowledge-base files replace only knowledge-base files', () => {
  it('refuses another file and the open database; replaces a previous .dskb', async () => {
    const other = path.join(dir, 'data.bin');
    fs.writeFileSync(other, 'important');
    expectRefused(SUITE, 'extract --out onto a file that is not a KB', () => saveKnowledgeBaseFile(other, makeKb(10)), /data\.bin already exists; pass --force/, [other]);
    expectRefused(SUITE, 'extract --out onto the open database', () => saveKnowledgeBaseFile(dbFile, makeKb(10), { force: true, protect: [dbFile] }), /is the open studio database/, [dbFile]);
    const kbFile = path.join(dir, 'kb.dskb');
    saveKnowledgeBaseFile(kbFile, makeKb(10, 1));
    await expectHandled(SUITE, 'extract --out onto a previous .dskb', () => {
      saveKnowledgeBaseFile(kbFile, makeKb(20, 2));
      expect(loadKnowledgeBaseFile(kbFile).kb.size).toBe(20);
    });
  });

  it('a full disk keeps the previous file and leaves no temporary', async () => {
    const kbFile = path.join(dir, 'full.dskb');
    saveKnowledgeBaseFile(kbFile, makeKb(10));
    const before = snapshot(kbFile);
    const r = runChild({ op: 'save-kb-file', out: kbFile, rows: 20_000 }, { fileSizeLimitKb: 100 });
    await expectHandled(SUITE, 'KB file on a full disk (ulimit -f)', () => {
      expect(childResult<{ error?: string }>(r).error).toMatch(/full\.dskb: could not be written/);
      expect(snapshot(kbFile)).toEqual(before);
      expect(isKnowledgeBaseFile(kbFile)).toBe(true);
      expect(strayTemps(dir)).toEqual([]);
    });
  });
});
