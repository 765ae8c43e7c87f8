/**
 * Writing the studio's outputs (exports, CSV, knowledge-base files, model bundles) without ever destroying a
 * user's file: an existing file is replaced only when the user asked (`force`) or when it is a previous output
 * of ours (`replaceable`); the open database is never a target, whatever the spelling (relative, `..`,
 * symlinks, hard links: compared by realpath and by device + inode); everything is written to a temporary
 * sibling with a recognisable name and published in one step, and the temporary is removed on every failure
 * path. A temporary left by a killed process (kill -9, power loss) is removed by the next write into the same
 * folder once its process is gone.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Why an output path was refused. Nothing was written in any of these cases. */
export type OutputRefusal = 'exists' | 'is-folder' | 'not-a-folder' | 'protected' | 'in-use' | 'not-empty';

export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
  constructor(
    readonly reason: OutputRefusal,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

export interface OutputOptions {
  /** The user asked to replace what is there (`--force`, or a confirmation in the app). */
  readonly force?: boolean;
  /**
   * Files that are never an output, force or not (the open database). Their SQLite siblings (-wal, -shm,
   * -journal) are protected with them.
   */
  readonly protect?: readonly string[];
  /** Whether an existing file is a previous output of ours that may be replaced without `force`. */
  readonly replaceable?: (file: string) => boolean;
}

/** Whether a process exists (signal 0 probes without signalling; EPERM means it exists but is not ours). */
export function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statOrNull(file: string, follow = true): fs.Stats | null {
  try {
    return follow ? fs.statSync(file) : fs.lstatSync(file);
  } catch {
    return null;
  }
}

/** The canonical spelling of a path that may not exist yet: realpath of its nearest existing ancestor + the rest. */
export function canonicalPath(file: string): string {
  const abs = path.resolve(file);
  const rest: string[] = [];
  let dir = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(dir), ...rest.reverse());
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return abs;
      rest.push(path.basename(dir));
      dir = parent;
    }
  }
}

/** Whether two paths name the same file: same canonical path, or (for files that exist) the same device and inode. */
export function sameFile(a: string, b: string): boolean {
  if (canonicalPath(a) === canonicalPath(b)) return true;
  const sa = statOrNull(a);
  const sb = statOrNull(b);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

const SQLITE_SIBLINGS = ['', '-wal', '-shm', '-journal'];

/** Throws when `target` is one of the protected files (or a SQLite sibling of one). */
export function refuseProtected(target: string, protect: readonly string[] = []): void {
  for (const p of protect) {
    if (p === '' || p === ':memory:') continue;
    for (const suffix of SQLITE_SIBLINGS) {
      if (sameFile(target, p + suffix)) {
        throw new OutputPathError('protected', target, `${target} is the open studio database${suffix ? ` (its ${suffix.slice(1)} file)` : ''}${target !== p + suffix ? ` (${p + suffix})` : ''}; choose another output file`);
      }
    }
  }
}

/**
 * Checks that a file may be written at `target` and returns its absolute path. Refuses: the open database; a
 * folder; an existing file unless `force` or `replaceable`; an SQLite database that is in use (it has a -wal or
 * a -journal beside it, so replacing the main file would pair it with the wrong log).
 */
export function checkOutputFile(target: string, options: OutputOptions = {}): string {
  const abs = path.resolve(target);
  if (target === '') throw new OutputPathError('not-a-folder', abs, 'the output path is empty');
  refuseProtected(abs, options.protect);
  const st = statOrNull(abs);
  if (st?.isDirectory()) throw new OutputPathError('is-folder', abs, `${abs} is a folder; give a file name inside it`);
  if (st !== null) {
    if (!st.isFile()) throw new OutputPathError('exists', abs, `${abs} exists and is not a regular file; choose another output file`);
    for (const log of ['-wal', '-journal']) {
      const sibling = statOrNull(abs + log);
      if (sibling !== null && sibling.size > 0) {
        throw new OutputPathError('in-use', abs, `${abs} is an SQLite database with a live ${log.slice(1)} file (${abs}${log}); it may be open in another program, so it was left alone`);
      }
    }
    if (!options.force && !(options.replaceable?.(abs) ?? false)) {
      throw new OutputPathError('exists', abs, `${abs} already exists; pass --force to replace it (it was left unchanged)`);
    }
  } else if (statOrNull(abs, false) !== null) {
    // A dangling symlink: writing would replace the link, not create what it points to.
    if (!options.force) throw new OutputPathError('exists', abs, `${abs} is a symbolic link to a missing file; pass --force to replace the link`);
  }
  return abs;
}

/**
 * Checks that a folder output (a model bundle, a sweep's files) may be written at `target` and returns its
 * absolute path: a missing or empty folder is fine; a folder holding anything (a previous bundle included:
 * it may be the only copy of a trained model) or a file is refused unless `force`; the open database never.
 * Meant to run before any work, so that a long run does not end on a refusal.
 */
export function checkOutputFolder(target: string, options: Pick<OutputOptions, 'force' | 'protect'> = {}): string {
  const abs = path.resolve(target);
  if (target === '') throw new OutputPathError('not-a-folder', abs, 'the output path is empty');
  refuseProtected(abs, options.protect);
  if (options.force) return abs;
  const st = statOrNull(abs);
  if (st === null) {
    if (statOrNull(abs, false) !== null) throw new OutputPathError('exists', abs, `${abs} is a symbolic link to a missing path; pass --force to replace the link`);
    return abs;
  }
  if (!st.isDirectory()) throw new OutputPathError('not-a-folder', abs, `${abs} is a file, not a folder; choose another path, or pass --force to replace it`);
  const entries = fs.readdirSync(abs);
  if (entries.length > 0) {
    throw new OutputPathError(
      'not-empty',
      abs,
      `${abs} already exists and is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose a new folder, or pass --force to write into it (only the files written there are replaced)`,
    );
  }
  return abs;
}

/**
 * Names of our temporaries: `.NAME.distill-TAG-PID-RANDOM.tmp`, optionally followed by the target's extension
 * (an exported ES module must end in .mjs to be imported for its check); SQLite siblings keep the stem.
 */
const TEMP_PATTERN = /^\.(.+)\.distill-([a-z-]+)-(\d+)-([0-9a-f]{8})\.tmp(-journal|-wal|-shm|\.[A-Za-z0-9]{1,8})?$/;

/**
 * A fresh temporary path beside `target`, recognisable by cleanStaleTemps and carrying this process's id.
 * With `keepExtension`, the name ends in the target's extension (one of 1-8 letters or digits).
 */
export function tempPathFor(target: string, tag: string, options: { keepExtension?: boolean } = {}): string {
  if (!/^[a-z-]+$/.test(tag)) throw new Error(`tempPathFor: tag must be lower-case letters and dashes, got ${JSON.stringify(tag)}`);
  // Only an extension the cleaner's pattern recognises is kept (an odd one is dropped: the name stays ours).
  const ext = options.keepExtension && /^\.[A-Za-z0-9]{1,8}$/.test(path.extname(target)) ? path.extname(target) : '';
  return path.join(path.dirname(target), `.${path.basename(target)}.distill-${tag}-${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp${ext}`);
}

/**
 * Removes our temporaries in `dir` whose process is gone (left by a killed write), except a replaced output
 * moved aside whose target is missing, which is restored. Temporaries of live processes, and files that are not
 * ours, are left alone. Returns what was removed.
 */
export function cleanStaleTemps(dir: string, isAlive: (pid: number) => boolean = processIsAlive): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (!m) continue;
    const pid = Number(m[3]);
    if (pid === process.pid || isAlive(pid)) continue;
    const file = path.join(dir, name);
    // A `…-old` temporary is a replaced output moved aside; a write killed before the new one landed leaves the
    // target missing, and then the old one is the user's only copy: put it back instead of removing it.
    const target = path.join(dir, m[1]);
    if (m[2].endsWith('-old') && !(m[5] ?? '').startsWith('-') && !fs.existsSync(target)) {
      try {
        fs.renameSync(file, target);
      } catch {
        /* left for the user to see */
      }
      continue;
    }
    try {
      fs.rmSync(file, { recursive: true, force: true });
      removed.push(file);
    } catch {
      /* another cleaner got there first, or no permission: harmless */
    }
  }
  return removed;
}

