/** `export-model RUN|model:ID --format F --out PATH`: a thin adapter over the service's exportModel. */
import { EXPORT_FORMATS } from '../../../core/io/export-model.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { ExportModelRequest, exportModel } from '../../service/model-io.ts';
import { UsageError, choiceFlag, intFlag, parseCommand, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio export-model RUN|model:ID --format onnx|tfjs|js|c --out PATH [--force]
                                   [--c-name NAME] [--check-states N] [--db FILE] [--json]
  RUN | run:RUN    a run id: its final model (a student, a baseline, a teacher)
  model:ID         a stored model (e.g. an imported teacher)
  --format         onnx  ONNX file (Gemm + Relu, opset 13) for onnxruntime and other ONNX runtimes
                   tfjs  folder in the tfjs layers format (model.json + weights.bin; tf.loadLayersModel)
                   js    one dependency-free ES module exporting act(obs) and q(obs), weights inlined
                   c     one C99 header: static const float weights, <name>_act(), <name>_q(), no allocation
  --out            file to write (a folder for tfjs); never replaced unless --force, never the open database
  --force          replace an existing file or folder
  --c-name         prefix of the C header's functions and macros (default distill)
  --check-states   knowledge-base states the written export is checked on (default 1000)
  --db             database (default: the app's; env DISTILL_DB)
  --json           print one JSON summary as the last stdout line
Every export is checked before it is moved into place: Q-values within 1e-5 (relative) of the tfjs model's
and the same greedy action on every checked state.`;

function target(raw: string): { runId: number } | { modelId: number } {
  const m = /^(?:(run|model):)?(\d+)$/.exec(raw.trim());
  if (!m || Number(m[2]) < 1) throw new UsageError(`RUN|model:ID must be a run id (12, run:12) or a model id (model:7), got "${raw}"`);
  return m[1] === 'model' ? { modelId: Number(m[2]) } : { runId: Number(m[2]) };
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { args, flags } = parseCommand(
    argv,
    { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, 'c-name': { type: 'string' }, 'check-states': { type: 'string' }, backend: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } },
    ['RUN|model:ID'],
  );
  const positional = args[0];
  const format = requireFlag('format', choiceFlag('format', flags.format, EXPORT_FORMATS));
  const out = requireFlag('out', flags.out as string | undefined);
  const request = { ...target(positional), format, out, force: flags.force === true, checkStates: intFlag('check-states', flags['check-states'], { min: 10, max: 100_000 }) ?? 1000, ...(typeof flags['c-name'] === 'string' ? { cName: flags['c-name'] } : {}) };
  const checked = ExportModelRequest.safeParse(request);
  if (!checked.success) throw new UsageError(checked.error.issues.map((i) => `--${i.path[0] === 'cName' ? 'c-name' : String(i.path[0])}: ${i.message}`).join('; '));
  await selectBackend(choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto');
  // It exports what is stored: a mistyped --db is an error, not a new empty database.
  const studio = openStudioFlag(flags.db, { create: false });
  const db = studio.db;
  try {
    const r = await exportModel(db, checked.data);
    if (flags.json === true) io.stdout(`${JSON.stringify({ command: 'export-model', db: db.file, ...r })}\n`);
    else {
      io.stdout(`model ${r.modelId}${r.runId !== null ? ` (run ${r.runId})` : ''} exported as ${r.format} to ${r.path} (${r.bytes} bytes)\n`);
      io.stdout(`checked on ${r.check.states} states from ${r.check.statesSource} with ${r.check.method}: max |ΔQ| ${r.check.maxAbsDiff.toExponential(2)} (relative ${r.check.maxRelDiff.toExponential(2)} ≤ ${r.check.tolerance}), greedy actions agree on ${r.check.actionsAgree}/${r.check.states}${r.check.nearTies ? ` (+${r.check.nearTies} float32 ties)` : ''}\n`);
    }
    return 0;
  } finally {
    await studio.close();
  }
}
