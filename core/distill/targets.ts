/**
 * Where a student's soft targets come from, one class per method, and the KB rows it trains on:
 * - supervised: a KB row's own stored teacher Q (read by `KbBatches`);
 * - retrieval: the inverse-distance-weighted teacher Q of the k nearest training-row KB states within the
 *   radius (seed §3.2 step 3), masked when there is none; counts the mask rate and retrieval distances, and
 *   keeps a uniform sample of the masked states (the states the KB did not cover, for the KB browser);
 * - teacher: a live teacher forward pass.
 */
import type { KnowledgeBase } from '../kb/knowledge-base.ts';
import { monteCarloReturns } from '../kb/episodes.ts';
import type { QFunction } from '../nn/q-function.ts';
import { KnnIndex } from '../retrieval/knn-index.ts';
import { RADIUS_AUTO_QUANTILE, autoRadius, softTargets } from '../retrieval/soft-targets.ts';
import type { EpisodeReplay } from '../eval/replay.ts';
import { Rng } from '../util/rng.ts';
import type { StudentBatch } from './student-learner.ts';

export interface SoftTargetSource {
  /** Fills q [count·actions] and mask [count] (1: a target exists) for `count` observations. */
  fill(obs: Float32Array, count: number, q: Float32Array, mask: Float32Array): void;
}

export class TeacherTargets implements SoftTargetSource {
  constructor(private readonly teacher: QFunction) {}
  fill(obs: Float32Array, count: number, q: Float32Array, mask: Float32Array): void {
    q.set(this.teacher.predict(obs.subarray(0, count * this.teacher.spec.inputSize), count));
    mask.fill(1, 0, count);
  }
}

/** At most this many of a student's states outside the retrieval radius are kept (a uniform sample of them). */
export const OUTSIDE_RADIUS_CAP = 2000;

/** `kept` states (row-major), drawn uniformly from the `seen` queries that had no KB neighbour within the radius. */
export interface OutsideRadiusSample {
  readonly states: Float32Array;
  readonly kept: number;
  readonly seen: number;
}

/** Retrieval totals carried over a checkpoint, the outside-radius sample with its RNG included. */
export interface RetrievalCounters {
  readonly queries: number;
  readonly masked: number;
  readonly distance: number;
  readonly outside?: { readonly states: Float32Array; readonly kept: number; readonly rng: readonly number[] };
}

/** What a retrieval student reports: the radius it used and how often and how far it retrieved. */
export interface RetrievalReport {
  readonly radius: number;
  /** 'auto': RADIUS_AUTO_QUANTILE of the distances from set-aside KB episodes to the rest (soft-targets.ts); 'given': the config's number. */
  readonly radiusRule: 'auto' | 'given';
  readonly radiusQuantile: number | null;
  readonly k: number;
  readonly indexRows: number;
  readonly queries: number;
  /** Fraction of queries with no neighbour within the radius, over the whole run. */
  readonly maskRate: number;
  /** Mean distance to the retrieved neighbours over the queries that got a target. */
  readonly meanDistance: number;
  /** States kept of those outside the radius (at most OUTSIDE_RADIUS_CAP; stored with the run for the KB browser). */
  readonly outsideKept: number;
}

export class RetrievalTargets implements SoftTargetSource {
  readonly radius: number;
  readonly rule: 'auto' | 'given';
  private readonly index: KnnIndex;
  private readonly q: Float32Array;
  private readonly actionCount: number;
  private readonly totals = { queries: 0, masked: 0, distance: 0 };
  private readonly window = { queries: 0, masked: 0, distance: 0 };
  /** Reservoir of masked query states (Vitter 1985, algorithm R): slot i holds a uniform pick of those seen. */
  private readonly outside: Float32Array;
  private outsideKept = 0;
  private readonly outsideRng: Rng;
  private readonly n: number;

  constructor(
    kb: KnowledgeBase,
    rows: Int32Array,
    readonly k: number,
    radius: number | 'auto',
    /** Seeds the outside-radius sample (the run's seed: the same run keeps the same states). */
    sampleSeed = 0,
  ) {
    const n = (this.n = kb.meta.observationSize);
    this.outside = new Float32Array(OUTSIDE_RADIUS_CAP * n);
    this.outsideRng = new Rng((sampleSeed ^ 0x9e3779b9) >>> 0);
    const a = (this.actionCount = kb.meta.actionCount);
    const points = new Float32Array(rows.length * n);
    const episodes = new Int32Array(rows.length);
    this.q = new Float32Array(rows.length * a);
    rows.forEach((row, i) => {
      points.set(kb.states.subarray(row * n, row * n + n), i * n);
      this.q.set(kb.teacherQ.subarray(row * a, row * a + a), i * a);
      episodes[i] = kb.episode[row];
    });
    this.index = new KnnIndex(points, n);
    this.radius = radius === 'auto' ? autoRadius(this.index, points, episodes) : radius;
    this.rule = radius === 'auto' ? 'auto' : 'given';
  }

  fill(obs: Float32Array, count: number, q: Float32Array, mask: Float32Array): void {
    const t = softTargets(this.index, this.q, this.actionCount, obs, count, { k: this.k, radius: this.radius });
    q.set(t.q);
    mask.set(t.mask);
    for (let i = 0; i < count; i++) {
      for (const s of [this.totals, this.window]) {
        s.queries++;
        if (t.mask[i] === 0) s.masked++;
        else s.distance += t.meanDistance[i];
      }
      if (t.mask[i] === 0) this.keepOutside(obs, i);
    }
  }

