import path from 'node:path';
import { isEnvId, ENV_IDS } from '../../../core/envs/index.ts';
import { parseDqnConfig } from '../../../core/dqn/config.ts';
import { PRESET_NAMES, presetConfig, type PresetName } from '../../../core/dqn/presets.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { saveBundle } from '../../../core/nn/bundle.ts';
import { checkNetworksFit, createTeacherRun } from '../../service/runs.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ciText } from '../../service/views.ts';
import { round, timestamp } from '../shared.ts';
import { runStandalone } from '../standalone.ts';
import { dbPathFlag, openStudioFlag, outputFolderFlag } from '../studio.ts';

export const usage = `Usage: distill-studio train-teacher --env ID --seed N [--preset NAME] [--steps N] [--out DIR] [--force]
                                    [--eval-episodes N] [--backend NAME] [--db FILE] [--json]
  --env            ${ENV_IDS.join(' | ')}
  --seed           integer ≥ 0: seed of the whole run
  --preset         ${PRESET_NAMES.join(' | ')} (default: default, the project's 2-core preset)
  --steps          env steps to train (default: the preset's)
  --out            folder for the model bundle (default: runs/teachers/<env>-seed<seed>-<time>); a folder that is
                   not empty (a previous bundle too) or a file is refused before training unless --force
  --force          write the bundle into an existing folder (its three files are replaced, nothing else)
  --eval-episodes  greedy test episodes after training (default 20)
  --backend        ${BACKEND_NAMES.join(' | ')} | auto (default auto; env DISTILL_BACKEND)
  --db             database the run is stored in (default: the app's; env DISTILL_DB)
  --json           print one JSON summary as the last stdout line
  The run checkpoints as it trains: Ctrl-C stops it, and "distill-studio resume RUN" continues it.`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    env: { type: 'string' },
    seed: { type: 'string' },
    preset: { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    'eval-episodes': { type: 'string' },
    backend: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  const env = requireFlag('env', flags.env as string | undefined);
  if (!isEnvId(env)) throw new UsageError(`--env must be one of ${ENV_IDS.join(', ')}, got "${env}"`);
  const seed = requireFlag('seed', intFlag('seed', flags.seed, { min: 0, max: 2 ** 31 - 1 }));
  const preset: PresetName = choiceFlag('preset', flags.preset, PRESET_NAMES) ?? 'default';
  const steps = intFlag('steps', flags.steps, { min: 1, max: 1e9 });
  const evalEpisodes = intFlag('eval-episodes', flags['eval-episodes'], { min: 1, max: 10_000 }) ?? 20;
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const json = flags.json === true;

  let config;
  try {
    config = parseDqnConfig({ ...presetConfig(env, preset), env, seed, ...(steps !== undefined ? { totalSteps: steps } : {}) });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  try {
    checkNetworksFit([{ field: 'hiddenSizes', env, hiddenSizes: config.hiddenSizes, batchSize: config.batchSize, bufferSize: config.bufferSize }], backendName);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const dbFile = dbPathFlag(flags.db);
  const force = flags.force === true;
  // The output is checked before training, so that an hour of training does not end on "already exists".
  const out = outputFolderFlag('out', (flags.out as string | undefined) ?? path.join('runs', 'teachers', `${env}-seed${seed}-${timestamp()}`), { force, dbFile });
  // A forced backend must load here, before anything is stored (the workers then select the same one).
  if (backendName !== 'auto') await selectBackend(backendName);

  const started = performance.now();
  const studio = openStudioFlag(flags.db, { poolSize: 1, backend: backendName });
  try {
    const created = studio.createRuns((db) => createTeacherRun(db, { config, evalEpisodes, name: `train-teacher ${env} seed ${seed}` }));
    const result = await runStandalone(studio, created, {
      io,
      label: `train ${env} s${seed}`,
      onStarted: (backend) => !json && io.stderr(`backend ${backend}; preset ${preset}; ${config.totalSteps} env steps; network ${config.hiddenSizes.join('-')}; run ${created.runs[0].runId}\n`),
      extra: (p) => `ret ${p.recentReturn?.toFixed(1) ?? '-'} eval ${p.lastEval?.toFixed(1) ?? '-'}`,
    });
    const s = result.summary;
    // Training figures: at the top of the summary, or under `training` where the summary nests them.
    const t = (typeof s.training === 'object' && s.training !== null ? s.training : s) as Record<string, unknown>;
    const e = result.evaluation;
    const wallSeconds = (performance.now() - started) / 1000;
    const summary = {
      command: 'train-teacher',
      env,
      seed,
      preset,
      backend: result.run.backend,
      params: s.params,
      hiddenSizes: config.hiddenSizes,
      envSteps: t.envSteps,
      gradientSteps: t.gradientSteps,
      trainSeconds: round(Number(t.trainSeconds)),
      wallSeconds: round(wallSeconds),
      thresholdStep: t.thresholdStep,
      thresholdSeconds: typeof t.thresholdSeconds === 'number' ? round(t.thresholdSeconds) : null,
      selectedStep: t.selectedStep,
      evalEpisodes,
      evalMean: e.mean,
      evalStd: round(e.std),
      evalCi95: round(e.ci95),
      microsecondsPerAction: round(Number(e.extra?.microsecondsPerAction)),
      rewardThreshold: s.rewardThreshold,
      reachedThreshold: s.reachedThreshold,
      runId: result.run.id,
      db: studio.db.file,
      model: saveBundle(out, result.model, { force, protect: [studio.db.file] }),
    };
    if (json) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      io.stdout(`${env} seed ${seed}: greedy return ${e.mean.toFixed(1)} ± ${e.std.toFixed(1)} (${ciText(e.ci95, evalEpisodes)})\n`);
      if (s.reachedThreshold === false) io.stdout(`below threshold: the test return is under ${env}'s reward threshold ${s.rewardThreshold}; a student distilled from this teacher learns an unsolved policy\n`);
      io.stdout(`${summary.envSteps} env steps, ${summary.gradientSteps} updates, ${wallSeconds.toFixed(1)} s on ${summary.backend}; ${summary.params} parameters\n`);
      io.stdout(`model saved to ${summary.model} and as run ${summary.runId} in ${summary.db}\n`);
    }
    return 0;
  } finally {
    await studio.close();
  }
}
