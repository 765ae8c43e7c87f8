/**
 * A grid of students × α × seeds distilled from one teacher, plus from-scratch baselines of every student size
 * on the same env-step budget: stored as one experiment and run on the studio's worker threads (one per core
 * by default), summarised as parameters vs normalised score (mean ± 95% CI over seeds).
 */
import { bundleOf } from '../../../core/io/stored-model.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExperimentSpec } from '../../../core/experiment/spec.ts';
import { isEnvId } from '../../../core/envs/index.ts';
import { loadKnowledgeBaseFile, saveKnowledgeBaseFile } from '../../../core/kb/kb-file.ts';
import type { KnowledgeBase } from '../../../core/kb/knowledge-base.ts';
import { defaultMethod, defaultMode } from '../../../core/distill/config.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { saveBundle } from '../../../core/nn/bundle.ts';
import { writeFileSafely } from '../../../core/util/safe-output.ts';
import { checkNetworksFit, plannedNetworks, storedConfig } from '../../service/runs.ts';
import { formatSweepTable, sweepRows, sweepSpec } from '../../service/sweep.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { listFlag, numberFlag, sizesFlag, teacherFlag, timestamp } from '../shared.ts';
import { cancellableOnSigint, dbPathFlag, openStudioFlag, outputFolderFlag } from '../studio.ts';

