import path from 'node:path';
import { baselineConfig } from '../../../core/experiment/plan.ts';
import { trainTeacher } from '../../../core/dqn/train-teacher.ts';
import { evaluateRandomPolicy, measureActionLatency } from '../../../core/distill/report.ts';
import { scoreOn, scoreScale } from '../../../core/eval/score.ts';
import { ENV_IDS, isEnvId } from '../../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { encodeBundle, saveBundle } from '../../../core/nn/bundle.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ProgressBar } from '../progress.ts';
import { recordRun } from '../record.ts';
import { numberFlag, sizesFlag, teacherFlag, timestamp } from '../shared.ts';
import { round } from './train-teacher.ts';

export const usage = `Usage: distill-studio baseline --env ID --student 16,16 --steps N --seed S [--teacher DIR] [--teacher-return G]
         [--eval-episodes N] [--out DIR] [--backend NAME] [--db FILE] [--json]
  The student architecture trained from scratch by plain DQN (the env's default preset) on N env steps.
  --teacher / --teacher-return  what the normalised score is relative to (a bundle is evaluated on the same seeds)`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    env: { type: 'string' },
    student: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    teacher: { type: 'string' },
    'teacher-return': { type: 'string' },
    'eval-episodes': { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  const env = requireFlag('env', flags.env as string | undefined);
  if (!isEnvId(env)) throw new UsageError(`--env must be one of ${ENV_IDS.join(', ')}, got "${env}"`);
  const student = sizesFlag('student', requireFlag('student', flags.student as string | undefined));
  const steps = requireFlag('steps', intFlag('steps', flags.steps, { min: 1, max: 1e9 }));
  const seed = requireFlag('seed', intFlag('seed', flags.seed, { min: 0, max: 2 ** 31 - 1 }));
  const evalEpisodes = intFlag('eval-episodes', flags['eval-episodes'], { min: 1, max: 10_000 }) ?? 20;
  const teacherReturnFlag = numberFlag('teacher-return', flags['teacher-return'], {});
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const backend = await selectBackend(backendName); // before loading any network
  const teacher = flags.teacher !== undefined ? teacherFlag(flags.teacher) : null;
  if (teacher && teacher.bundle.meta.env !== env) throw new UsageError(`--teacher: the bundle is for ${teacher.bundle.meta.env}, not ${env}`);
  let config;
  try {
    config = baselineConfig(env, student, steps, seed);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const out = path.resolve((flags.out as string | undefined) ?? path.join('runs', 'baselines', `${env}-${student.join('x')}-seed${seed}-${timestamp()}`));
  const started = performance.now();
  const bar = new ProgressBar(`baseline ${student.join('-')} s${seed}`);
  const recorded = await recordRun(flags.db, { role: 'baseline', env, name: `baseline ${student.join('-')} seed ${seed}`, config, seed, backend: backend.name }, async (onMetrics) => {
    const result = await trainTeacher(config, { onMetrics, onProgress: (p) => bar.update(p.envSteps, p.totalSteps, p.etaSeconds, `eval ${p.lastEval?.toFixed(1) ?? '-'}`) });
    bar.done();
    const seeds = episodeSeeds(evalEpisodes);
    const evaluation = evaluatePolicy(env, (o, b) => result.network.act(o, b), seeds);
    const randomEval = evaluateRandomPolicy(env, seeds);
    const teacherReturn = teacher ? evaluatePolicy(env, (o, b) => teacher.bundle.network.act(o, b), seeds).mean : teacherReturnFlag ?? null;
    const summary = {
      command: 'baseline',
      env,
      seed,
      backend: backend.name,
      student,
      studentParams: result.network.paramCount,
      teacherParams: teacher?.bundle.network.paramCount ?? null,
      paramRatio: teacher ? round(result.network.paramCount / teacher.bundle.network.paramCount, 4) : null,
      evalMean: evaluation.mean,
      evalStd: round(evaluation.std),
      evalCi95: round(evaluation.ci95),
      evalEpisodes,
      teacherEvalMean: teacherReturn,
      randomEvalMean: randomEval.mean,
      normalizedScore: teacherReturn === null ? null : roundOrNull(scoreOn(scoreScale(env, teacherReturn, randomEval.mean), evaluation.mean)),
      warnings: teacherReturn === null ? [] : scoreScale(env, teacherReturn, randomEval.mean).warnings,
      microsecondsPerAction: round(measureActionLatency(result.network)),
      envSteps: result.envSteps,
      gradientSteps: result.gradientSteps,
      wallSeconds: round((performance.now() - started) / 1000),
    };
    const model = encodeBundle(result.network, { env, backend: backend.name, training: { role: 'baseline', config } });
    result.network.dispose();
    return { summary, model, evaluation: { ...evaluation, step: result.envSteps } };
  });
  teacher?.bundle.network.dispose();
  const summary = { ...recorded.result.summary, runId: recorded.runId, db: recorded.db, model: saveBundle(out, recorded.result.model) };
  const evaluation = { mean: summary.evalMean, std: summary.evalStd };
  if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`baseline ${student.join('-')} (${summary.studentParams} params) from scratch on ${steps} env steps: return ${evaluation.mean.toFixed(1)} ± ${evaluation.std.toFixed(1)}${summary.normalizedScore === null ? '' : `, normalised score ${summary.normalizedScore.toFixed(3)}`}\nmodel saved to ${summary.model}\n`);
  return 0;
}

function roundOrNull(x: number | null): number | null {
  return x === null ? null : round(x, 4);
}
