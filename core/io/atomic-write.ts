/**
 * Writing export outputs without ever leaving half a file or clobbering what the user has: the content goes to
 * a temporary sibling (same folder, so the final rename is atomic), is checked there, and is renamed into
 * place only when the check passed. An existing target is replaced only with `force`; the temporary is removed
 * on any failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { prepareOutput, tempPathFor } from '../util/safe-output.ts';

/**
 * A temporary sibling of `target` that keeps its extension (an ES module must end in .mjs/.js to be imported),
 * named like every other temporary of the studio so that a later write cleans it up if this process is killed.
 */
export function temporarySibling(target: string, tag = 'model-export'): string {
  return tempPathFor(target, tag, { keepExtension: true });
}

export class OutputExistsError extends Error {
  override name = 'OutputExistsError';
  constructor(readonly target: string) {
    super(`${target} already exists; pass --force (force: true) to replace it`);
  }
}

export function assertWritable(target: string, force: boolean): void {
  if (!force && fs.existsSync(target)) throw new OutputExistsError(target);
  const dir = path.dirname(target);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
}

/**
 * Writes `files` (one file when `name` is null, else a folder of named files) to a temporary sibling of
 * `target`, runs `check(temporaryPath)`, then moves it into place. Returns what `check` returned.
 */
export async function writeChecked<T>(
  target: string,
  content: { kind: 'file'; bytes: Uint8Array | string } | { kind: 'folder'; files: Record<string, Uint8Array | string> },
  force: boolean,
  check: (temporaryPath: string) => Promise<T> | T,
): Promise<T> {
  const abs = path.resolve(target);
  assertWritable(abs, force);
  const { tmp } = prepareOutput(abs, 'model-export', { keepExtension: true });
  let aside: string | null = null;
  try {
    if (content.kind === 'file') fs.writeFileSync(tmp, content.bytes, { flag: 'wx' });
    else {
      fs.mkdirSync(tmp);
      for (const [name, bytes] of Object.entries(content.files)) fs.writeFileSync(path.join(tmp, name), bytes, { flag: 'wx' });
    }
    const result = await check(tmp);
    if (fs.existsSync(abs)) {
      if (!force) throw new OutputExistsError(abs); // appeared while we were checking
      if (content.kind === 'file' && fs.statSync(abs).isFile()) {
        fs.renameSync(tmp, abs); // atomic replacement of a file
        return result;
      }
      aside = temporarySibling(abs, 'model-old');
      fs.renameSync(abs, aside);
    }
    fs.renameSync(tmp, abs);
    if (aside) fs.rmSync(aside, { recursive: true, force: true });
    return result;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (aside && !fs.existsSync(abs)) fs.renameSync(aside, abs);
    throw err;
  }
}
