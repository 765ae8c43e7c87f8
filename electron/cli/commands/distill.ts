import fs from 'node:fs';
import path from 'node:path';
import { resolveStudentConfig, type StudentConfig, type StudentSettings } from '../../../core/distill/config.ts';
import { evaluateRandomPolicy, reportStudent } from '../../../core/distill/report.ts';
import { trainStudent } from '../../../core/distill/train-student.ts';
import { isEnvId, type EnvId } from '../../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';
import { scoreScale } from '../../../core/eval/score.ts';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import { loadKnowledgeBaseFile } from '../../../core/kb/kb-file.ts';
import type { KnowledgeBase } from '../../../core/kb/knowledge-base.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { encodeBundle, saveBundle } from '../../../core/nn/bundle.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ProgressBar } from '../progress.ts';
import { recordRun, type RecordedResult } from '../record.ts';
import type { MetricPoint } from '../../../core/dqn/train-teacher.ts';
import { numberFlag, sizesFlag, teacherFlag, timestamp } from '../shared.ts';
import { round } from './train-teacher.ts';

export const usage = `Usage: distill-studio distill --teacher DIR --student 16,16 --seed S [--method supervised|retrieval|teacher] [--mode offline|online]
         [--alpha A] [--alpha-schedule constant|linear|adaptive] [--alpha-end A] [--soft-loss kl|kl-two-sided|mse|nll] [--tau T]
         [--hard-loss td|mc] [--hard-error huber|mse] [--max-grad-norm G] [--kb FILE] [--kb-steps N] [--k K] [--radius R|auto]
         [--steps N] [--eval-episodes N] [--out DIR] [--backend NAME] [--db FILE] [--json]
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
  --out             student bundle folder (default runs/students/<env>-<sizes>-seed<S>-<time>)
  --db              database the run is stored in (default: the app's; env DISTILL_DB)`;

export interface DistillSummary {
  [key: string]: unknown;
}

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
  const backend = await selectBackend(backendName); // before loading any network
  const { dir: teacherDir, bundle } = teacherFlag(flags.teacher);
  const env = bundle.meta.env;
  if (!isEnvId(env)) throw new UsageError(`--teacher: the bundle is for unknown environment "${env}"`);
  let config: StudentConfig;
  try {
    config = resolveStudentConfig(settings, env, seed, 'distill flags');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let kb: KnowledgeBase | null = null;
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
  const out = path.resolve((flags.out as string | undefined) ?? path.join('runs', 'students', `${env}-${student.join('x')}-seed${seed}-${timestamp()}`));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UsageError(`--out: ${out} exists and is not a folder`);

  const recorded = await recordRun(flags.db, { role: 'student', env, name: `distill ${student.join('-')} ${config.method} ${config.mode} α=${config.alpha} seed ${seed}`, config, seed, backend: backend.name }, (onMetrics) =>
    distill({ env, config, teacher: bundle, teacherDir, kb, kbSteps, evalEpisodes, backend: backend.name, onMetrics }),
  );
  const summary: DistillSummary = { ...recorded.result.summary, runId: recorded.runId, db: recorded.db, model: saveBundle(out, recorded.result.model) };
  bundle.network.dispose();
  if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout(`student ${student.join('-')} (${summary.studentParams} params, ${((summary.paramRatio as number) * 100).toFixed(1)}% of the teacher): return ${(summary.evalMean as number).toFixed(1)} ± ${(summary.evalStd as number).toFixed(1)}, normalised score ${summary.normalizedScore === null ? 'n/a' : (summary.normalizedScore as number).toFixed(3)} (teacher ${(summary.teacherEvalMean as number).toFixed(1)})\n`);
    for (const w of summary.warnings as string[]) io.stdout(`warning: ${w}\n`);
    io.stdout(`agreement with the teacher on held-out states ${((summary.agreement as number) * 100).toFixed(1)}%, Q RMSE ${(summary.qRmse as number)?.toFixed(3)}; ${summary.wallSeconds} s\nmodel saved to ${summary.model}\n`);
  }
  return 0;
}

function defined<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

/** Teacher evaluation → KB (given or extracted) → student → report → bundle. */
export async function distill(args: {
  env: EnvId;
  config: StudentConfig;
  teacher: { network: import('../../../core/nn/q-network.ts').QNetwork };
  teacherDir: string;
  kb: KnowledgeBase | null;
  kbSteps: number;
  evalEpisodes: number;
  backend: string;
  onMetrics?: (points: MetricPoint[]) => void;
}): Promise<RecordedResult<DistillSummary>> {
  const { env, config } = args;
  const started = performance.now();
  const seeds = episodeSeeds(args.evalEpisodes);
  const teacherEval = evaluatePolicy(env, (o, b) => args.teacher.network.act(o, b), seeds);
  const randomEval = evaluateRandomPolicy(env, seeds);
  const scale = scoreScale(env, teacherEval.mean, randomEval.mean);
  const kb = args.kb ?? extractKnowledge(args.teacher.network, { env, steps: args.kbSteps, seed: config.seed, epsilon: 0.05, teacherSource: args.teacherDir });
  const distillStart = performance.now();
  const bar = new ProgressBar(`distill ${config.hiddenSizes.join('-')} s${config.seed}`);
  const result = await trainStudent(
    { config, teacher: args.teacher.network, kb, teacherReturn: teacherEval.mean, randomReturn: randomEval.mean },
    { ...(args.onMetrics ? { onMetrics: args.onMetrics } : {}), onProgress: (p) => bar.update(p.envSteps, p.totalSteps, p.etaSeconds, `eval ${p.lastEval?.toFixed(1) ?? '-'}`) },
  );
  bar.done();
  const distillSeconds = (performance.now() - distillStart) / 1000;
  const evaluation = evaluatePolicy(env, (o, b) => result.network.act(o, b), seeds);
  const report = reportStudent({
    student: result.network,
    evaluation,
    scale,
    teacherParams: args.teacher.network.paramCount,
    kb,
    heldOutRows: result.heldOutRows,
  });
  const metrics = report;
  const summary: DistillSummary = {
    command: 'distill',
    env,
    seed: config.seed,
    backend: args.backend,
    student: config.hiddenSizes,
    alpha: config.alpha,
    alphaSchedule: config.alphaSchedule,
    softLoss: config.softLoss,
    hardLoss: config.hardLoss,
    tau: config.tau,
    method: config.method,
    mode: config.mode,
    radius: result.config.radius,
    retrieval: result.retrieval,
    steps: config.steps,
    kbSize: kb.size,
    ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v])),
    teacherEvalStd: round(teacherEval.std),
    warnings: scale.warnings,
    envSteps: result.envSteps,
    gradientSteps: result.gradientSteps,
    selectedStep: result.selectedStep,
    distillSeconds: round(distillSeconds),
    wallSeconds: round((performance.now() - started) / 1000),
  };
  const bundle = encodeBundle(result.network, {
    env,
    backend: args.backend,
    training: { role: 'student', teacher: args.teacherDir, config: result.config, evaluation: { mean: evaluation.mean, std: evaluation.std, ci95: evaluation.ci95, episodes: args.evalEpisodes }, normalizedScore: report.normalizedScore },
  });
  result.network.dispose();
  return { summary, model: bundle, evaluation: { ...evaluation, step: config.steps, extra: metrics as unknown as Record<string, unknown> } };
}