/** Removes a file or folder we created, ignoring errors (a cleanup must never hide the original failure). */
export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { recursive: true, force: true });
  } catch {
    /* nothing more we can do */
  }
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EFBIG: 'the file is larger than this process may write (file size limit)',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
  };
  return e.code && why[e.code] ? `${why[e.code]}, ${e.code}` : e.message;
}

/** The error of a failed write, naming the target (not the temporary) and saying that nothing was replaced. */
export function writeFailure(target: string, err: unknown): Error {
  if (err instanceof OutputPathError) return err;
  const out = new Error(`${target}: could not be written (${errnoText(err)}); ${fs.existsSync(target) ? 'the existing file was left unchanged' : 'nothing was written'}`);
  (out as NodeJS.ErrnoException).code = (err as NodeJS.ErrnoException).code;
  return out;
}

/** Moves a finished temporary into place: without force, atomically refuses to clobber a file that appeared meanwhile. */
export function publishFile(tmp: string, target: string, replace: boolean): void {
  if (!replace) {
    try {
      // link() creates the name only if it does not exist, in one step (rename would silently replace).
      fs.linkSync(tmp, target);
      fs.unlinkSync(tmp);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new OutputPathError('exists', target, `${target} appeared while it was being written; it was left unchanged`);
      // File systems without hard links (FAT, some network shares): fall back to a checked rename.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'EMLINK') throw err;
      if (fs.existsSync(target)) throw new OutputPathError('exists', target, `${target} appeared while it was being written; it was left unchanged`);
    }
  }
  fs.renameSync(tmp, target);
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* not supported everywhere (Windows); the rename itself is what makes the write atomic */
  }
}

/**
 * The start of every safe write: the target's folder exists (a failure names the target), temporaries a killed
 * writer left there are cleaned, and a fresh temporary path beside the target. `existed`: whether the target
 * was there before the write.
 */
export function prepareOutput(target: string, tag: string, options: { keepExtension?: boolean } = {}): { dir: string; tmp: string; existed: boolean } {
  const dir = path.dirname(target);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw writeFailure(target, err);
  }
  cleanStaleTemps(dir);
  return { dir, tmp: tempPathFor(target, tag, options), existed: fs.existsSync(target) };
}

/**
 * Writes a file atomically and safely: checks the target (checkOutputFile), writes a temporary sibling
 * (`content`, or whatever `write(fd)` writes), fsyncs, and publishes it. On any failure the temporary is
 * removed and the error names the target. Returns the absolute path written.
 */
export function writeFileSafely(target: string, content: string | Uint8Array | ((fd: number) => void), options: OutputOptions = {}): string {
  const abs = checkOutputFile(target, options);
  const { dir, tmp, existed } = prepareOutput(abs, 'write');
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx');
    if (typeof content === 'function') content(fd);
    else writeAll(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    publishFile(tmp, abs, existed);
  } catch (err) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    removeQuietly(tmp);
    throw writeFailure(abs, err);
  }
  fsyncDir(dir);
  return abs;
}

/** Writes all of `bytes` to `fd` (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.byteLength; ) off += fs.writeSync(fd, bytes, off, bytes.byteLength - off);
}
