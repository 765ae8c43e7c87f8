import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeChecked } from '../../../core/io/atomic-write.ts';
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

  it('cleanStaleTemps removes a dead process\'s temporaries (extension kept or not) and puts back a replaced output whose target is missing', () => {
    const d = path.join(dir, 'dead');
    fs.mkdirSync(d);
    const dead = 2 ** 22 + 7; // above Linux's default pid_max: no such process
    const isAlive = (pid: number) => pid !== dead;
    const names = {
      plain: `.a.db.distill-export-${dead}-0123abcd.tmp`,
      module: `.student.mjs.distill-model-export-${dead}-0123abcd.tmp.mjs`,
      // The user's old file, moved aside by a --force export killed before the new one landed.
      aside: `.b.h.distill-model-old-${dead}-0123abcd.tmp.h`,
      // Moved aside, but the new output did land: the old copy is garbage.
      replaced: `.c.onnx.distill-model-old-${dead}-0123abcd.tmp.onnx`,
      notOurs: `.d.tmp.mjs`,
    };
    for (const n of Object.values(names)) fs.writeFileSync(path.join(d, n), n);
    fs.writeFileSync(path.join(d, 'c.onnx'), 'new');
    expect(tempPathFor(path.join(d, 'student.mjs'), 'model-export', { keepExtension: true })).toMatch(/\/\.student\.mjs\.distill-model-export-\d+-[0-9a-f]{8}\.tmp\.mjs$/);
    const removed = cleanStaleTemps(d, isAlive).map((f) => path.basename(f)).sort();
    expect(removed).toEqual([names.replaced, names.module, names.plain].sort());
    expect(fs.readFileSync(path.join(d, 'b.h'), 'utf8')).toBe(names.aside);
    expect(fs.readFileSync(path.join(d, 'c.onnx'), 'utf8')).toBe('new');
    expect(fs.readdirSync(d).sort()).toEqual([names.notOurs, 'b.h', 'c.onnx'].sort());
  });

  it('a model export cleans what a killed export left in its folder, and checks its output under a name that keeps the extension', async () => {
    const d = path.join(dir, 'export-out');
    fs.mkdirSync(d);
    const left = path.join(d, `.student.mjs.distill-model-export-${2 ** 22 + 9}-0123abcd.tmp.mjs`);
    fs.writeFileSync(left, 'half a module');
    let checked = '';
    await writeChecked(path.join(d, 'student.mjs'), { kind: 'file', bytes: 'export const q = 1;' }, false, (tmp) => {
      checked = path.basename(tmp);
    });
    expect(checked).toMatch(/^\.student\.mjs\.distill-model-export-\d+-[0-9a-f]{8}\.tmp\.mjs$/);
    expect(fs.readdirSync(d)).toEqual(['student.mjs']);
  });
});
