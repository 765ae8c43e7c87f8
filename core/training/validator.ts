/**
 * Periodic greedy validation with "keep the best" (SB3's EvalCallback best model): every `evalEvery` budget
 * steps the policy plays the validation episodes (seeds disjoint from the test seeds, so the reported test
 * score is not the one the weights were selected on), the mean and std are recorded as metrics with the
 * training seconds so far, and the weights of the best mean are kept.
 */
import { VALIDATION_SEED_BASE, episodeSeeds, evaluatePolicyAsync, type EvaluationResult } from '../eval/evaluate.ts';
import { METRIC_KEYS } from '../metrics.ts';
import type { QNetwork } from '../nn/q-network.ts';
import { Periodic } from './periodic.ts';
import type { TrainingSession } from './session.ts';

export interface ValidationRecord {
  readonly step: number;
  readonly mean: number;
  readonly std: number;
  /** Training seconds when it was taken. */
  readonly trainSeconds: number;
}

export interface BestWeights {
  readonly mean: number;
  readonly step: number;
  readonly weights: Float32Array[];
}

/** What a checkpoint keeps of the validator. */
export interface ValidatorState {
  readonly evaluations: ValidationRecord[];
  readonly best: BestWeights | null;
}

export class Validator {
  readonly tick: Periodic;
  readonly evaluations: ValidationRecord[] = [];
  best: BestWeights | null = null;
  private readonly seeds: number[];

  constructor(
    private readonly session: Pick<TrainingSession<never>, 'hooks' | 'excluded' | 'trainSeconds' | 'emit'>,
    readonly options: { readonly env: string; readonly evalEvery: number; readonly episodes: number; readonly keepBest: boolean; readonly resumed?: { step: number; state: ValidatorState } },
  ) {
    this.seeds = episodeSeeds(options.episodes, VALIDATION_SEED_BASE);
    this.tick = new Periodic(options.evalEvery, options.resumed?.step ?? 0);
    if (options.resumed) {
      this.evaluations.push(...options.resumed.state.evaluations);
      this.best = options.resumed.state.best;
    }
  }

  /** Plays the validation episodes greedily (time excluded from training), records them, keeps the best weights. */
  async run(step: number, net: QNetwork): Promise<EvaluationResult> {
    const signal = this.session.hooks.signal;
    const ev = await this.session.excluded(() => evaluatePolicyAsync(this.options.env, (o, b) => net.act(o, b), this.seeds, { ...(signal ? { signal } : {}), what: 'validation' }));
    const trainSeconds = this.session.trainSeconds();
    this.evaluations.push({ step, mean: ev.mean, std: ev.std, trainSeconds });
    this.session.emit(step, METRIC_KEYS.evalMeanReturn, ev.mean);
    this.session.emit(step, METRIC_KEYS.evalStdReturn, ev.std);
    this.session.emit(step, METRIC_KEYS.trainSeconds, trainSeconds);
    if (this.options.keepBest && (this.best === null || ev.mean > this.best.mean)) this.best = { mean: ev.mean, step, weights: net.getWeights() };
    return ev;
  }

  /** Latest validation mean (null before the first). */
  last(): number | null {
    return this.evaluations.length ? this.evaluations[this.evaluations.length - 1].mean : null;
  }

  /** Puts the best validated weights into `net` (keepBest); returns their step, or null when the last weights stay. */
  selectBest(net: QNetwork): number | null {
    if (this.best === null) return null;
    net.setWeights(this.best.weights);
    return this.best.step;
  }

  state(): ValidatorState {
    return { evaluations: this.evaluations.map((e) => ({ ...e })), best: this.best };
  }
}
