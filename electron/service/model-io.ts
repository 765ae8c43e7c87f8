/**
 * Model import and export, the service side (CLI commands `import-teacher` / `export-model` and the StudioApi
 * verbs call these): requests are validated by the zod schemas below, formats and numerics live in core/io.
 *
 * importTeacher: read a teacher trained elsewhere (SB3 .zip, torch state dict, .safetensors, .onnx), check it
 *   against the env, refuse a file (or network) imported before, evaluate it greedily on the studio's test seeds
 *   (and a random policy on the same seeds), store it as an `imported` model with its source recorded. It is then
 *   a teacher like any other: an experiment names it with `teacher: { modelId }`.
 * exportModel: write a run's final model (or a stored model) as ONNX, the tfjs layers format, an ES module or a
 *   C header, checked on 1,000 knowledge-base states before it is moved into place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { evaluateRandomPolicy } from '../../core/distill/report.ts';
import { ENV_IDS, type EnvId } from '../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../core/eval/evaluate.ts';
import type { EvaluationRecord } from '../../core/experiment/jobs.ts';
import { ModelFileError } from '../../core/io/errors.ts';
import { EXPORT_FORMATS, exportModel as writeExport, type ExportResult } from '../../core/io/export-model.ts';
import { C_NAME_PATTERN } from '../../core/io/export-sources.ts';
import { OnnxQFunction } from '../../core/io/onnx-runtime.ts';
import { encodeOnnxModel, loadTeacher, type StoredModel, type StoredModelMeta } from '../../core/io/stored-model.ts';
import { checkTeacherForEnv, parseTeacherFile, type ImportSource } from '../../core/io/teacher-file.ts';
import { extractKnowledge } from '../../core/kb/extract.ts';
import { currentBackend, selectBackend } from '../../core/nn/backend.ts';
import { refuseProtected } from '../../core/util/safe-output.ts';
import { encodeBundle } from '../../core/nn/bundle.ts';
import type { QFunction } from '../../core/nn/q-function.ts';
import { describe, QNetwork } from '../../core/nn/q-network.ts';
import { NotFoundError, type StudioDb } from '../../db/index.ts';

export const ImportTeacherRequest = z
  .object({
    file: z.string().min(1).describe('The teacher file: a Stable-Baselines3 DQN .zip, a torch.save state dict, a .safetensors file or an .onnx model.'),
    env: z.enum(ENV_IDS as [EnvId, ...EnvId[]]).describe('The environment the teacher was trained on.'),
    evalEpisodes: z.number().int().min(1).max(1000).default(20).describe('Greedy evaluation episodes on the fixed test seeds.'),
  })
  .strict();
export type ImportTeacherRequest = z.input<typeof ImportTeacherRequest>;

export const ExportModelRequest = z
  .object({
    runId: z.number().int().positive().optional().describe("A run: its final model is exported."),
    modelId: z.number().int().positive().optional().describe('A stored model.'),
    format: z.enum(EXPORT_FORMATS).describe('onnx | tfjs (folder) | js (ES module) | c (header)'),
    out: z.string().min(1).describe('File (onnx, js, c) or folder (tfjs) to write.'),
    force: z.boolean().default(false).describe('Replace an existing file or folder.'),
    cName: z.string().regex(C_NAME_PATTERN, 'must be a C identifier').optional().describe('Prefix of the C header functions (default "distill").'),
    checkStates: z.number().int().min(10).max(100_000).default(1000).describe('Knowledge-base states the export is checked on.'),
  })
  .strict()
  .refine((r) => (r.runId === undefined) !== (r.modelId === undefined), { message: 'give exactly one of runId and modelId', path: ['runId'] });
export type ExportModelRequest = z.input<typeof ExportModelRequest>;

export interface ServiceOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export type EvaluationSummary = Pick<EvaluationRecord, 'episodes' | 'mean' | 'std' | 'ci95' | 'returns' | 'seeds'>;

export interface ImportTeacherResult {
  readonly modelId: number;
  readonly env: EnvId;
  /** How it runs in the studio: a tfjs Q-network, or an ONNX graph in onnxruntime. */
  readonly runtime: 'tfjs' | 'onnxruntime';
  readonly network: string;
  readonly params: number;
  readonly hiddenSizes: readonly number[];
  readonly source: ImportSource;
  readonly evaluation: EvaluationSummary;
  readonly randomEvaluation: EvaluationSummary;
}

export class DuplicateImportError extends Error {
  override name = 'DuplicateImportError';
  constructor(
    message: string,
    readonly existingModelId: number,
  ) {
    super(message);
  }
}