  /** The masked state `i` of `obs` enters the sample with probability cap / seen (always while it is not full). */
  private keepOutside(obs: Float32Array, i: number): void {
    const n = this.n;
    const slot = this.outsideKept < OUTSIDE_RADIUS_CAP ? this.outsideKept++ : this.outsideRng.int(this.totals.masked);
    if (slot < OUTSIDE_RADIUS_CAP) this.outside.set(obs.subarray(i * n, i * n + n), slot * n);
  }

  /** The states outside the radius kept so far. */
  outsideSample(): OutsideRadiusSample {
    return { states: this.outside.slice(0, this.outsideKept * this.n), kept: this.outsideKept, seen: this.totals.masked };
  }

  /** Mask rate and mean distance since the last call (null when there were no queries). */
  drainWindow(): { maskRate: number; meanDistance: number } | null {
    const w = this.window;
    if (w.queries === 0) return null;
    const out = { maskRate: w.masked / w.queries, meanDistance: w.queries > w.masked ? w.distance / (w.queries - w.masked) : Number.NaN };
    w.queries = w.masked = w.distance = 0;
    return out;
  }

  report(): RetrievalReport {
    const t = this.totals;
    return {
      radius: this.radius,
      radiusRule: this.rule,
      radiusQuantile: this.rule === 'auto' ? RADIUS_AUTO_QUANTILE : null,
      k: this.k,
      indexRows: this.index.size,
      queries: t.queries,
      maskRate: t.queries ? t.masked / t.queries : Number.NaN,
      meanDistance: t.queries > t.masked ? t.distance / (t.queries - t.masked) : Number.NaN,
      outsideKept: this.outsideKept,
    };
  }

  /** Totals to carry over a checkpoint, with the outside-radius sample (so it stays uniform over the whole run). */
  counters(): RetrievalCounters {
    return { ...this.totals, outside: { states: this.outside.slice(0, this.outsideKept * this.n), kept: this.outsideKept, rng: this.outsideRng.getState() } };
  }

  restoreCounters(c: RetrievalCounters): void {
    this.totals.queries = c.queries;
    this.totals.masked = c.masked;
    this.totals.distance = c.distance;
    if (c.outside) {
      this.outside.set(c.outside.states.subarray(0, Math.min(c.outside.kept, OUTSIDE_RADIUS_CAP) * this.n));
      this.outsideKept = Math.min(c.outside.kept, OUTSIDE_RADIUS_CAP);
      this.outsideRng.setState(c.outside.rng);
    }
  }
}

/**
 * Minibatches of KB training rows (offline students): state, action, reward, next state, terminal flag, the
 * Monte-Carlo return (mc) and, for supervised distillation, the row's stored teacher Q as the soft target.
 */
export class KbBatches {
  readonly batch: StudentBatch & { obs: Float32Array; actions: Int32Array; rewards: Float32Array; nextObs: Float32Array; terminated: Float32Array; returns: Float32Array; softQ: Float32Array; softMask: Float32Array };
  private readonly returns: Float32Array | null;

  constructor(
    private readonly kb: KnowledgeBase,
    private readonly rows: Int32Array,
    size: number,
    options: { readonly monteCarloGamma: number | null },
  ) {
    const n = kb.meta.observationSize;
    const a = kb.meta.actionCount;
    this.batch = {
      size,
      obs: new Float32Array(size * n),
      actions: new Int32Array(size),
      rewards: new Float32Array(size),
      nextObs: new Float32Array(size * n),
      terminated: new Float32Array(size),
      returns: new Float32Array(size),
      softQ: new Float32Array(size * a),
      softMask: new Float32Array(size),
    };
    this.returns = options.monteCarloGamma === null ? null : monteCarloReturns(kb, options.monteCarloGamma);
  }

  /** Samples rows uniformly (with replacement); soft targets from the rows (supervised), `source`, or none. */
  sample(rng: Rng, soft: 'stored' | SoftTargetSource | null): StudentBatch {
    const { kb, batch: b } = this;
    const n = kb.meta.observationSize;
    const a = kb.meta.actionCount;
    for (let i = 0; i < b.size; i++) {
      const row = this.rows[rng.int(this.rows.length)];
      b.obs.set(kb.states.subarray(row * n, row * n + n), i * n);
      b.nextObs.set(kb.nextStates.subarray(row * n, row * n + n), i * n);
      b.actions[i] = kb.actions[row];
      b.rewards[i] = kb.rewards[row];
      b.terminated[i] = kb.terminated[row];
      if (this.returns) b.returns[i] = this.returns[row];
      if (soft === 'stored') b.softQ.set(kb.teacherQ.subarray(row * a, row * a + a), i * a);
    }
    if (soft === 'stored') b.softMask.fill(1);
    else if (soft === null) b.softMask.fill(0);
    else soft.fill(b.obs, b.size, b.softQ, b.softMask);
    return b;
  }
}

/**
 * The episode seed that marks a stored "replay" as not an episode but a retrieval student's states outside the
 * radius: stored in the replays table (states only; no actions, rewards or Q-values) so that it travels with the
 * run (export, import, delete) without a schema change; the replay viewer lists episodes (seeds ≥ 0) only.
 */
export const OUTSIDE_RADIUS_SEED = -1;

/** The sample as a replays-table record: `kept` states are `kept − 1` "steps" plus a last state. */
export function outsideRadiusRecord(sample: OutsideRadiusSample, observationSize: number, actionCount: number): EpisodeReplay {
  const length = Math.max(0, sample.kept - 1);
  return {
    seed: OUTSIDE_RADIUS_SEED,
    observationSize,
    actionCount,
    length,
    totalReturn: 0,
    terminated: false,
    observations: sample.states,
    actions: new Int32Array(length),
    rewards: new Float32Array(length),
    qValues: new Float32Array(length * actionCount),
  };
}
