/**
 * Teachers trained by PyTorch (test/fixtures/models, made by make-model-fixtures.py): for each file, how close
 * the imported Q-values are to torch's and how long parsing takes; then 8-8 students distilled from the imported
 * SB3 teacher (offline, KB soft targets) and the imported ONNX teacher (offline, live onnxruntime teacher as the
 * soft-target source) over seeds, with their normalised scores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runJob } from '../core/experiment/jobs.ts';
import { qDifference } from '../core/io/export-model.ts';
import { parseExperimentSpec } from '../core/experiment/spec.ts';
import { OnnxQFunction } from '../core/io/onnx-runtime.ts';
import { parseTeacherFile } from '../core/io/teacher-file.ts';
import { currentBackend } from '../core/nn/backend.ts';
import { QNetwork } from '../core/nn/q-network.ts';
import { openDatabase } from '../db/index.ts';
import { jobStoreFor } from '../electron/jobs/db-store.ts';
import { createExperimentRuns, jobOf } from '../electron/service/runs.ts';
import { importTeacher } from '../electron/service/model-io.ts';

type Row = Record<string, string | number | null>;
const MODELS = path.resolve(import.meta.dirname, '../test/fixtures/models');

export async function benchImportFidelity(): Promise<Row[]> {
  const ref = JSON.parse(fs.readFileSync(path.join(MODELS, 'cartpole-reference.json'), 'utf8')) as { observations: number[][]; q: number[][] };
  const obs = Float32Array.from(ref.observations.flat());
  const want = ref.q.flat();
  const rows: Row[] = [];
  for (const name of ['cartpole-sb3-dqn.zip', 'cartpole-cleanrl.cleanrl_model', 'cartpole-torch-sequential.pt', 'cartpole-teacher.safetensors', 'cartpole-teacher.onnx']) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(MODELS, name)));
    const t0 = performance.now();
    const t = parseTeacherFile(bytes, name);
    const parseMs = performance.now() - t0;
    const net = t.kind === 'mlp' ? QNetwork.fromWeights(t.spec, t.values) : OnnxQFunction.fromBytes(t.bytes, name);
    const q = net.predict(obs, ref.observations.length);
    net.dispose();
    const { abs, rel } = qDifference(q, want);
    const maxQ = Math.max(...want.map(Math.abs));
    rows.push({ file: name, format: t.source.format, runs: t.kind === 'mlp' ? `tfjs ${currentBackend()?.name}` : 'onnxruntime', 'parse ms': Number(parseMs.toFixed(2)), states: ref.observations.length, 'max |Q| (torch)': Number(maxQ.toFixed(2)), 'max |ΔQ|': abs, 'max |ΔQ|/max(1,|Q|)': rel });
  }
  return rows;
}

export async function benchImportDistill(options: { quick: boolean; seeds?: number[] }): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  const db = openDatabase(path.join(dir, 'studio.db'));
  const store = jobStoreFor(db);
  const backend = currentBackend()!.name;
  const rows: Row[] = [];
  try {
    const seeds = options.seeds ?? (options.quick ? [1] : [1, 2, 3]);
    for (const [file, source] of [['cartpole-sb3-dqn.zip', 'kb'], ['cartpole-teacher.onnx', 'teacher']] as const) {
      const teacher = await importTeacher(db, { file: path.join(MODELS, file), env: 'CartPole-v1' });
      const spec = parseExperimentSpec({
        version: 1,
        name: `bench ${file}`,
        env: 'CartPole-v1',
        teacher: { modelId: teacher.modelId },
        knowledgeBase: { steps: 20_000, epsilon: 0.05, seed: 1 },
        students: [{ hiddenSizes: [8, 8], steps: 4000, method: source === 'kb' ? 'supervised' : 'teacher', mode: 'offline' }],
        baselines: false,
        seeds,
        evaluation: { episodes: 20, replays: 0 },
      });
      const created = await createExperimentRuns(db, spec);
      for (const { runId } of created.runs) {
        store.claim(runId, backend);
        const t0 = performance.now();
        const summary = await runJob(jobOf(db.runs.get(runId)), { store, backend });
        const s = summary as unknown as Record<string, unknown>;
        const seconds = (performance.now() - t0) / 1000;
        store.markCompleted(runId, summary);
        const run = db.runs.get(runId);
        rows.push({
          teacher: `${file} (${teacher.runtime})`,
          run: run.role === 'teacher' ? 'teacher: eval + KB 20k' : `8-8 student, soft targets from ${source === 'kb' ? 'KB' : 'live teacher'}`,
          seed: run.role === 'teacher' ? null : run.seed,
          return: Number(Number(s.evalMean).toFixed(1)),
          'normalised score': s.normalizedScore === undefined ? null : Number(Number(s.normalizedScore).toFixed(3)),
          'agreement (held-out KB)': s.agreement === undefined || s.agreement === null ? null : Number(Number(s.agreement).toFixed(3)),
          params: Number(s.params ?? s.studentParams),
          's (wall)': Number(seconds.toFixed(1)),
        });
      }
    }
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