/** Parses a request with the schema; the message names every bad field. */
function parseRequest<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new Error(`${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

function importedSource(meta: StoredModelMeta): ImportSource | null {
  const imported = (meta.training as { imported?: ImportSource } | undefined)?.imported;
  return imported && typeof imported.sha256 === 'string' ? imported : null;
}

/** The imported model this file (or the same network from another file) already is, if any. */
export function findImported(db: StudioDb, source: ImportSource): { modelId: number; same: 'file' | 'network'; from: ImportSource } | null {
  for (const m of db.models.list({ kind: 'imported' })) {
    const s = importedSource(m.meta);
    if (!s) continue;
    if (s.sha256 === source.sha256) return { modelId: m.id, same: 'file', from: s };
    if (s.weightsSha256 === source.weightsSha256) return { modelId: m.id, same: 'network', from: s };
  }
  return null;
}

const summarize = (e: { mean: number; std: number; ci95: number; returns: number[]; seeds: number[] }): EvaluationSummary => ({ episodes: e.returns.length, mean: e.mean, std: e.std, ci95: e.ci95, returns: e.returns, seeds: e.seeds });

export async function importTeacher(db: StudioDb, input: ImportTeacherRequest, options: ServiceOptions = {}): Promise<ImportTeacherResult> {
  const req = parseRequest(ImportTeacherRequest, input, 'import teacher');
  const file = path.resolve(req.file);
  const progress = (phase: string, done: number, total: number) => options.onProgress?.({ phase, done, total });
  if (!fs.existsSync(file)) throw new ModelFileError(file, 'no such file');
  if (fs.statSync(file).isDirectory()) throw new ModelFileError(file, 'is a folder; give the model file itself');
  progress('read', 0, 1);
  const parsed = parseTeacherFile(new Uint8Array(fs.readFileSync(file)), file);
  checkTeacherForEnv(parsed, req.env);
  const refuseDuplicate = () => {
    const dup = findImported(db, parsed.source);
    if (!dup) return;
    throw new DuplicateImportError(
      dup.same === 'file'
        ? `${file}: already imported as model ${dup.modelId} (same file, sha256 ${parsed.source.sha256.slice(0, 12)}…, imported from ${dup.from.file})`
        : `${file}: the same network (identical weights) was already imported as model ${dup.modelId}, from ${dup.from.file}`,
      dup.modelId,
    );
  };
  refuseDuplicate();
  options.signal?.throwIfAborted();
  if (!currentBackend()) await selectBackend('auto');
  const teacher: QFunction = parsed.kind === 'mlp' ? QNetwork.fromWeights(parsed.spec, parsed.values) : OnnxQFunction.fromBytes(parsed.bytes, file);
  try {
    progress('evaluate', 0, req.evalEpisodes);
    const seeds = episodeSeeds(req.evalEpisodes);
    const evaluation = summarize(evaluatePolicy(req.env, (o, b) => teacher.act(o, b), seeds));
    const randomEvaluation = summarize(evaluateRandomPolicy(req.env, seeds));
    progress('evaluate', req.evalEpisodes, req.evalEpisodes);
    options.signal?.throwIfAborted();
    const training = { role: 'teacher', imported: parsed.source, evaluation, randomEvaluation };
    const stored: StoredModel =
      parsed.kind === 'mlp'
        ? encodeBundle(teacher as QNetwork, { env: req.env, backend: currentBackend()!.name, training })
        : encodeOnnxModel(parsed.bytes, parsed.info, { env: req.env, observationSize: teacher.spec.inputSize, actionCount: teacher.spec.outputSize, training });
    // Checked again with the insert, in one transaction: another import of the same file may have finished meanwhile.
    const modelId = db.transaction(() => {
      refuseDuplicate();
      return db.models.save({ runId: null, kind: 'imported', bundle: stored }).id;
    });
    progress('store', 1, 1);
    return {
      modelId,
      env: req.env,
      runtime: parsed.kind === 'mlp' ? 'tfjs' : 'onnxruntime',
      network: describe(teacher.spec),
      params: teacher.paramCount,
      hiddenSizes: teacher.spec.hiddenSizes,
      source: parsed.source,
      evaluation,
      randomEvaluation,
    };
  } finally {
    teacher.dispose();
  }
}

export interface ExportModelResult extends ExportResult {
  readonly modelId: number;
  readonly runId: number | null;
  readonly env: string;
}

/** The model a request names: a run's final model (or the existing model a teacher run used), or a model id. */
function resolveModel(db: StudioDb, req: { runId?: number; modelId?: number }): { modelId: number; runId: number | null } {
  if (req.modelId !== undefined) {
    try {
      return { modelId: req.modelId, runId: db.models.get(req.modelId).runId };
    } catch (err) {
      if (err instanceof NotFoundError) throw new Error(`model ${req.modelId} does not exist in ${db.file}`);
      throw err;
    }
  }
  const run = db.runs.get(req.runId!);
  const final = db.models.list({ runId: run.id, kind: 'final' }).at(-1);
  if (final) return { modelId: final.id, runId: run.id };
  if (run.teacherModelId !== null && run.role === 'teacher') return { modelId: run.teacherModelId, runId: run.id };
  throw new Error(`run ${run.id} (${run.role}, ${run.status}) has no model to export`);
}

/** The knowledge base that belongs with a model: its run's, its teacher run's, or one extracted from it. */
function knowledgeBaseFor(db: StudioDb, modelId: number, runId: number | null): number | null {
  const byModel = db.knowledgeBases.list({ teacherModelId: modelId }).at(-1);
  if (byModel) return byModel.id;
  if (runId === null) return null;
  const run = db.runs.get(runId);
  if (run.kbId !== null) return run.kbId;
  const own = db.knowledgeBases.list({ teacherRunId: run.id }).at(-1);
  if (own) return own.id;
  if (run.teacherRunId !== null) return db.knowledgeBases.list({ teacherRunId: run.teacherRunId }).at(-1)?.id ?? null;
  return null;
}

/**
 * `count` observations to check an export on: evenly spread rows of the model's knowledge base, or, where the
 * database holds none for it (an imported teacher never used in an experiment), a short ε-greedy rollout of
 * the model itself, recorded like a knowledge base.
 */
function checkStates(db: StudioDb, model: StoredModel, ids: { modelId: number; runId: number | null }, count: number): { states: Float32Array; source: string } {
  const kbId = knowledgeBaseFor(db, ids.modelId, ids.runId);
  const n = model.meta.observationSize;
  if (kbId !== null) {
    const kb = db.knowledgeBases.load(kbId);
    if (kb.meta.observationSize === n && kb.size >= count) {
      const states = new Float32Array(count * n);
      for (let i = 0; i < count; i++) {
        const row = Math.floor((i * kb.size) / count);
        states.set(kb.states.subarray(row * n, row * n + n), i * n);
      }
      return { states, source: `knowledge base ${kbId} (${count} of its ${kb.size} states, evenly spread)` };
    }
  }
  const { teacher } = loadTeacher(model, `model ${ids.modelId}`);
  try {
    const kb = extractKnowledge(teacher, { env: model.meta.env as EnvId, steps: count, seed: 0, epsilon: 0.1, teacherSource: `model ${ids.modelId}` });
    return { states: kb.states, source: `a ${count}-step ε 0.1 rollout of the model (the database has no knowledge base for it)` };
  } finally {
    teacher.dispose();
  }
}

export async function exportModel(db: StudioDb, input: ExportModelRequest, options: ServiceOptions = {}): Promise<ExportModelResult> {
  const req = parseRequest(ExportModelRequest, input, 'export model');
  // Never the open database (or its -wal/-shm), whatever the spelling, force or not.
  refuseProtected(path.resolve(req.out), [db.file]);
  if (!currentBackend()) await selectBackend('auto');
  const ids = resolveModel(db, req);
  const record = db.models.get(ids.modelId);
  const model = record.bundle;
  options.onProgress?.({ phase: 'states', done: 0, total: req.checkStates });
  const { states, source } = checkStates(db, model, ids, req.checkStates);
  options.signal?.throwIfAborted();
  const meta = model.meta;
  const title = `model ${ids.modelId}${ids.runId !== null ? ` (run ${ids.runId})` : ` (${record.kind})`}, ${meta.env}, ${[meta.observationSize, ...meta.hiddenSizes, meta.actionCount].join('-')}, ${meta.paramCount} parameters`;
  options.onProgress?.({ phase: 'write', done: 0, total: 1 });
  const result = await writeExport(model, `model ${ids.modelId}`, { format: req.format, out: req.out, force: req.force, states, statesSource: source, title, ...(req.cName ? { cName: req.cName } : {}) });
  options.onProgress?.({ phase: 'write', done: 1, total: 1 });
  return { ...result, modelId: ids.modelId, runId: ids.runId, env: meta.env };
}
