/**
 * Replay buffer: a ring of typed arrays (no per-transition objects). Sampling is uniform with replacement
 * over the filled slots only, as SB3's ReplayBuffer and CleanRL's.
 *
 * `nextObs` holds the true next observation: for a truncated episode the final observation (not the
 * auto-reset one), and `terminated` is 1 only for real terminal states, so truncation is bootstrapped.
 *
 * `terminated` is a weight t ∈ [0, 1] in the one-step target r + γ(1 − t)·V(s'): 0 or 1 for one-step
 * transitions; an n-step transition cut after k steps (Sutton & Barto §7.1) stores its discounted k-step return
 * as r and t = 1 − γ^(k−1) when it bootstraps, so that the same target becomes r + γ^k·V(s_{t+k}) (see
 * core/training/dqn-steps.ts, NStepStorer).
 */
import type { Rng } from '../util/rng.ts';

export interface ReplayBatch {
  readonly size: number;
  readonly obs: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly nextObs: Float32Array;
  /** 1 where the transition ended in a terminal state (no bootstrap). */
  readonly terminated: Float32Array;
  /** Buffer slot of each sample (tests and diagnostics). */
  readonly indices: Int32Array;
}

export interface ReplayBufferSnapshot {
  readonly capacity: number;
  readonly obsSize: number;
  readonly cursor: number;
  readonly filled: number;
  readonly obs: Float32Array;
  readonly nextObs: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly terminated: Float32Array;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Float32Array;
  private cursor = 0;
  private filled = 0;

  constructor(capacity: number, obsSize: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`replay buffer capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(obsSize) || obsSize < 1) throw new Error(`replay buffer obsSize must be a positive integer, got ${obsSize}`);
    this.capacity = capacity;
    this.obsSize = obsSize;
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Float32Array(capacity);
  }

  /** Number of stored transitions (≤ capacity). */
  get size(): number {
    return this.filled;
  }

  /** Total transitions ever added (the next write position is `added % capacity`). */
  get position(): number {
    return this.cursor;
  }

  /**
   * Adds one transition. `obs`/`nextObs` are read from `offset` (row `offset / obsSize` of a vector env's
   * flat arrays), so a vector step is added without copying rows out first.
   */
  add(obs: Float32Array, action: number, reward: number, nextObs: Float32Array, terminated: boolean | number, offset = 0): void {
    const n = this.obsSize;
    const at = this.cursor * n;
    this.obs.set(obs.subarray(offset, offset + n), at);
    this.nextObs.set(nextObs.subarray(offset, offset + n), at);
    this.actions[this.cursor] = action;
    this.rewards[this.cursor] = reward;
    this.terminated[this.cursor] = typeof terminated === 'number' ? terminated : terminated ? 1 : 0;
    this.cursor = (this.cursor + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  /** A copy of the contents (checkpoints). */
  snapshot(): ReplayBufferSnapshot {
    return {
      capacity: this.capacity,
      obsSize: this.obsSize,
      cursor: this.cursor,
      filled: this.filled,
      obs: this.obs.slice(0, this.filled * this.obsSize),
      nextObs: this.nextObs.slice(0, this.filled * this.obsSize),
      actions: this.actions.slice(0, this.filled),
      rewards: this.rewards.slice(0, this.filled),
      terminated: this.terminated.slice(0, this.filled),
    };
  }

  /** Restores a snapshot taken from a buffer of the same capacity and observation size. */
  restore(s: ReplayBufferSnapshot): void {
    if (s.capacity !== this.capacity || s.obsSize !== this.obsSize) {
      throw new Error(`replay snapshot is for capacity ${s.capacity} × ${s.obsSize}, this buffer is ${this.capacity} × ${this.obsSize}`);
    }
    if (s.obs.length !== s.filled * s.obsSize || s.actions.length !== s.filled) throw new Error('replay snapshot is inconsistent (column lengths do not match its fill)');
    this.obs.set(s.obs);
    this.nextObs.set(s.nextObs);
    this.actions.set(s.actions);
    this.rewards.set(s.rewards);
    this.terminated.set(s.terminated);
    this.cursor = s.cursor;
    this.filled = s.filled;
  }

  /** A reusable batch of `size` rows to pass to `sample`. */
  allocateBatch(size: number): ReplayBatch {
    return {
      size,
      obs: new Float32Array(size * this.obsSize),
      actions: new Int32Array(size),
      rewards: new Float32Array(size),
      nextObs: new Float32Array(size * this.obsSize),
      terminated: new Float32Array(size),
      indices: new Int32Array(size),
    };
  }

  /** Fills `batch` with uniformly drawn stored transitions (with replacement). */
  sample(rng: Rng, batch: ReplayBatch): ReplayBatch {
    if (this.filled === 0) throw new Error('cannot sample from an empty replay buffer');
    const n = this.obsSize;
    for (let i = 0; i < batch.size; i++) {
      const j = rng.int(this.filled);
      batch.indices[i] = j;
      // An element loop, not subarray().set(): rows are a few floats, and two views per row cost more than the copy.
      for (let k = 0, from = j * n, to = i * n; k < n; k++) {
        batch.obs[to + k] = this.obs[from + k];
        batch.nextObs[to + k] = this.nextObs[from + k];
      }
      batch.actions[i] = this.actions[j];
      batch.rewards[i] = this.rewards[j];
      batch.terminated[i] = this.terminated[j];
    }
    return batch;
  }
}
