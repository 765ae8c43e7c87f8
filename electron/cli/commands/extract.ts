import path from 'node:path';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import { saveKnowledgeBaseFile } from '../../../core/kb/kb-file.ts';
import { knowledgeBaseStats } from '../../../core/kb/knowledge-base.ts';
import { isEnvId } from '../../../core/envs/index.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ProgressBar } from '../progress.ts';
import { numberFlag, round, teacherFlag, timestamp } from '../shared.ts';
import { dbPathFlag, openStudioFlag, outputFileFlag } from '../studio.ts';

export const usage = `Usage: distill-studio extract --teacher DIR --steps N --seed S [--epsilon E] [--out FILE] [--force] [--backend NAME] [--db FILE] [--json]
  --teacher  a teacher model bundle folder
  --steps    transitions to record
  --seed     seed of the rollout
  --epsilon  ε of the teacher's ε-greedy behaviour (default 0.05)
  --out      knowledge-base file (default runs/kb/<env>-seed<S>-<time>.dskb); an existing file is refused before
             the rollout unless --force, the open database always
  --force    replace an existing --out file
  --backend  ${BACKEND_NAMES.join(' | ')} | auto
  --db       database the knowledge base is also stored in (default: the app's; env DISTILL_DB)
  --json     print one JSON summary as the last stdout line`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    teacher: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    epsilon: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    backend: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  const steps = requireFlag('steps', intFlag('steps', flags.steps, { min: 1, max: 50_000_000 }));
  const seed = requireFlag('seed', intFlag('seed', flags.seed, { min: 0, max: 2 ** 31 - 1 }));
  const epsilon = numberFlag('epsilon', flags.epsilon, { min: 0, max: 1 }) ?? 0.05;
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const backend = await selectBackend(backendName);
  const { dir, bundle } = await teacherFlag(flags.teacher);
  const env = bundle.meta.env;
  if (!isEnvId(env)) throw new UsageError(`--teacher: the bundle is for unknown environment "${env}"`);
  const force = flags.force === true;
  const dbFile = dbPathFlag(flags.db);
  const out = outputFileFlag('out', (flags.out as string | undefined) ?? path.join('runs', 'kb', `${env}-seed${seed}-${timestamp()}.dskb`), { force, dbFile });
  // The database is checked (and opened) before the rollout: a bad --db must not cost the whole extraction.
  const studio = openStudioFlag(dbFile);
  let kbId: number;
  let file: string;
  let kb;
  let stats;
  const started = performance.now();
  try {
    const bar = new ProgressBar(`extract ${env}`);
    kb = extractKnowledge(bundle.network, { env, steps, seed, epsilon, teacherSource: dir, onProgress: (d, t) => bar.update(d, t, null) });
    bar.done();
    stats = knowledgeBaseStats(kb);
    file = saveKnowledgeBaseFile(out, kb, { force, protect: [studio.db.file] });
    kbId = studio.db.knowledgeBases.save(kb, stats).id;
  } finally {
    bundle.network.dispose();
    await studio.close();
  }
  const summary = {
    command: 'extract',
    env,
    seed,
    backend: backend.name,
    epsilon,
    size: kb.size,
    episodes: stats.episodes,
    meanEpisodeReturn: stats.meanEpisodeReturn,
    actionMix: stats.actionMix.map((x) => round(x, 4)),
    greedyFraction: round(stats.greedyFraction, 4),
    stateMean: stats.stateMean.map((x) => round(x, 4)),
    stateStd: stats.stateStd.map((x) => round(x, 4)),
    teacher: dir,
    wallSeconds: round((performance.now() - started) / 1000),
    kb: file,
    kbId,
  };
  if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`${kb.size} transitions from ${stats.episodes} complete episodes (mean return ${stats.meanEpisodeReturn.toFixed(1)}), action mix ${summary.actionMix.join(' / ')}\nknowledge base saved to ${file}\n`);
  return 0;
}
