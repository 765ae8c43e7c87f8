/**
 * Live validation of an experiment spec for the designer and the CLI: the spec schema's field issues, the
 * teacher reference (a stored model id or a bundle folder) checked against the database and the disk, and the
 * planned runs with their parameter counts and compression ratios.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ENV_SPECS } from '../../core/envs/index.ts';
import { planExperiment } from '../../core/experiment/plan.ts';
import { parseExperimentSpec, SpecError, type ExperimentSpec } from '../../core/experiment/spec.ts';
import { paramCount } from '../../core/nn/q-network.ts';
import { NotFoundError, type StudioDb } from '../../db/index.ts';
import type { FieldIssue, PlannedRunView, Validation } from '../api/contract.ts';
import { checkNetworksFit, plannedNetworks } from './runs.ts';

const networkParams = (env: ExperimentSpec['env'], hiddenSizes: readonly number[]) =>
  paramCount({ inputSize: ENV_SPECS[env].observationSize, hiddenSizes: [...hiddenSizes], outputSize: ENV_SPECS[env].actionCount });

/** The teacher's env and size, or an issue naming the field. */
function teacherInfo(db: StudioDb, spec: ExperimentSpec, specDir: string): { params: number | null; hiddenSizes: number[] } | FieldIssue {
  if ('train' in spec.teacher) {
    const plan = planExperiment(spec);
    const sizes = plan.teacher.config!.hiddenSizes;
    return { params: networkParams(spec.env, sizes), hiddenSizes: sizes };
  }
  let meta: { env?: unknown; paramCount?: unknown; hiddenSizes?: unknown };
  let field: string;
  if ('modelId' in spec.teacher) {
    field = 'teacher.modelId';
    try {
      meta = db.models.get(spec.teacher.modelId).meta;
    } catch (err) {
      if (err instanceof NotFoundError) return { path: field, message: `no stored model with id ${spec.teacher.modelId}` };
      throw err;
    }
  } else {
    field = 'teacher.model';
    const dir = path.resolve(specDir, spec.teacher.model);
    const file = path.join(dir, 'meta.json');
    if (!fs.existsSync(file)) return { path: field, message: `${dir} is not a model bundle folder (no meta.json)` };
    try {
      meta = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      return { path: field, message: `${file}: corrupt JSON (${(err as Error).message})` };
    }
  }
  if (meta.env !== spec.env) return { path: field, message: `the model is for ${String(meta.env)}, the experiment for ${spec.env}` };
  return { params: typeof meta.paramCount === 'number' ? meta.paramCount : null, hiddenSizes: Array.isArray(meta.hiddenSizes) ? (meta.hiddenSizes as number[]) : [] };
}

export function validateSpec(db: StudioDb, input: unknown, specDir = process.cwd()): Validation {
  let spec: ExperimentSpec;
  try {
    spec = parseExperimentSpec(input);
  } catch (err) {
    if (err instanceof SpecError) return { ok: false, issues: err.issues };
    throw err;
  }
  let plan;
  try {
    plan = planExperiment(spec);
  } catch (err) {
    return { ok: false, issues: [{ path: '(root)', message: (err as Error).message }] };
  }
  // Networks too large to train are refused here, with the memory they need, not by a run that fails later.
  const tooLarge: FieldIssue[] = [];
  for (const n of plannedNetworks(spec)) {
    try {
      checkNetworksFit([n]);
    } catch (err) {
      tooLarge.push({ path: n.field, message: (err as Error).message.replace(`${n.field}: `, '') });
    }
  }
  if (tooLarge.length > 0) return { ok: false, issues: tooLarge };
  const teacher = teacherInfo(db, spec, specDir);
  if ('path' in teacher) return { ok: false, issues: [teacher] };
  const ratio = (params: number) => (teacher.params ? params / teacher.params : null);
  const runs: PlannedRunView[] = [
    { role: 'teacher', name: 'teacher', hiddenSizes: teacher.hiddenSizes, params: teacher.params ?? 0, paramRatio: teacher.params ? 1 : null, seed: plan.teacher.seed },
    ...plan.students.map((s) => ({ role: 'student' as const, name: s.name, hiddenSizes: s.config.hiddenSizes, params: networkParams(spec.env, s.config.hiddenSizes), paramRatio: ratio(networkParams(spec.env, s.config.hiddenSizes)), seed: s.config.seed })),
    ...plan.baselines.map((b) => ({ role: 'baseline' as const, name: b.name, hiddenSizes: b.config.hiddenSizes, params: networkParams(spec.env, b.config.hiddenSizes), paramRatio: ratio(networkParams(spec.env, b.config.hiddenSizes)), seed: b.config.seed })),
  ];
  const warnings: FieldIssue[] = [];
  spec.students.forEach((s, i) => {
    const p = networkParams(spec.env, s.hiddenSizes);
    if (teacher.params !== null && p >= teacher.params) warnings.push({ path: `students.${i}.hiddenSizes`, message: `this student (${p} parameters) is not smaller than the teacher (${teacher.params})` });
  });
  return { ok: true, spec, plan: { teacherParams: teacher.params, runs }, warnings };
}
