import fs from 'node:fs';
import path from 'node:path';
import { parseStudentConfig, studentDefaults, type StudentConfig } from '../../../core/distill/config.ts';
import { evaluateRandomPolicy, reportStudent } from '../../../core/distill/report.ts';
import { trainStudent } from '../../../core/distill/train-student.ts';
import { isEnvId, type EnvId } from '../../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';
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

export const usage = `Usage: distill-studio distill --teacher DIR --student 16,16 --seed S [--alpha A] [--alpha-schedule constant|linear|adaptive]
         [--alpha-end A] [--soft-loss kl|mse|nll] [--hard-loss td|mc] [--tau T] [--source kb|teacher] [--mode offline|online]
         [--kb FILE] [--kb-steps N] [--k K] [--radius R] [--steps N] [--eval-episodes N] [--out DIR] [--backend NAME] [--db FILE] [--json]
  --teacher         teacher model bundle folder
  --student         hidden layer widths of the student, e.g. 16,16
  --alpha           weight of L_hard in α·L_hard + (1−α)·L_soft, in [0, 1] (default 0: pure distillation)
  --alpha-schedule  constant (default) | linear (alpha → alpha-end) | adaptive (QDagger)
  --soft-loss       kl (default) | mse | nll;  --tau  softmax temperature > 0 (default 0.01)
  --hard-loss       td (default) | mc (offline only)
  --source          kb (default: retrieval from the knowledge base) | teacher (live teacher)
  --mode            offline (default: KB minibatches) | online (the student acts in the env)
  --kb              knowledge-base file from \`extract\`; without it one is extracted (--kb-steps, default 20000, ε 0.05)
  --k, --radius     retrieval neighbours (default 1) and radius in standardised units (default: none)
  --steps           gradient updates (offline, default 10000) or env steps (online, default 30000)
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
    source: { type: 'string' },
    mode: { type: 'string' },
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
  const mode = choiceFlag('mode', flags.mode, ['offline', 'online'] as const) ?? 'offline';
  const overrides: Partial<StudentConfig> = {
    hiddenSizes: student,
    mode,
    ...defined('alpha', numberFlag('alpha', flags.alpha, { min: 0, max: 1 })),
    ...defined('alphaSchedule', choiceFlag('alpha-schedule', flags['alpha-schedule'], ['constant', 'linear', 'adaptive'] as const)),
    ...defined('alphaEnd', numberFlag('alpha-end', flags['alpha-end'], { min: 0, max: 1 })),
    ...defined('softLoss', choiceFlag('soft-loss', flags['soft-loss'], ['kl', 'mse', 'nll'] as const)),
    ...defined('hardLoss', choiceFlag('hard-loss', flags['hard-loss'], ['td', 'mc'] as const)),
    ...defined('tau', numberFlag('tau', flags.tau, { exclusiveMin: 0 })),
    ...defined('source', choiceFlag('source', flags.source, ['kb', 'teacher'] as const)),
    ...defined('k', intFlag('k', flags.k, { min: 1, max: 64 })),
    ...defined('radius', numberFlag('radius', flags.radius, { exclusiveMin: 0 })),
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
    config = parseStudentConfig({ ...studentDefaults(env, mode), ...overrides, env, seed });
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

  const recorded = await recordRun(flags.db, { role: 'student', env, name: `distill ${student.join('-')} ${config.mode} ${config.source} α=${config.alpha} seed ${seed}`, config, seed, backend: backend.name }, (onMetrics) =>
    distill({ env, config, teacher: bundle, teacherDir, kb, kbSteps, evalEpisodes, backend: backend.name, onMetrics }),
  );
  const summary: DistillSummary = { ...recorded.result.summary, runId: recorded.runId, db: recorded.db, model: saveBundle(out, recorded.result.model) };
  bundle.network.dispose();
  if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout(`student ${student.join('-')} (${summary.studentParams} params, ${((summary.paramRatio as number) * 100).toFixed(1)}% of the teacher): return ${(summary.evalMean as number).toFixed(1)} ± ${(summary.evalStd as number).toFixed(1)}, normalised score ${(summary.normalizedScore as number).toFixed(3)} (teacher ${(summary.teacherEvalMean as number).toFixed(1)})\n`);
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
  const kb = args.kb ?? extractKnowledge(args.teacher.network, { env, steps: args.kbSteps, seed: config.seed, epsilon: 0.05, teacherSource: args.teacherDir });
  const distillStart = performance.now();
  const bar = new ProgressBar(`distill ${config.hiddenSizes.join('-')} s${config.seed}`);
  const result = await trainStudent(
    { config, teacher: args.teacher.network, kb, teacherReturn: teacherEval.mean, randomReturn: randomEval.mean },
    { ...(args.onMetrics ? { onMetrics: args.onMetrics } : {}), onProgress: (p) => bar.update(p.envSteps, p.totalSteps, p.etaSeconds, `eval ${p.lastEval?.toFixed(1) ?? '-'}`) },
  );
  bar.done();
  const distillSeconds = (performance.now() - distillStart) / 1000;
  const report = reportStudent({
    env,
    student: result.network,
    seeds,
    teacherReturn: teacherEval.mean,
    randomReturn: randomEval.mean,
    teacherParams: args.teacher.network.paramCount,
    kb,
    heldOutRows: result.heldOutRows,
  });
  const { evaluation, ...metrics } = report;
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
    source: config.source,
    mode: config.mode,
    steps: config.steps,
    kbSize: kb.size,
    ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v])),
    teacherEvalStd: round(teacherEval.std),
    envSteps: result.envSteps,
    gradientSteps: result.gradientSteps,
    selectedStep: result.selectedStep,
    thresholdStep: result.thresholdStep,
    thresholdSeconds: result.thresholdSeconds === null ? null : round(result.thresholdSeconds),
    distillSeconds: round(distillSeconds),
    wallSeconds: round((performance.now() - started) / 1000),
  };
  const bundle = encodeBundle(result.network, {
    env,
    backend: args.backend,
    training: { role: 'student', teacher: args.teacherDir, config, evaluation: { mean: evaluation.mean, std: evaluation.std, ci95: evaluation.ci95, episodes: args.evalEpisodes }, normalizedScore: report.normalizedScore },
  });
  result.network.dispose();
  return { summary, model: bundle, evaluation: { ...evaluation, step: config.steps, extra: metrics as unknown as Record<string, unknown> } };
}
