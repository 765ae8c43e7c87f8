/** `import-teacher FILE --env ENV`: a thin adapter over the service's importTeacher. */
import { ENV_IDS } from '../../../core/envs/index.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { ImportTeacherRequest, importTeacher } from '../../service/model-io.ts';
import { UsageError, choiceFlag, intFlag, parseCommand } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { ciText } from '../../service/views.ts';
import { openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio import-teacher FILE --env ID [--eval-episodes N] [--backend NAME] [--db FILE] [--json]
  FILE             a DQN teacher trained elsewhere: a Stable-Baselines3 .zip, a torch.save state dict
                   (CleanRL's QNetwork, an nn.Sequential: .pt/.pth/.cleanrl_model), a .safetensors file, or an
                   .onnx model (one float input [batch, observations], one output [batch, actions])
  --env            ${ENV_IDS.join(' | ')}: the environment it was trained on (spaces are checked)
  --eval-episodes  greedy test episodes it is evaluated on before it is stored (default 20)
  --backend        ${BACKEND_NAMES.join(' | ')} | auto (tfjs backend for MLP teachers)
  --db             database it is stored in (default: the app's; env DISTILL_DB)
  --json           print one JSON summary as the last stdout line
The teacher is stored as a model (kind "imported") with its source; an experiment uses it with
"teacher": { "modelId": N }. Importing the same file (or the same weights) twice is refused.`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand(argv, { env: { type: 'string' }, 'eval-episodes': { type: 'string' }, backend: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, ['FILE']);
  const positional = args[0];
  const request = { file: positional, env: flags.env, evalEpisodes: intFlag('eval-episodes', flags['eval-episodes'], { min: 1, max: 1000 }) ?? 20 };
  const checked = ImportTeacherRequest.safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = issue.path[0] === 'evalEpisodes' ? 'eval-episodes' : String(issue.path[0]);
    throw new UsageError(flag === 'env' ? `--env must be one of ${ENV_IDS.join(', ')}, got ${JSON.stringify(flags.env ?? null)}` : `--${flag}: ${issue.message}`);
  }
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const backend = await selectBackend(backendName);
  const studio = openStudioFlag(flags.db);
  const db = studio.db;
  try {
    const r = await importTeacher(db, checked.data);
    const summary = { command: 'import-teacher', db: db.file, backend: r.runtime === 'tfjs' ? backend.name : 'onnxruntime', ...r, evaluation: { ...r.evaluation, returns: undefined }, randomEvaluation: { mean: r.randomEvaluation.mean } };
    if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      io.stdout(`imported ${r.source.fileName} (${r.source.format}, ${r.network}, ${r.params} parameters, runs on ${r.runtime}) as model ${r.modelId} in ${db.file}\n`);
      io.stdout(`${r.env}: greedy return ${r.evaluation.mean.toFixed(1)} ± ${r.evaluation.std.toFixed(1)} (${ciText(r.evaluation.ci95, r.evaluation.episodes)} on the test seeds; random policy ${r.randomEvaluation.mean.toFixed(1)})\n`);
      io.stdout(`use it in an experiment with "teacher": { "modelId": ${r.modelId} }\n`);
    }
    return 0;
  } finally {
    await studio.close();
  }
}
