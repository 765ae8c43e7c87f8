import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KnowledgeBase } from '../../core/kb/knowledge-base.ts';
import type { EncodedBundle } from '../../core/nn/bundle.ts';
import { openDatabase, type StudioDb } from '../../db/index.ts';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-db-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** In-memory studio database with one experiment and one teacher run. */
export function memoryDb(): { db: StudioDb; experimentId: number; runId: number } {
  const db = openDatabase(':memory:');
  const experimentId = db.experiments.create({ name: 'fixture', spec: { env: 'CartPole-v1' }, specVersion: 1 }).id;
  const runId = db.runs.create({ experimentId, role: 'teacher', config: { env: 'CartPole-v1' }, seed: 1 }).id;
  return { db, experimentId, runId };
}

/** Deterministic pseudo-random numbers (mulberry32), so fixtures are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A CartPole-shaped KB of `size` rows with episodes of 1-300 steps and every column filled with varied values. */
export function makeKb(size: number, seed = 1, observationSize = 4, actionCount = 2): KnowledgeBase {
  const rand = prng(seed);
  const states = new Float32Array(size * observationSize);
  const nextStates = new Float32Array(size * observationSize);
  const teacherQ = new Float32Array(size * actionCount);
  const actions = new Int32Array(size);
  const rewards = new Float32Array(size);
  const terminated = new Uint8Array(size);
  const episodeEnd = new Uint8Array(size);
  const episode = new Int32Array(size);
  let ep = 0;
  let left = 1 + Math.floor(rand() * 300);
  for (let i = 0; i < size; i++) {
    for (let d = 0; d < observationSize; d++) {
      states[i * observationSize + d] = rand() * 4 - 2;
      nextStates[i * observationSize + d] = rand() * 4 - 2;
    }
    for (let a = 0; a < actionCount; a++) teacherQ[i * actionCount + a] = rand() * 100;
    actions[i] = Math.floor(rand() * actionCount);
    rewards[i] = rand() < 0.9 ? 1 : -0.5;
    episode[i] = ep;
    if (--left === 0 || i === size - 1) {
      episodeEnd[i] = 1;
      terminated[i] = rand() < 0.7 ? 1 : 0;
      ep++;
      left = 1 + Math.floor(rand() * 300);
    }
  }
  return {
    meta: {
      env: 'CartPole-v1',
      observationSize,
      actionCount,
      teacher: { source: 'fixture', paramCount: 4610, hiddenSizes: [64, 64] },
      seed,
      epsilon: 0.05,
      createdAt: '2024-01-01T00:00:00.000Z',
      incompleteEpisodes: [ep - 1],
      numEnvs: 1,
    },
    size,
    states,
    actions,
    rewards,
    nextStates,
    terminated,
    episodeEnd,
    episode,
    teacherQ,
  };
}

/** An EncodedBundle-shaped model of a 4-8-2 network (without tfjs). */
export function makeBundle(): EncodedBundle {
  const weights = new Float32Array(4 * 8 + 8 + 8 * 2 + 2).map((_, i) => Math.sin(i) * 0.5);
  return {
    modelJson: { format: 'layers-model', modelTopology: { class_name: 'Sequential' }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] },
    weights: new Uint8Array(weights.buffer),
    meta: {
      format: 'distill-studio/q-network',
      formatVersion: 1,
      env: 'CartPole-v1',
      observationSize: 4,
      actionCount: 2,
      hiddenSizes: [8],
      paramCount: 58,
      backend: 'cpu',
      appVersion: '0.1.0',
      createdAt: '2024-01-01T00:00:00.000Z',
      system: { platform: 'linux', arch: 'x64', node: '20', cpus: 2 },
      training: { role: 'teacher', seed: 1 },
    },
  };
}
