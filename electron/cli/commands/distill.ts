import path from 'node:path';
import { resolveStudentConfig, type StudentConfig, type StudentSettings } from '../../../core/distill/config.ts';
import { isEnvId } from '../../../core/envs/index.ts';
import { loadKnowledgeBaseFile } from '../../../core/kb/kb-file.ts';
import type { KnowledgeBase } from '../../../core/kb/knowledge-base.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { saveBundle } from '../../../core/nn/bundle.ts';
import { checkNetworksFit, createDistillRuns, studentNetwork } from '../../service/runs.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { numberFlag, round, sizesFlag, teacherFlag, timestamp } from '../shared.ts';
import { runStandalone } from '../standalone.ts';
import { dbPathFlag, openStudioFlag, outputFolderFlag } from '../studio.ts';

export const usage = `Usage: distill-studio distill --teacher DIR --student 16,16 --seed S [--method supervised|retrieval|teacher] [--mode offline|online]
         [--alpha A] [--alpha-schedule constant|linear|adaptive] [--alpha-end A] [--soft-loss kl|kl-two-sided|mse|nll] [--tau T]
         [--hard-loss td|mc] [--hard-error huber|mse] [--max-grad-norm G] [--kb FILE] [--kb-steps N] [--k K] [--radius R|auto]
         [--steps N] [--eval-episodes N] [--out DIR] [--force] [--backend NAME] [--db FILE] [--json]
  --teacher         teacher model bundle folder
  --student         hidden layer widths of the student, e.g. 16,16
  --method          supervised (default: the KB rows' stored Q, offline) | retrieval (the nearest KB states' Q for the
                    student's own states, online) | teacher (a live teacher forward pass, offline or online)
  --mode            offline (KB minibatches) | online (the student acts in the env); default: the method's
  --alpha           weight of L_hard in α·L_hard + (1−α)·L_soft, in [0, 1] (default 0: pure distillation)
  --alpha-schedule  constant (default) | linear (alpha → alpha-end) | adaptive (QDagger)
  --soft-loss       kl (default, Rusu et al.) | kl-two-sided | mse | nll;  --tau  teacher temperature > 0 (kl*, default 0.01)
  --hard-loss       td (default) | mc (offline only);  --hard-error huber (default) | mse;  --max-grad-norm (default 10, 0: off)
  --kb              knowledge-base file from \`extract\`; without it one is extracted (--kb-steps, default 20000, ε 0.05)
  --k, --radius     retrieval: neighbours (default 1) and radius in standardised units (default auto: from the KB)
  --steps           gradient updates (offline, default 10000) or env steps (online, default 30000)
  A flag that has no effect with the chosen method and mode is an error.
  --eval-episodes   greedy test episodes (default 20)
  --out             student bundle folder (default runs/students/<env>-<sizes>-seed<S>-<time>); a folder that is not
                    empty or a file is refused before training unless --force
  --force           write the bundle into an existing folder (its three files are replaced, nothing else)
  --db              database the runs are stored in (default: the app's; env DISTILL_DB)
  Stores two runs: the teacher's (its evaluation and knowledge base) and the student's, which checkpoints;
  Ctrl-C stops it and "distill-studio resume RUN" continues it.`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    teacher: { type: 'string' },
    student: { type: 'string' },
    seed: { type: 'string' },
    alpha: { type: 'string' },
    'alpha-schedule': { type: 'string' },
    'alpha-end': { type: 'string' },
    'soft-loss': { type: 'string' },
    'hard-loss': { type: 'string' },
    tau: { type: 'string' },
    method: { type: 'string' },
    mode: { type: 'string' },
    'hard-error': { type: 'string' },
    'max-grad-norm': { type: 'string' },
    kb: { type: 'string' },
    'kb-steps': { type: 'string' },
    k: { type: 'string' },
    radius: { type: 'string' },
    steps: { type: 'string' },
    'eval-episodes': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    backend: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  // Validate everything before any work or any write.
  const student = sizesFlag('student', requireFlag('student', flags.student as string | undefined));
  const seed = requireFlag('seed', intFlag('seed', flags.seed, { min: 0, max: 2 ** 31 - 1 }));
  const settings: StudentSettings = {
    hiddenSizes: student,
    ...defined('method', choiceFlag('method', flags.method, ['supervised', 'retrieval', 'teacher'] as const)),
    ...defined('mode', choiceFlag('mode', flags.mode, ['offline', 'online'] as const)),
    ...defined('hardError', choiceFlag('hard-error', flags['hard-error'], ['huber', 'mse'] as const)),
    ...defined('maxGradNorm', numberFlag('max-grad-norm', flags['max-grad-norm'], { min: 0 })),
    ...defined('alpha', numberFlag('alpha', flags.alpha, { min: 0, max: 1 })),
    ...defined('alphaSchedule', choiceFlag('alpha-schedule', flags['alpha-schedule'], ['constant', 'linear', 'adaptive'] as const)),
    ...defined('alphaEnd', numberFlag('alpha-end', flags['alpha-end'], { min: 0, max: 1 })),
    ...defined('softLoss', choiceFlag('soft-loss', flags['soft-loss'], ['kl', 'kl-two-sided', 'mse', 'nll'] as const)),
    ...defined('hardLoss', choiceFlag('hard-loss', flags['hard-loss'], ['td', 'mc'] as const)),
    ...defined('tau', numberFlag('tau', flags.tau, { exclusiveMin: 0 })),
    ...defined('k', intFlag('k', flags.k, { min: 1, max: 64 })),
    ...defined('radius', flags.radius === 'auto' ? ('auto' as const) : numberFlag('radius', flags.radius, { exclusiveMin: 0 })),
    ...defined('steps', intFlag('steps', flags.steps, { min: 1, max: 1e9 })),
  };
  const kbSteps = intFlag('kb-steps', flags['kb-steps'], { min: 1, max: 50_000_000 }) ?? 20_000;
  const evalEpisodes = intFlag('eval-episodes', flags['eval-episodes'], { min: 1, max: 10_000 }) ?? 20;
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  if (backendName !== 'auto') await selectBackend(backendName); // a forced backend must load before anything is stored
  const { dir: teacherDir, bundle } = await teacherFlag(flags.teacher);
  try {
    const env = bundle.meta.env;
    if (!isEnvId(env)) throw new UsageError(`--teacher: the bundle is for unknown environment "${env}"`);
    let config: StudentConfig;
    try {
      config = resolveStudentConfig(settings, env, seed, 'distill flags');
      // A network too large for the memory is refused here, saying how much it needs, before anything is stored.
      checkNetworksFit([studentNetwork(config, '--student')], backendName);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    let kb: KnowledgeBase | undefined;
    if (typeof flags.kb === 'string') {
      try {
        kb = loadKnowledgeBaseFile(flags.kb).kb;
      } catch (err) {
        throw new UsageError(`--kb: ${(err as Error).message}`);
      }
      if (kb.meta.env !== env || kb.meta.observationSize !== bundle.network.spec.inputSize || kb.meta.actionCount !== bundle.network.spec.outputSize) {
        throw new UsageError(`--kb: the knowledge base is for ${kb.meta.env} (${kb.meta.observationSize} observations, ${kb.meta.actionCount} actions) but the teacher is for ${env} (${bundle.network.spec.inputSize}, ${bundle.network.spec.outputSize})`);
      }
    }
    const force = flags.force === true;
    const out = outputFolderFlag('out', (flags.out as string | undefined) ?? path.join('runs', 'students', `${env}-${student.join('x')}-seed${seed}-${timestamp()}`), { force, dbFile: dbPathFlag(flags.db) });

    const started = performance.now();
    const studio = openStudioFlag(flags.db, { poolSize: 1, backend: backendName });
    try {
      const name = `distill ${student.join('-')} ${config.method} ${config.mode} α=${config.alpha} seed ${seed}`;
      const created = studio.createRuns((db) => createDistillRuns(db, { teacher: bundle, source: teacherDir, student: config, evalEpisodes, kbSteps, ...(kb ? { knowledgeBase: kb } : {}), name }));
      const result = await runStandalone(studio, created, { io, label: `distill ${student.join('-')} s${seed}`, extra: (p) => `eval ${p.lastEval?.toFixed(1) ?? '-'}` });
      const teacherRun = studio.db.runs.get(created.teacherRunId!);
      const t = (teacherRun.summary ?? {}) as Record<string, unknown>;
      const { role: _role, env: _env, ...metrics } = result.summary;
      const summary: Record<string, unknown> = {
        command: 'distill',
        env,
        seed,
        backend: result.run.backend,
        student,
        alpha: config.alpha,
        alphaSchedule: config.alphaSchedule,
        softLoss: config.softLoss,
        hardLoss: config.hardLoss,
        tau: config.tau,
        method: config.method,
        mode: config.mode,
        radius: (result.summary.config as StudentConfig | undefined)?.radius ?? config.radius,
        steps: config.steps,
        kbSize: kb?.size ?? t.kbSize,
        ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v])),
        teacherEvalStd: typeof t.evalStd === 'number' ? round(t.evalStd) : null,
        distillSeconds: round(Number(result.summary.trainSeconds)),
        wallSeconds: round((performance.now() - started) / 1000),
        runId: result.run.id,
        teacherRunId: teacherRun.id,
        db: studio.db.file,
        model: saveBundle(out, result.model, { force, protect: [studio.db.file] }),
      };
      if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
      else {
        io.stdout(`student ${student.join('-')} (${summary.studentParams} params, ${((summary.paramRatio as number) * 100).toFixed(1)}% of the teacher): return ${(summary.evalMean as number).toFixed(1)} ± ${(summary.evalStd as number).toFixed(1)}, normalised score ${summary.normalizedScore === null || summary.normalizedScore === undefined ? 'n/a' : (summary.normalizedScore as number).toFixed(3)} (teacher ${(summary.teacherEvalMean as number).toFixed(1)})\n`);
        for (const w of (summary.warnings as string[] | undefined) ?? []) io.stdout(`warning: ${w}\n`);
        io.stdout(`agreement with the teacher on held-out states ${((summary.agreement as number) * 100).toFixed(1)}%, Q RMSE ${(summary.qRmse as number)?.toFixed(3)}; ${summary.wallSeconds} s\nmodel saved to ${summary.model}; run ${summary.runId} in ${summary.db}\n`);
      }
      return 0;
    } finally {
      await studio.close();
    }
  } finally {
    bundle.network.dispose();
  }
}

function defined<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}
