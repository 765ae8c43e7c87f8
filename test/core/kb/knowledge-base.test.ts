import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { monteCarloReturns, splitKnowledgeBase } from '../../../core/kb/episodes.ts';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import { loadKnowledgeBaseFile, saveKnowledgeBaseFile } from '../../../core/kb/kb-file.ts';
import { knowledgeBaseStats, type KnowledgeBase } from '../../../core/kb/knowledge-base.ts';
import { QNetwork } from '../../../core/nn/q-network.ts';
import { Rng } from '../../../core/util/rng.ts';
import { useBackend } from '../../helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-test-'));
await useBackend();
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tinyKb(): KnowledgeBase {
  // Two episodes: rows 0-2 (terminated at row 2) and rows 3-4 (truncated at row 4).
  return {
    meta: { env: 'CartPole-v1', observationSize: 1, actionCount: 2, teacher: { source: 't', paramCount: 10, hiddenSizes: [] }, seed: 0, epsilon: 0, createdAt: '' },
    size: 5,
    states: new Float32Array([0, 1, 2, 3, 4]),
    actions: new Int32Array([0, 1, 1, 0, 0]),
    rewards: new Float32Array([1, 1, 1, 1, 1]),
    nextStates: new Float32Array([1, 2, 3, 4, 5]),
    terminated: new Uint8Array([0, 0, 1, 0, 0]),
    episodeEnd: new Uint8Array([0, 0, 1, 0, 1]),
    episode: new Int32Array([0, 0, 0, 1, 1]),
    teacherQ: new Float32Array([1, 0, 0, 1, 0, 1, 1, 0, 7, 3]),
  };
}

describe('knowledge extraction', () => {
  const teacher = QNetwork.create({ inputSize: 4, hiddenSizes: [8], outputSize: 2 }, new Rng(1));

  it('records state, action, reward, next state, termination and the teacher Q of every action', () => {
    const kb = extractKnowledge(teacher, { env: 'CartPole-v1', steps: 1000, seed: 3, epsilon: 0, numEnvs: 4, teacherSource: 'mem' });
    expect(kb.size).toBe(1000);
    // ε = 0: every action is the teacher's argmax, and the stored Q is the teacher's on the stored state.
    const q = teacher.predict(kb.states, kb.size);
    for (let i = 0; i < kb.size; i++) {
      expect(kb.teacherQ[2 * i]).toBeCloseTo(q[2 * i], 5);
      expect(kb.actions[i]).toBe(q[2 * i + 1] > q[2 * i] ? 1 : 0);
    }
    // Episodes are contiguous; within one, a row's next state is the following row's state.
    for (let i = 0; i + 1 < kb.size; i++) {
      if (!kb.episodeEnd[i]) {
        expect(kb.episode[i + 1]).toBe(kb.episode[i]);
        expect(Array.from(kb.nextStates.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(kb.states.subarray(4 * i + 4, 4 * i + 8)));
      } else expect(kb.episode[i + 1]).toBe(kb.episode[i] + 1);
    }
    // A random-ish teacher fails CartPole quickly: terminal rows exist and carry reward 1.
    const terminal = kb.terminated.reduce((a, b) => a + b, 0);
    expect(terminal).toBeGreaterThan(5);
    const stats = knowledgeBaseStats(kb);
    expect(stats.greedyFraction).toBe(1);
    expect(stats.episodes).toBe(terminal); // every complete episode ended in a terminal state
    expect(stats.episodeReturns.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
    expect(kb.meta.incompleteEpisodes!.length).toBeLessThanOrEqual(4);
  });

  it('follows ε and is deterministic given its seed', () => {
    const a = extractKnowledge(teacher, { env: 'CartPole-v1', steps: 4000, seed: 5, epsilon: 0.5, teacherSource: 'mem' });
    const b = extractKnowledge(teacher, { env: 'CartPole-v1', steps: 4000, seed: 5, epsilon: 0.5, teacherSource: 'mem' });
    expect(Array.from(a.actions)).toEqual(Array.from(b.actions));
    // With 2 actions, ε = 0.5 picks the argmax 75% of the time.
    expect(knowledgeBaseStats(a).greedyFraction).toBeGreaterThan(0.7);
    expect(knowledgeBaseStats(a).greedyFraction).toBeLessThan(0.8);
  });

  it('rejects a teacher for another env', () => {
    expect(() => extractKnowledge(teacher, { env: 'Acrobot-v1', steps: 10, seed: 1, teacherSource: 'mem' })).toThrow(/4→2 network but Acrobot-v1 has 6 observations and 3 actions/);
  });
});

describe('knowledge-base files', () => {
  it('round-trip every column and the statistics', () => {
    const kb = tinyKb();
    const file = saveKnowledgeBaseFile(path.join(tmp, 'a.dskb'), kb);
    const { kb: back, stats } = loadKnowledgeBaseFile(file);
    for (const k of ['states', 'actions', 'rewards', 'nextStates', 'terminated', 'episodeEnd', 'episode', 'teacherQ'] as const) {
      expect(Array.from(back[k])).toEqual(Array.from(kb[k]));
    }
    expect(back.meta).toEqual(kb.meta);
    expect(stats.size).toBe(5);
    expect(stats.actionMix).toEqual([0.6, 0.4]);
    expect(stats.episodeReturns).toEqual([3, 2]);
  });

  it('report corrupt, truncated and foreign files by name, and newer versions', () => {
    const file = saveKnowledgeBaseFile(path.join(tmp, 'b.dskb'), tinyKb());
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(path.join(tmp, 'trunc.dskb'), bytes.subarray(0, bytes.length - 16));
    expect(() => loadKnowledgeBaseFile(path.join(tmp, 'trunc.dskb'))).toThrow(/trunc\.dskb: truncated/);
    fs.writeFileSync(path.join(tmp, 'foreign.dskb'), 'hello world, not a KB');
    expect(() => loadKnowledgeBaseFile(path.join(tmp, 'foreign.dskb'))).toThrow(/foreign\.dskb: not a Distill Studio knowledge-base file/);
    const text = bytes.toString('latin1').replace('"version":2', '"version":9');
    fs.writeFileSync(path.join(tmp, 'newer.dskb'), Buffer.from(text, 'latin1'));
    expect(() => loadKnowledgeBaseFile(path.join(tmp, 'newer.dskb'))).toThrow(/version 9 is newer/);
    expect(() => loadKnowledgeBaseFile(path.join(tmp, 'missing.dskb'))).toThrow(/missing\.dskb: no such knowledge-base file/);
  });
});

describe('KB helpers for students', () => {
  it('Monte-Carlo returns: terminal episodes end at their reward, truncated ones bootstrap from the teacher', () => {
    const g = monteCarloReturns(tinyKb(), 0.5);
    expect(Array.from(g)).toEqual([1 + 0.5 * (1 + 0.5 * 1), 1 + 0.5 * 1, 1, 1 + 0.5 * 7, 7]);
  });

  it('splits by episode, holding out the last ones', () => {
    const s = splitKnowledgeBase(tinyKb(), 0.5);
    expect(Array.from(s.train)).toEqual([0, 1, 2]);
    expect(Array.from(s.heldOut)).toEqual([3, 4]);
    expect(Array.from(splitKnowledgeBase(tinyKb(), 0).heldOut)).toEqual([]);
  });
});
