/**
 * The acting and scheduling pieces of a DQN loop (Mnih et al. 2015, as SB3 and CleanRL run it), shared by the
 * teacher, the from-scratch baseline and the online student so that the three act, store and update the same
 * way: an α = 1 student is then a DQN baseline (tested).
 */
import type { VectorStepResult } from '../envs/index.ts';
import type { ReplayBuffer } from '../dqn/replay-buffer.ts';
import type { QNetwork } from '../nn/q-network.ts';
import { Rng } from '../util/rng.ts';

/** The run's random streams, forked in this order from its seed: network init, acting, replay sampling. */
export function runStreams(seed: number): { init: Rng; act: Rng; sample: Rng } {
  const rng = new Rng(seed);
  const init = rng.fork();
  const act = rng.fork();
  const sample = rng.fork();
  return { init, act, sample };
}

/** Env seed of the first reset: the run's seed, or for a resumed run one derived from it and the step (in-flight episodes are not checkpointed). */
export function resetSeed(seed: number, resumedAt: number | null): number {
  return resumedAt === null ? seed : (seed * 1_000_003 + resumedAt) % 2 ** 31;
}

/** Replay capacity: the configured size, but no more than the run can fill. */
export function replayCapacity(bufferSize: number, totalSteps: number, batchSize: number): number {
  return Math.min(bufferSize, Math.max(totalSteps, batchSize));
}

/**
 * ε-greedy actions for `n` env copies into `out`: uniformly random when `uniform` (SB3's warm-up before
 * learning starts) or with probability ε, else the network's greedy action (one batched forward pass, only
 * when some copy needs it).
 */
export function actEpsilonGreedy(net: QNetwork, obs: Float32Array, n: number, epsilon: number, uniform: boolean, rng: Rng, out: Int32Array): void {
  const actionCount = net.spec.outputSize;
  let needGreedy = false;
  for (let i = 0; i < n; i++) {
    if (uniform || rng.random() < epsilon) out[i] = rng.int(actionCount);
    else {
      out[i] = -1;
      needGreedy = true;
    }
  }
  if (needGreedy) {
    const greedy = net.act(obs, n);
    for (let i = 0; i < n; i++) if (out[i] < 0) out[i] = greedy[i];
  }
}

/**
 * Stores one vector step's transitions (s, a, r, s'_true, terminated): truncation is not termination, and
 * s'_true is the final observation of an episode that ended. `onStored(i, slot)` sees each copy's buffer slot;
 * `onEpisodeEnd(i)` each copy whose episode ended.
 */
export function storeVectorStep(buffer: ReplayBuffer, obs: Float32Array, actions: Int32Array, r: VectorStepResult, n: number, onStored?: (i: number, slot: number) => void, onEpisodeEnd?: (i: number) => void): void {
  const size = buffer.obsSize;
  for (let i = 0; i < n; i++) {
    const slot = buffer.position % buffer.capacity;
    buffer.add(obs, actions[i], r.rewards[i], r.finalObservations, r.terminated[i] === 1, i * size);
    onStored?.(i, slot);
    if (r.terminated[i] || r.truncated[i]) onEpisodeEnd?.(i);
  }
}

export interface DqnScheduleOptions {
  readonly learningStarts: number;
  /** A block of updates every this many transitions. */
  readonly trainFreq: number;
  /** Updates per block; −1: as many as transitions since the last block (SB3). */
  readonly gradientSteps: number;
  /** Target-network update every this many transitions. */
  readonly targetUpdateInterval: number;
}

export interface DqnScheduleState {
  readonly nextTrain: number;
  readonly nextTarget: number;
}

/** When updates and target updates fall due, counted in transitions (both jump with a vector step). */
export class DqnSchedule {
  private nextTrain: number;
  private nextTarget: number;

  constructor(
    private readonly o: DqnScheduleOptions,
    state?: DqnScheduleState,
  ) {
    this.nextTrain = state?.nextTrain ?? Math.max(o.learningStarts, 0) + o.trainFreq;
    this.nextTarget = state?.nextTarget ?? o.targetUpdateInterval;
  }

