import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputPathError, canonicalPath, checkOutputFile, cleanStaleTemps, publishFile, sameFile, tempPathFor, writeFileSafely } from '../../../core/util/safe-output.ts';

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'safe-output-')));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('safe output paths', () => {
  it('canonicalPath resolves symlinked folders even for files that do not exist yet', () => {
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'alias'));
    expect(canonicalPath(path.join(dir, 'alias', 'new', 'x.db'))).toBe(path.join(dir, 'real', 'new', 'x.db'));
  });

  it('sameFile sees hard links and symlinks as the same file, and different files as different', () => {
    const a = path.join(dir, 'a.db');
    fs.writeFileSync(a, 'a');
    fs.linkSync(a, path.join(dir, 'a-hard.db'));
    fs.symlinkSync(a, path.join(dir, 'a-soft.db'));
    fs.writeFileSync(path.join(dir, 'b.db'), 'a');
    expect(sameFile(a, path.join(dir, 'a-hard.db'))).toBe(true);
    expect(sameFile(a, path.join(dir, 'a-soft.db'))).toBe(true);
    expect(sameFile(a, path.join(dir, '.', 'x', '..', 'a.db'))).toBe(true);
    expect(sameFile(a, path.join(dir, 'b.db'))).toBe(false);
  });

  it('checkOutputFile: refusal reasons', () => {
    const file = path.join(dir, 'exists.txt');
    fs.writeFileSync(file, 'x');
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as OutputPathError).reason;
      }
      return 'accepted';
    };
    expect(reason(() => checkOutputFile(file))).toBe('exists');
    expect(reason(() => checkOutputFile(file, { force: true }))).toBe('accepted');
    expect(reason(() => checkOutputFile(file, { replaceable: () => true }))).toBe('accepted');
    expect(reason(() => checkOutputFile(dir))).toBe('is-folder');
    expect(reason(() => checkOutputFile(file, { force: true, protect: [path.join(dir, 'a.db')] }))).toBe('accepted');
    expect(reason(() => checkOutputFile(path.join(dir, 'a-hard.db'), { force: true, protect: [path.join(dir, 'a.db')] }))).toBe('protected');
    expect(reason(() => checkOutputFile(path.join(dir, 'new.txt')))).toBe('accepted');
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    expect(reason(() => checkOutputFile(path.join(dir, 'dangling')))).toBe('exists');
  });

  it('publishFile without replace never clobbers a file that appeared meanwhile', () => {
    const target = path.join(dir, 'race.txt');
    const tmp = tempPathFor(target, 'write');
    fs.writeFileSync(tmp, 'mine');
    fs.writeFileSync(target, 'theirs');
    expect(() => publishFile(tmp, target, false)).toThrow(/appeared while it was being written/);
    expect(fs.readFileSync(target, 'utf8')).toBe('theirs');
    fs.rmSync(tmp);
  });

  it('writeFileSafely writes through a temporary and leaves none; a failing writer leaves nothing', () => {
    const target = path.join(dir, 'out', 'data.csv');
    writeFileSafely(target, 'a,b\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('a,b\n');
    expect(() =>
      writeFileSafely(path.join(dir, 'out', 'fails.csv'), () => {
        throw Object.assign(new Error('boom'), { code: 'ENOSPC' });
      }),
    ).toThrow(/fails\.csv: could not be written \(no space left on the device, ENOSPC\); nothing was written/);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['data.csv']);
  });

  it('cleanStaleTemps leaves the temporaries of live processes alone', () => {
    const d = path.join(dir, 'temps');
    fs.mkdirSync(d);
    const live = path.join(d, `.x.distill-export-${process.ppid}-01234567.tmp`);
    fs.writeFileSync(live, '');
    expect(cleanStaleTemps(d)).toEqual([]);
    expect(fs.existsSync(live)).toBe(true);
  });
});
