import fs from 'node:fs';
import path from 'node:path';
import { episodeSeeds, evaluatePolicy } from '../../../core/eval/evaluate.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { loadBundle } from '../../../core/nn/bundle.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ciText } from '../../service/views.ts';
import { round } from '../shared.ts';

export const usage = `Usage: distill-studio eval --model DIR [--episodes N] [--backend NAME] [--json]
  --model     a model bundle folder (as train-teacher writes)
  --episodes  greedy episodes on the fixed test seeds (default 20)
  --backend   ${BACKEND_NAMES.join(' | ')} | auto
  --json      print one JSON summary as the last stdout line`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    model: { type: 'string' },
    episodes: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const modelDir = path.resolve(requireFlag('model', flags.model as string | undefined));
  if (!fs.existsSync(modelDir) || !fs.statSync(modelDir).isDirectory()) throw new UsageError(`--model: no bundle folder at ${modelDir}`);
  const episodes = intFlag('episodes', flags.episodes, { min: 1, max: 10_000 }) ?? 20;
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const backend = await selectBackend(backendName);
  const started = performance.now();
  const { network, meta } = loadBundle(modelDir);
  const evaluation = evaluatePolicy(meta.env, (o, b) => network.act(o, b), episodeSeeds(episodes));
  const wallSeconds = (performance.now() - started) / 1000;
  const training = (meta.training ?? {}) as { config?: { seed?: number } };
  const summary = {
    command: 'eval',
    env: meta.env,
    seed: training.config?.seed ?? null,
    backend: backend.name,
    params: network.paramCount,
    hiddenSizes: meta.hiddenSizes,
    envSteps: evaluation.lengths.reduce((a, b) => a + b, 0),
    wallSeconds: round(wallSeconds),
    evalEpisodes: episodes,
    evalMean: evaluation.mean,
    evalStd: round(evaluation.std),
    evalCi95: round(evaluation.ci95),
    microsecondsPerAction: round(evaluation.microsecondsPerAction),
    model: modelDir,
  };
  network.dispose();
  if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`${meta.env}: greedy return ${evaluation.mean.toFixed(1)} ± ${evaluation.std.toFixed(1)} (${ciText(evaluation.ci95, episodes)}) with ${summary.params} parameters\n`);
  return 0;
}