  /** Target-network updates due now that `steps` transitions were collected. */
  targetUpdatesDue(steps: number): number {
    let due = 0;
    while (steps >= this.nextTarget) {
      due++;
      this.nextTarget += this.o.targetUpdateInterval;
    }
    return due;
  }

  /** Gradient updates due now that `steps` transitions were collected. */
  updatesDue(steps: number): number {
    const perBlock = this.o.gradientSteps === -1 ? this.o.trainFreq : this.o.gradientSteps;
    let due = 0;
    while (steps >= this.nextTrain) {
      due += perBlock;
      this.nextTrain += this.o.trainFreq;
    }
    return due;
  }

  state(): DqnScheduleState {
    return { nextTrain: this.nextTrain, nextTarget: this.nextTarget };
  }
}

/** The mean of the last `size` finished training episodes' returns (progress reports). */
export class RecentReturns {
  readonly values: number[];
  constructor(
    private readonly size = 20,
    initial: readonly number[] = [],
  ) {
    this.values = initial.slice(-size);
  }
  push(g: number): void {
    this.values.push(g);
    if (this.values.length > this.size) this.values.shift();
  }
  mean(): number | null {
    return this.values.length ? this.values.reduce((a, b) => a + b, 0) / this.values.length : null;
  }
}

/**
 * n-step transitions (Sutton & Barto 2018 §7.1; Rainbow's multi-step targets): each env copy keeps its last n
 * (state, action, reward); once n are pending the oldest leaves as (s_t, a_t, Σ_{i<n} γ^i r_{t+i}, s_{t+n})
 * bootstrapping with γ^n, and when an episode ends every pending one leaves with the rewards up to the end:
 * no bootstrap after a termination, γ^k after a truncation k steps on. The buffer's one-step target
 * r + γ(1 − t)V is made the k-step one by storing t = 1 − γ^(k−1) (replay-buffer.ts). With n = 1 this stores
 * exactly what storeVectorStep does.
 */
export class NStepStorer {
  private readonly pending: { obs: Float32Array[]; actions: number[]; rewards: number[] }[];
  private readonly powers: number[];

  constructor(
    readonly n: number,
    readonly gamma: number,
    copies: number,
    private readonly obsSize: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`NStepStorer: n must be an integer ≥ 1, got ${n}`);
    this.pending = Array.from({ length: copies }, () => ({ obs: [], actions: [], rewards: [] }));
    this.powers = Array.from({ length: n + 1 }, (_, k) => gamma ** k);
  }

  /** Adds one vector step; `onEpisodeEnd(i)` sees each copy whose episode ended. */
  store(buffer: ReplayBuffer, obs: Float32Array, actions: Int32Array, r: VectorStepResult, onEpisodeEnd?: (i: number) => void): void {
    const size = this.obsSize;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      p.obs.push(obs.slice(i * size, i * size + size));
      p.actions.push(actions[i]);
      p.rewards.push(r.rewards[i]);
      const ended = r.terminated[i] === 1 || r.truncated[i] === 1;
      if (ended) {
        while (p.obs.length) this.emit(buffer, p, r.finalObservations, i, r.terminated[i] === 1);
        onEpisodeEnd?.(i);
      } else if (p.obs.length === this.n) this.emit(buffer, p, r.finalObservations, i, false);
    }
  }

  /** The oldest pending transition of a copy, with the rewards pending after it. */
  private emit(buffer: ReplayBuffer, p: { obs: Float32Array[]; actions: number[]; rewards: number[] }, next: Float32Array, i: number, terminated: boolean): void {
    const k = p.rewards.length;
    let g = 0;
    for (let j = k - 1; j >= 0; j--) g = p.rewards[j] + this.gamma * g;
    buffer.add(p.obs[0], p.actions[0], g, next.subarray(i * this.obsSize, (i + 1) * this.obsSize), terminated ? 1 : 1 - this.powers[k - 1]);
    p.obs.shift();
    p.actions.shift();
    p.rewards.shift();
  }
}
