/** The model fixtures made by test/fixtures/make-model-fixtures.py (a CartPole teacher PyTorch trained). */
import fs from 'node:fs';
import path from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';

export const MODELS = path.resolve(import.meta.dirname, '../fixtures/models');
export const fixture = (name: string) => path.join(MODELS, name);
export const fixtureBytes = (name: string) => new Uint8Array(fs.readFileSync(fixture(name)));

/** The teacher in every layout the importer reads. */
export const GOOD_FIXTURES = ['cartpole-sb3-dqn.zip', 'cartpole-cleanrl.cleanrl_model', 'cartpole-torch-sequential.pt', 'cartpole-teacher.safetensors', 'cartpole-teacher.onnx'] as const;

export interface Reference {
  readonly hidden: number[];
  readonly observations: number[][];
  readonly q: number[][];
  readonly peerFinalEvalMean: number | null;
}

export function reference(): Reference & { obs: Float32Array; qFlat: Float32Array; count: number } {
  const ref = JSON.parse(fs.readFileSync(fixture('cartpole-reference.json'), 'utf8')) as Reference;
  return { ...ref, obs: Float32Array.from(ref.observations.flat()), qFlat: Float32Array.from(ref.q.flat()), count: ref.observations.length };
}

export { qDifference } from '../../core/io/export-model.ts';

/** The SB3 fixture with its `data` JSON edited (a space changed, a kwarg added…), written to `out`. */
export function editedSb3(out: string, edit: (data: Record<string, unknown>) => void): string {
  const entries = unzipSync(fixtureBytes('cartpole-sb3-dqn.zip'));
  const data = JSON.parse(new TextDecoder().decode(entries.data)) as Record<string, unknown>;
  edit(data);
  entries.data = strToU8(JSON.stringify(data, null, 4));
  fs.writeFileSync(out, zipSync(entries, { level: 0 }));
  return out;
}