export const usage = `Usage: distill-studio sweep --teacher DIR --students "8,8;16,16;32,32" --alphas 0,0.5,1 --seeds 1,2,3
         [--method supervised|retrieval|teacher] [--mode offline|online] [--soft-loss kl|kl-two-sided|mse|nll] [--steps N] [--kb FILE] [--kb-steps N]
         [--no-baseline] [--jobs N] [--out DIR] [--force] [--backend NAME] [--db FILE] [--json]
  Stored as one experiment (see "runs --experiment ID"; it opens in the studio too). Baselines train each
  student size from scratch on the same env-step budget: the KB's transitions (when the students learn from
  the KB) plus the student's own (online).
  --jobs  parallel runs (default: the number of cores)
  --out   folder for sweep.json, the knowledge base and every run's model bundle (default runs/sweeps/<env>-<time>);
          a folder that is not empty or a file is refused before the sweep starts unless --force
  --force write into an existing --out folder (the files the sweep writes are replaced, nothing else)`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    teacher: { type: 'string' },
    students: { type: 'string' },
    alphas: { type: 'string' },
    seeds: { type: 'string' },
    mode: { type: 'string' },
    method: { type: 'string' },
    'soft-loss': { type: 'string' },
    steps: { type: 'string' },
    kb: { type: 'string' },
    'kb-steps': { type: 'string' },
    'no-baseline': { type: 'boolean' },
    jobs: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    backend: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  const students = listFlag('students', requireFlag('students', flags.students as string | undefined), ';', (s) => sizesFlag('students', s));
  const alphas = listFlag('alphas', requireFlag('alphas', flags.alphas as string | undefined), ',', (s) => numberFlag('alphas', s, { min: 0, max: 1 })!);
  const seeds = listFlag('seeds', requireFlag('seeds', flags.seeds as string | undefined), ',', (s) => intFlag('seeds', s, { min: 0, max: 2 ** 31 - 1 })!);
  const modeFlag = choiceFlag('mode', flags.mode, ['offline', 'online'] as const);
  const method = choiceFlag('method', flags.method, ['supervised', 'retrieval', 'teacher'] as const) ?? defaultMethod(modeFlag);
  const mode = modeFlag ?? defaultMode(method);
  const softLoss = choiceFlag('soft-loss', flags['soft-loss'], ['kl', 'kl-two-sided', 'mse', 'nll'] as const);
  const steps = intFlag('steps', flags.steps, { min: 1, max: 1e9 });
  const kbSteps = intFlag('kb-steps', flags['kb-steps'], { min: 1, max: 50_000_000 }) ?? 20_000;
  const jobs = intFlag('jobs', flags.jobs, { min: 1, max: 64 }) ?? os.availableParallelism();
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const json = flags.json === true;
  if (backendName !== 'auto') await selectBackend(backendName); // a forced backend must load before anything is stored
  const { dir: teacherDir, bundle } = await teacherFlag(flags.teacher);
  const env = bundle.meta.env;
  bundle.network.dispose();
  if (!isEnvId(env)) throw new UsageError(`--teacher: the bundle is for unknown environment "${env}"`);
  const kbFile = typeof flags.kb === 'string' ? path.resolve(flags.kb) : null;
  let kb: KnowledgeBase | undefined;
  if (kbFile) {
    try {
      kb = loadKnowledgeBaseFile(kbFile).kb;
      if (kb.meta.env !== env) throw new Error(`the knowledge base is for ${kb.meta.env}, the teacher for ${env}`);
    } catch (err) {
      throw new UsageError(`--kb: ${(err as Error).message}`);
    }
  }
  const force = flags.force === true;
  const dbFile = dbPathFlag(flags.db);
  const out = outputFolderFlag('out', (flags.out as string | undefined) ?? path.join('runs', 'sweeps', `${env}-${timestamp()}`), { force, dbFile });
  const studentSteps = steps ?? (mode === 'offline' ? 10_000 : 30_000);
  const kbSize = kb?.size ?? kbSteps;
  const baselineSteps = flags['no-baseline'] === true ? null : (method !== 'teacher' || mode === 'offline' ? kbSize : 0) + (mode === 'online' ? studentSteps : 0);
  let spec;
  try {
    spec = parseExperimentSpec(
      sweepSpec({ name: `sweep ${env} ${path.basename(teacherDir)}`, env, teacherModel: teacherDir, students, alphas, seeds, method, mode, ...(softLoss ? { softLoss } : {}), studentSteps, kbSteps, baselineSteps, evalEpisodes: 20 }),
      'sweep',
    );
    // Every student size must fit in memory before anything is stored (one refusal, not a failed run per size).
    checkNetworksFit(plannedNetworks(spec), backendName);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const started = performance.now();
  const studio = openStudioFlag(dbFile, { poolSize: jobs, backend: backendName });
  try {
    const created = await studio.createFromSpec(spec, { start: false, ...(kb ? { knowledgeBase: kb } : {}) });
    const ids = created.runs.map((r) => r.runId);
    const grid = ids.filter((id) => id !== created.teacherRunId);
    if (!json) io.stderr(`sweep: experiment ${created.experimentId}, ${grid.length} runs on ${jobs} workers, ${env}, KB ${kbSize} rows\n`);
    let done = 0;
    const off = studio.on('runStatus', (e) => {
      if (json || !grid.includes(e.runId) || e.status === 'running' || e.status === 'queued') return;
      const r = studio.db.runs.get(e.runId);
      const score = (r.summary as { normalizedScore?: number } | null)?.normalizedScore;
      io.stderr(`  done ${++done}/${grid.length}: ${storedConfig(r)?.name ?? `run ${r.id}`} → ${e.status === 'completed' ? `score ${Number(score).toFixed(3)}` : `${e.status}${e.error ? ` (${e.error})` : ''}`}\n`);
    });
    try {
      await cancellableOnSigint(studio, () => ids, io, studio.execute(ids));
    } finally {
      off();
    }
    const runs = studio.db.runs.list({ experimentId: created.experimentId });
    const teacher = runs.find((r) => r.id === created.teacherRunId)!;
    const results = runs.filter((r) => r.id !== teacher.id && r.status === 'completed');
    const failed = runs.length - 1 - results.length;
    if (teacher.status !== 'completed') throw new Error(`the teacher run ${teacher.id} ${teacher.status}${teacher.error ? `: ${teacher.error}` : ''}`);
    const rows = sweepRows(runs);

    // Files for scripts: the table, the knowledge base, and every run's model bundle.
    fs.mkdirSync(out, { recursive: true });
    let kbOut = kbFile;
    if (!kbOut) {
      const kbId = studio.db.knowledgeBases.list({ teacherRunId: teacher.id }).at(-1)?.id;
      if (kbId !== undefined) kbOut = saveKnowledgeBaseFile(path.join(out, 'knowledge-base.dskb'), studio.db.knowledgeBases.load(kbId), { force, protect: [studio.db.file] });
    }
    for (const r of results) {
      const job = storedConfig(r)!.job;
      if (job.kind === 'teacher') continue;
      const name = job.kind === 'student' ? `distill-${job.config.hiddenSizes.join('x')}-a${job.config.alpha}-s${r.seed}` : `baseline-${job.config.hiddenSizes.join('x')}-s${r.seed}`;
      const model = studio.db.models.list({ runId: r.id, kind: 'final' }).at(-1);
      if (model) saveBundle(path.join(out, name), bundleOf(studio.db.models.get(model.id).bundle, `model ${model.id}`), { force, protect: [studio.db.file] });
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const summaries = results.map((r) => ({ runId: r.id, name: storedConfig(r)?.name, ...(r.summary as Record<string, unknown>) }));
    const header = { env, teacher: teacherDir, kb: kbOut, experimentId: created.experimentId, db: studio.db.file, mode, studentSteps, baselineSteps };
    writeFileSafely(path.join(out, 'sweep.json'), `${JSON.stringify({ ...header, rows, runs: summaries }, null, 2)}\n`, { force, protect: [studio.db.file] });
    if (json) io.stdout(`${JSON.stringify({ command: 'sweep', ...header, runs: results.length, failed, wallSeconds: Math.round(wallSeconds * 10) / 10, out, rows })}\n`);
    else {
      io.stdout(formatSweepTable(rows));
      io.stdout(`\n${results.length} runs (${failed} failed) in ${wallSeconds.toFixed(1)} s; experiment ${created.experimentId} in ${studio.db.file}; files in ${out}\n`);
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await studio.close();
  }
}
