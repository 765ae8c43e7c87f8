import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../../core/dqn/replay-buffer.ts';
import { Rng } from '../../../core/util/rng.ts';

const row = (v: number) => new Float32Array([v, v + 0.5]);

describe('ReplayBuffer', () => {
  it('never samples unfilled slots', () => {
    const b = new ReplayBuffer(100, 2);
    b.add(row(1), 0, 1, row(2), false);
    b.add(row(3), 1, 2, row(4), true);
    const batch = b.sample(new Rng(1), b.allocateBatch(500));
    for (let i = 0; i < batch.size; i++) {
      expect(batch.indices[i]).toBeLessThan(2);
      expect([1, 3]).toContain(batch.obs[2 * i]);
    }
    // both slots are drawn (uniform with replacement)
    expect(new Set(batch.indices).size).toBe(2);
  });

  it('keeps transitions aligned and overwrites the oldest when full', () => {
    const b = new ReplayBuffer(3, 2);
    for (let t = 0; t < 5; t++) b.add(row(t), t % 2, t * 10, row(t + 100), t === 4);
    expect(b.size).toBe(3);
    const batch = b.sample(new Rng(2), b.allocateBatch(200));
    const seen = new Set<number>();
    for (let i = 0; i < batch.size; i++) {
      const t = batch.obs[2 * i];
      seen.add(t);
      expect(batch.obs[2 * i + 1]).toBe(t + 0.5);
      expect(batch.nextObs[2 * i]).toBe(t + 100);
      expect(batch.actions[i]).toBe(t % 2);
      expect(batch.rewards[i]).toBe(t * 10);
      expect(batch.terminated[i]).toBe(t === 4 ? 1 : 0);
    }
    expect([...seen].sort()).toEqual([2, 3, 4]);
  });

  it('adds a row of a flat vector-env array by offset', () => {
    const b = new ReplayBuffer(4, 2);
    const flat = new Float32Array([1, 2, 3, 4, 5, 6]);
    const next = new Float32Array([7, 8, 9, 10, 11, 12]);
    b.add(flat, 1, 0, next, false, 4);
    const batch = b.sample(new Rng(1), b.allocateBatch(1));
    expect(Array.from(batch.obs)).toEqual([5, 6]);
    expect(Array.from(batch.nextObs)).toEqual([11, 12]);
  });

  it('validates its arguments and refuses to sample when empty', () => {
    expect(() => new ReplayBuffer(0, 2)).toThrow(/capacity must be a positive integer, got 0/);
    const b = new ReplayBuffer(2, 2);
    expect(() => b.sample(new Rng(1), b.allocateBatch(1))).toThrow(/empty/);
  });
});
