/**
 * Model import and export as the studio's windows need them (issue 8 showing issue 12): the page hands over a
 * file's bytes (a browser cannot name a path, and the sandboxed Electron page may not either) and receives
 * bytes back, which it downloads (browser mode) or saves through the save dialog (Electron). Both wrap the
 * service functions of model-io.ts, which the CLI uses on paths: the bytes go through a private temporary
 * folder that is removed afterwards, and the temporary path never shows in a message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { ModelFileError } from '../../core/io/errors.ts';
import { ExportCheckError } from '../../core/io/export-model.ts';
import type { StudioDb } from '../../db/index.ts';
import { ApiError, type ExportedModelFile, type ImportedTeacherView, type RequestArgs } from '../api/contract.ts';
import { toApiError } from './errors.ts';
import { DuplicateImportError, exportModel, importTeacher } from './model-io.ts';

/** A file name the user gave, reduced to a safe base name (no folders, no control characters). */
export function safeBaseName(fileName: string, fallback: string): string {
  const base = path.basename(fileName.replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '_').trim();
  return base === '' || base === '.' || base === '..' ? fallback : base.slice(0, 200);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs `fn` with a private temporary folder; messages lose the folder's path (the user never saw it). */
async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return await fn(dir);
  } catch (err) {
    const e = toApiError(err instanceof ModelFileError ? new ApiError('invalid', err.message) : err instanceof DuplicateImportError ? new ApiError('conflict', err.message) : err);
    // This call's folder, and those of earlier imports that a stored model still records as its source.
    const earlier = new RegExp(`${escapeRegExp(path.join(os.tmpdir(), prefix))}[^\\/\\s]*[\\/]`, 'g');
    const clean = e.message.split(`${dir}${path.sep}`).join('').split(dir).join('').replace(earlier, '');
    throw new ApiError(e.code, clean, e.issues);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function importTeacherBytes(db: StudioDb, args: RequestArgs<'importTeacher'>): Promise<ImportedTeacherView> {
  return inTempDir('distill-teacher-', async (dir) => {
    const fileName = safeBaseName(args.fileName, 'teacher-file');
    const file = path.join(dir, fileName);
    fs.writeFileSync(file, args.bytes);
    let result;
    try {
      result = await importTeacher(db, { file, env: args.env as never, evalEpisodes: args.evalEpisodes });
    } catch (err) {
      // The request schema's messages ("import teacher: env: Invalid option …") are the caller's mistakes.
      if (err instanceof Error && /^import teacher: /.test(err.message)) throw new ApiError('invalid', err.message.replace(/^import teacher: /, ''), [{ path: 'env', message: err.message }]);
      throw err;
    }
    return {
      modelId: result.modelId,
      env: result.env,
      runtime: result.runtime,
      format: result.source.format,
      fileName,
      network: result.network,
      params: result.params,
      hiddenSizes: result.hiddenSizes,
      evalMean: result.evaluation.mean,
      evalCi95: result.evaluation.ci95,
      episodes: result.evaluation.episodes,
      randomMean: result.randomEvaluation.mean,
    };
  });
}

const EXTENSIONS = { onnx: '.onnx', js: '.mjs', c: '.h', tfjs: '' } as const;

/** Every file under `dir`, by its path relative to `dir` (for the tfjs folder's zip). */
function filesUnder(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, filesUnder(p, `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = new Uint8Array(fs.readFileSync(p));
  }
  return out;
}

export function exportModelBytes(db: StudioDb, args: RequestArgs<'exportModel'>): Promise<ExportedModelFile> {
  return inTempDir('distill-export-model-', async (dir) => {
    const base = args.runId !== undefined ? `run-${args.runId}` : `model-${args.modelId}`;
    const name = `${base}-${args.format === 'tfjs' ? 'tfjs' : 'student'}${EXTENSIONS[args.format]}`;
    const out = path.join(dir, name);
    let result;
    try {
      result = await exportModel(db, { ...(args.runId !== undefined ? { runId: args.runId } : { modelId: args.modelId! }), format: args.format, out, ...(args.cName ? { cName: args.cName } : {}) });
    } catch (err) {
      if (err instanceof ExportCheckError) throw new ApiError('internal', `the exported model did not pass its check, so nothing was saved: ${err.message}`);
      if (err instanceof Error && /has no model to export|does not exist/.test(err.message)) throw new ApiError(/does not exist/.test(err.message) ? 'not_found' : 'conflict', err.message);
      throw err;
    }
    // A tfjs model is a folder (model.json, weights.bin, meta.json): handed over as one zip of that folder.
    const bytes = args.format === 'tfjs' ? zipSync({ [name]: filesUnder(out) }, { level: 6 }) : new Uint8Array(fs.readFileSync(out));
    const c = result.check;
    return {
      fileName: args.format === 'tfjs' ? `${name}.zip` : name,
      bytes,
      format: args.format,
      modelId: result.modelId,
      check: { states: c.states, statesSource: c.statesSource, method: c.method, maxAbsDiff: c.maxAbsDiff, maxRelDiff: c.maxRelDiff, actionsAgree: c.actionsAgree },
    };
  });
}
