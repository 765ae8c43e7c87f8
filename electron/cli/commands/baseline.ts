import path from 'node:path';
import { baselineConfig } from '../../../core/experiment/plan.ts';
import { ENV_IDS, isEnvId } from '../../../core/envs/index.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { saveBundle } from '../../../core/nn/bundle.ts';
import { checkNetworksFit, createBaselineRuns } from '../../service/runs.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { numberFlag, round, sizesFlag, teacherFlag, timestamp } from '../shared.ts';
import { runStandalone } from '../standalone.ts';
import { dbPathFlag, openStudioFlag, outputFolderFlag } from '../studio.ts';

export const usage = `Usage: distill-studio baseline --env ID --student 16,16 --steps N --seed S [--teacher DIR] [--teacher-return G]
         [--eval-episodes N] [--out DIR] [--force] [--backend NAME] [--db FILE] [--json]
  The student architecture trained from scratch by plain DQN (the env's default preset) on N env steps.
  --teacher / --teacher-return  what the normalised score is relative to (a bundle is evaluated on the same seeds)
  --out    model bundle folder (default runs/baselines/<env>-<sizes>-seed<S>-<time>); a folder that is not empty or
           a file is refused before training unless --force (then the bundle's three files are written into it)
  The run checkpoints as it trains: Ctrl-C stops it, and "distill-studio resume RUN" continues it.`;

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
    force: { type: 'boolean' },
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
  const teacherReturn = numberFlag('teacher-return', flags['teacher-return'], {}) ?? null;
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  if (backendName !== 'auto') await selectBackend(backendName); // a forced backend must load before anything is stored
  const teacher = flags.teacher !== undefined ? await teacherFlag(flags.teacher) : null;
  try {
    if (teacher && teacher.bundle.meta.env !== env) throw new UsageError(`--teacher: the bundle is for ${teacher.bundle.meta.env}, not ${env}`);
    let config;
    try {
      config = baselineConfig(env, student, steps, seed);
      checkNetworksFit([{ field: '--student', env, hiddenSizes: config.hiddenSizes, batchSize: config.batchSize, bufferSize: config.bufferSize }], backendName);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const force = flags.force === true;
    const out = outputFolderFlag('out', (flags.out as string | undefined) ?? path.join('runs', 'baselines', `${env}-${student.join('x')}-seed${seed}-${timestamp()}`), { force, dbFile: dbPathFlag(flags.db) });
    const started = performance.now();
    const studio = openStudioFlag(flags.db, { poolSize: 1, backend: backendName });
    try {
      const created = studio.createRuns((db) =>
        createBaselineRuns(db, { config, teacher: teacher ? { bundle: teacher.bundle, source: teacher.dir } : null, teacherReturn, evalEpisodes, name: `baseline ${student.join('-')} seed ${seed}` }),
      );
      const result = await runStandalone(studio, created, { io, label: `baseline ${student.join('-')} s${seed}`, extra: (p) => `eval ${p.lastEval?.toFixed(1) ?? '-'}` });
      const s = result.summary;
      const num = (v: unknown, digits = 3) => (typeof v === 'number' ? round(v, digits) : null);
      const summary = {
        command: 'baseline',
        env,
        seed,
        backend: result.run.backend,
        student,
        studentParams: s.studentParams,
        teacherParams: s.teacherParams ?? null,
        paramRatio: num(s.paramRatio, 4),
        evalMean: s.evalMean as number,
        evalStd: num(s.evalStd)!,
        evalCi95: num(s.evalCi95),
        evalEpisodes,
        teacherEvalMean: s.teacherEvalMean ?? null,
        randomEvalMean: s.randomEvalMean ?? null,
        normalizedScore: num(s.normalizedScore, 4),
        warnings: Array.isArray(s.warnings) ? s.warnings : [],
        microsecondsPerAction: num(s.microsecondsPerAction),
        envSteps: s.envSteps,
        gradientSteps: s.gradientSteps,
        wallSeconds: round((performance.now() - started) / 1000),
        runId: result.run.id,
        db: studio.db.file,
        model: saveBundle(out, result.model, { force, protect: [studio.db.file] }),
      };
      if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
      else io.stdout(`baseline ${student.join('-')} (${summary.studentParams} params) from scratch on ${steps} env steps: return ${summary.evalMean.toFixed(1)} ± ${summary.evalStd.toFixed(1)}${summary.normalizedScore === null ? '' : `, normalised score ${summary.normalizedScore.toFixed(3)}`}\nmodel saved to ${summary.model}; run ${summary.runId} in ${summary.db}\n`);
      return 0;
    } finally {
      await studio.close();
    }
  } finally {
    teacher?.bundle.network.dispose();
  }
}
