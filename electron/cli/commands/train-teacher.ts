import path from 'node:path';
import { isEnvId, ENV_IDS } from '../../../core/envs/index.ts';
import { parseDqnConfig } from '../../../core/dqn/config.ts';
import { PRESET_NAMES, presetConfig, type PresetName } from '../../../core/dqn/presets.ts';
import { trainTeacher } from '../../../core/dqn/train-teacher.ts';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { encodeBundle, saveBundle } from '../../../core/nn/bundle.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import { ProgressBar } from '../progress.ts';
import { recordRun } from '../record.ts';
import type { CommandIo } from '../main.ts';

export const usage = `Usage: distill-studio train-teacher --env ID --seed N [--preset NAME] [--steps N] [--out DIR]
                                    [--eval-episodes N] [--backend NAME] [--db FILE] [--json]
  --env            ${ENV_IDS.join(' | ')}
  --seed           integer ≥ 0: seed of the whole run
  --preset         ${PRESET_NAMES.join(' | ')} (default: default, the project's 2-core preset)
  --steps          env steps to train (default: the preset's)
  --out            folder for the model bundle (default: runs/teachers/<env>-seed<seed>-<time>)
  --eval-episodes  greedy test episodes after training (default 20)
  --backend        ${BACKEND_NAMES.join(' | ')} | auto (default auto; env DISTILL_BACKEND)
  --db             database the run is stored in (default: the app's; env DISTILL_DB)
  --json           print one JSON summary as the last stdout line`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    env: { type: 'string' },
    seed: { type: 'string' },
    preset: { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string' },
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

  const base = presetConfig(env, preset);
  let config;
  try {
    config = parseDqnConfig({ ...base, env, seed, ...(steps !== undefined ? { totalSteps: steps } : {}) });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const out = path.resolve(
    (flags.out as string | undefined) ?? path.join('runs', 'teachers', `${env}-seed${seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );

  const backend = await selectBackend(backendName);
  const started = performance.now();
  const bar = new ProgressBar(`train ${env} s${seed}`);
  const log = (msg: string) => io.stderr(`${msg}\n`);
  if (!json) log(`backend ${backend.name}; preset ${preset}; ${config.totalSteps} env steps; network ${[config.hiddenSizes.join('-')]}`);
  const recorded = await recordRun(flags.db, { role: 'teacher', env, name: `train-teacher ${env} seed ${seed}`, config, seed, backend: backend.name }, async (onMetrics) => {
    const result = await trainTeacher(config, {
      onMetrics,
      onProgress: (p) =>
        bar.update(p.envSteps, p.totalSteps, p.etaSeconds, `ret ${p.recentReturn?.toFixed(1) ?? '-'} eval ${p.lastEval?.toFixed(1) ?? '-'}`),
    });
    bar.done();
    const evaluation = evaluatePolicy(env, (o, b) => result.network.act(o, b), episodeSeeds(evalEpisodes));
    const summary = {
      command: 'train-teacher',
      env,
      seed,
      preset,
      backend: backend.name,
      params: result.network.paramCount,
      hiddenSizes: config.hiddenSizes,
      envSteps: result.envSteps,
      gradientSteps: result.gradientSteps,
      trainSeconds: round(result.trainSeconds),
      wallSeconds: 0,
      thresholdStep: result.thresholdStep,
      thresholdSeconds: result.thresholdSeconds === null ? null : round(result.thresholdSeconds),
      selectedStep: result.selectedStep,
      evalEpisodes,
      evalMean: evaluation.mean,
      evalStd: round(evaluation.std),
      evalCi95: round(evaluation.ci95),
      microsecondsPerAction: round(evaluation.microsecondsPerAction),
      rewardThreshold: result.rewardThreshold,
      reachedThreshold: evaluation.mean >= result.rewardThreshold,
    };
    const model = encodeBundle(result.network, {
      env,
      backend: backend.name,
      training: { role: 'teacher', preset, config, envSteps: result.envSteps, gradientSteps: result.gradientSteps, evaluation: { mean: evaluation.mean, std: evaluation.std, ci95: evaluation.ci95, episodes: evalEpisodes } },
    });
    result.network.dispose();
    return { summary, model, evaluation: { ...evaluation, step: result.envSteps } };
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const summary = { ...recorded.result.summary, wallSeconds: round(wallSeconds), runId: recorded.runId, db: recorded.db, model: saveBundle(out, recorded.result.model) };
  const evaluation = { mean: Number(summary.evalMean), std: Number(summary.evalStd), ci95: Number(summary.evalCi95) };
  if (json) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout(`${env} seed ${seed}: greedy return ${evaluation.mean.toFixed(1)} ± ${evaluation.std.toFixed(1)} (95% CI ±${evaluation.ci95.toFixed(1)}, ${evalEpisodes} episodes)\n`);
    if (!summary.reachedThreshold) io.stdout(`below threshold: the test return is under ${env}'s reward threshold ${summary.rewardThreshold}; a student distilled from this teacher learns an unsolved policy\n`);
    io.stdout(`${summary.envSteps} env steps, ${summary.gradientSteps} updates, ${wallSeconds.toFixed(1)} s on ${backend.name}; ${summary.params} parameters\n`);
    io.stdout(`model saved to ${summary.model} and as run ${summary.runId} in ${summary.db}\n`);
  }
  return 0;
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
