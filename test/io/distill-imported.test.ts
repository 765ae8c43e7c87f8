import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnv } from '../../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../../core/eval/evaluate.ts';
import { runJob } from '../../core/experiment/jobs.ts';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { findCCompiler } from '../../core/io/c-compiler.ts';
import { decodeQNetwork } from '../../core/io/stored-model.ts';
import { openDatabase, type StudioDb } from '../../db/index.ts';
import { jobStoreFor } from '../../electron/jobs/db-store.ts';
import { exportModel, importTeacher } from '../../electron/service/model-io.ts';
import { createExperimentRuns, jobOf } from '../../electron/service/runs.ts';
import { useBackend } from '../helpers.ts';
import { fixture } from './fixtures.ts';

const backend = await useBackend();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-imported-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const HARNESS = path.resolve(import.meta.dirname, '../fixtures/cartpole-harness.c');

/** Runs an experiment's runs in this process, in order (teacher first), as the worker pool would. */
async function runExperiment(db: StudioDb, spec: unknown): Promise<Record<string, unknown>[]> {
  const created = await createExperimentRuns(db, parseExperimentSpec(spec));
  const store = jobStoreFor(db);
  const summaries: Record<string, unknown>[] = [];
  for (const { runId } of created.runs) {
    store.claim(runId, backend);
    const summary = await runJob(jobOf(db.runs.get(runId)), { store, backend });
    store.markCompleted(runId, summary);
    summaries.push({ runId, ...summary });
  }
  return summaries;
}

const experiment = (modelId: number, student: Record<string, unknown>) => ({
  version: 1,
  name: `imported teacher ${modelId}`,
  env: 'CartPole-v1',
  teacher: { modelId },
  knowledgeBase: { steps: 20_000, epsilon: 0.05, seed: 1 },
  students: [{ hiddenSizes: [8, 8], steps: 4000, ...student }],
  baselines: false,
  seeds: [1],
  evaluation: { episodes: 20, replays: 1 },
});

// The end-to-end claim: a teacher trained by PyTorch, imported, distilled into a small student that
// matches it, and the student exported and run outside the studio.
describe('distilling a teacher trained by PyTorch (CartPole-v1)', () => {
  const db = openDatabase(path.join(tmp, 'studio.db'));
  afterAll(() => db.close());
  let studentRunId = 0;

  it('SB3 teacher (tfjs) → KB → 8-8 student offline from the KB reaches normalised score ≥ 0.95', async () => {
    const teacher = await importTeacher(db, { file: fixture('cartpole-sb3-dqn.zip'), env: 'CartPole-v1' });
    expect(teacher.evaluation.mean).toBeGreaterThanOrEqual(475);
    const [t, s] = await runExperiment(db, experiment(teacher.modelId, {}));
    expect(t).toMatchObject({ role: 'teacher', params: 4610, kbSize: 20_000 });
    expect(s.role).toBe('student');
    expect(s.normalizedScore).toBeGreaterThanOrEqual(0.95);
    expect(s.paramRatio).toBeLessThan(0.03);
    studentRunId = Number(s.runId);
  }, 240_000);

  it('ONNX teacher (onnxruntime) → KB extracted through onnxruntime → 8-8 student with the live ONNX teacher as soft-target source reaches ≥ 0.95', async () => {
    const teacher = await importTeacher(db, { file: fixture('cartpole-teacher.onnx'), env: 'CartPole-v1' });
    expect(teacher.runtime).toBe('onnxruntime');
    const [t, s] = await runExperiment(db, experiment(teacher.modelId, { method: 'teacher', mode: 'offline' }));
    expect(t).toMatchObject({ role: 'teacher', evalMean: 500, kbSize: 20_000 });
    const kb = db.knowledgeBases.list({ teacherModelId: teacher.modelId });
    expect(kb).toHaveLength(1);
    expect(s.normalizedScore).toBeGreaterThanOrEqual(0.95);
  }, 240_000);

  it('the student, exported, is checked on its teacher\'s knowledge-base states', async () => {
    for (const [format, name] of [['onnx', 'student.onnx'], ['js', 'student.mjs'], ['c', 'student.h']] as const) {
      const r = await exportModel(db, { runId: studentRunId, format, out: path.join(tmp, name) });
      expect(r.check.statesSource).toMatch(/^knowledge base \d+ \(1000 of its 20000 states, evenly spread\)$/);
      expect(r.check.actionsAgree + r.check.nearTies).toBe(1000);
    }
  });

  it('the student compiled from its C header with cc -O2 scores in a C CartPole what the tfjs student scores, seed by seed', () => {
    const cc = findCCompiler();
    if (!cc) {
      console.warn('SKIPPED (no C compiler: set CC or install cc): compiled C student vs tfjs student on CartPole');
      return;
    }
    const exe = path.join(tmp, 'harness');
    const build = spawnSync(cc, ['-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', `-DPOLICY_HEADER="${path.join(tmp, 'student.h')}"`, '-o', exe, HARNESS, '-lm'], { encoding: 'utf8' });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const final = db.models.list({ runId: studentRunId, kind: 'final' }).at(-1)!;
    const { network } = decodeQNetwork(db.models.get(final.id).bundle, 'student');
    const seeds = episodeSeeds(10);
    const tfjs = evaluatePolicy('CartPole-v1', (o, b) => network.act(o, b), seeds);
    const c = seeds.map((seed) => {
      const env = createEnv('CartPole-v1');
      env.reset(seed);
      const start = Array.from(env.getState(), (v) => v.toPrecision(17));
      const run = spawnSync(exe, start, { encoding: 'utf8' });
      expect(run.status).toBe(0);
      return Number(run.stdout.trim().split(' ')[0]);
    });
    network.dispose();
    expect(c).toEqual(tfjs.returns);
    expect(Math.min(...c)).toBeGreaterThan(400);
  });
});
