/**
 * A retrieval student's states outside the radius (no KB neighbour within it, so no soft target): the
 * RetrievalTargets keep a uniform sample of them (at most OUTSIDE_RADIUS_CAP), carried over checkpoints, and
 * hand it over as a replays-table record for the knowledge-base browser.
 */
import { describe, expect, it } from 'vitest';
import { OUTSIDE_RADIUS_CAP, OUTSIDE_RADIUS_SEED, RetrievalTargets, outsideRadiusRecord } from '../../../core/distill/targets.ts';
import { makeKb } from '../../db/fixtures.ts';

const kb = makeKb(400, 3); // states uniform in [-2, 2]^4
const rows = Int32Array.from({ length: kb.size }, (_, i) => i);

/** `count` states far outside the KB (dimension 0 holds the state's number, so a sample can be traced). */
function farStates(from: number, count: number): Float32Array {
  const obs = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) obs.set([1000 + from + i, 50, 50, 50], i * 4);
  return obs;
}

function query(t: RetrievalTargets, obs: Float32Array): Float32Array {
  const count = obs.length / 4;
  const mask = new Float32Array(count);
  t.fill(obs, count, new Float32Array(count * 2), mask);
  return mask;
}

describe('outside-radius sample', () => {
  it('keeps exactly the masked states while under the cap, and none of the covered ones', () => {
    const t = new RetrievalTargets(kb, rows, 1, 0.5, 7);
    const near = kb.states.slice(0, 5 * 4); // KB states themselves: distance 0, always covered
    const far = farStates(0, 3);
    const mixed = new Float32Array(8 * 4);
    mixed.set(near.subarray(0, 8), 0);
    mixed.set(far.subarray(0, 4), 8);
    mixed.set(near.subarray(8, 20), 12);
    mixed.set(far.subarray(4, 12), 24);
    const mask = query(t, mixed);
    expect([...mask]).toEqual([1, 1, 0, 1, 1, 1, 0, 0]);
    const s = t.outsideSample();
    expect(s.kept).toBe(3);
    expect(s.seen).toBe(3);
    expect([...s.states]).toEqual([...far]);
    expect(t.report()).toMatchObject({ queries: 8, maskRate: 3 / 8, outsideKept: 3 });
  });

  it('past the cap, keeps a uniform sample of all masked states (reservoir), the same for the same seed', () => {
    const n = OUTSIDE_RADIUS_CAP * 5;
    const run = (seed: number) => {
      const t = new RetrievalTargets(kb, rows, 1, 0.5, seed);
      for (let from = 0; from < n; from += 1000) query(t, farStates(from, 1000));
      return t;
    };
    const t = run(7);
    const s = t.outsideSample();
    expect(s.kept).toBe(OUTSIDE_RADIUS_CAP);
    expect(s.seen).toBe(n);
    const picked = Array.from({ length: s.kept }, (_, i) => s.states[i * 4] - 1000);
    expect(new Set(picked).size).toBe(OUTSIDE_RADIUS_CAP); // each state at most once
    // Uniform over the run: the mean index is n/2 within a few standard errors (sd of a uniform ≈ n/√12).
    const mean = picked.reduce((a, b) => a + b, 0) / picked.length;
    expect(Math.abs(mean - n / 2)).toBeLessThan((4 * n) / Math.sqrt(12 * OUTSIDE_RADIUS_CAP));
    // and every fifth of the run is represented about equally (each ≈ 20%)
    for (let q = 0; q < 5; q++) expect(picked.filter((p) => p >= (q * n) / 5 && p < ((q + 1) * n) / 5).length / picked.length).toBeGreaterThan(0.15);
    expect([...run(7).outsideSample().states]).toEqual([...s.states]);
    expect([...run(8).outsideSample().states]).not.toEqual([...s.states]);
  });

  it('carries over a checkpoint: a resumed run keeps the same sample as an uninterrupted one', () => {
    const whole = new RetrievalTargets(kb, rows, 1, 0.5, 3);
    for (let from = 0; from < 6000; from += 1000) query(whole, farStates(from, 1000));
    const first = new RetrievalTargets(kb, rows, 1, 0.5, 3);
    for (let from = 0; from < 3000; from += 1000) query(first, farStates(from, 1000));
    const saved = structuredClone(first.counters());
    const resumed = new RetrievalTargets(kb, rows, 1, 0.5, 3);
    resumed.restoreCounters(saved);
    for (let from = 3000; from < 6000; from += 1000) query(resumed, farStates(from, 1000));
    expect(resumed.outsideSample()).toEqual(whole.outsideSample());
  });

  it('as a replays-table record: kept states, no actions, the outside-radius seed', () => {
    const t = new RetrievalTargets(kb, rows, 1, 0.5, 1);
    query(t, farStates(0, 4));
    const r = outsideRadiusRecord(t.outsideSample(), 4, 2);
    expect(r).toMatchObject({ seed: OUTSIDE_RADIUS_SEED, length: 3, observationSize: 4, actionCount: 2 });
    expect(r.observations.length).toBe((r.length + 1) * 4);
    expect(r.actions.length).toBe(3);
    expect(r.qValues.length).toBe(6);
  });
});
