/**
 * DQN teacher training, read top to bottom (after CleanRL's dqn.py): config → env → networks → helpers →
 * the loop. Deterministic given the config (seed included) and the backend.
 *
 * Loop, per vector step of `numEnvs` transitions:
 *   1. act ε-greedily (uniformly at random before learningStarts when randomWarmup, as SB3);
 *   2. store (s, a, r, s'_true, terminated) — truncation is not termination, s'_true is the final obs;
 *   3. every targetUpdateInterval transitions, update the target network (hard or Polyak);
 *   4. every trainFreq transitions past learningStarts, run a block of gradient updates;
 *   5. every evalEvery transitions, evaluate greedily on the validation seeds (best checkpoint kept).
 */
import { VectorEnv } from '../envs/index.ts';
import { VALIDATION_SEED_BASE, episodeSeeds, evaluatePolicy } from '../eval/evaluate.ts';
import { METRIC_KEYS, type MetricKey } from '../metrics.ts';
import { optimizerState, restoreOptimizer, type SavedTensor } from '../nn/optimizer-state.ts';
import { QNetwork } from '../nn/q-network.ts';
import { Rng } from '../util/rng.ts';
import { parseDqnConfig, type DqnConfig } from './config.ts';
import { ReplayBuffer, type ReplayBufferSnapshot } from './replay-buffer.ts';
import { nextMultiple, scheduleLinear } from './schedule.ts';
import { TdLearner } from './td-learner.ts';

export interface MetricPoint {
  readonly step: number;
  readonly key: MetricKey;
  readonly value: number;
}

export interface TrainProgress {
  readonly envSteps: number;
  readonly totalSteps: number;
  readonly gradientSteps: number;
  readonly epsilon: number;
  readonly elapsedSeconds: number;
  /** Remaining seconds at the current rate (null before there is a rate). */
  readonly etaSeconds: number | null;
  /** Mean return of the last 20 finished training episodes (null before the first). */
  readonly recentReturn: number | null;
  /** Latest validation mean (null before the first). */
  readonly lastEval: number | null;
}

export interface TrainHooks {
  /** Called about every `progressEvery` transitions and at the end. */
  onProgress?: (p: TrainProgress) => void;
  /** Metric points, delivered in batches. */
  onMetrics?: (points: MetricPoint[]) => void;
  /** Aborts the run (the promise rejects with an AbortError). */
  signal?: AbortSignal;
  progressEvery?: number;
  /** Take a checkpoint every this many budget steps (0 / absent: never). Metrics up to its step are delivered first. */
  checkpointEvery?: number;
  onCheckpoint?: (checkpoint: TeacherCheckpoint) => void | Promise<void>;
}

/**
 * Everything needed to continue a teacher run exactly where its checkpoint was taken, except the episodes in
 * flight: on resume the env copies start new episodes (seeded from the run's seed and the step).
 */
export interface TeacherCheckpoint {
  readonly kind: 'teacher';
  readonly version: 1;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly counters: { nextTrain: number; nextTarget: number; nextEval: number; nextMetric: number; nextProgress: number };
  readonly trainSeconds: number;
  readonly rng: { act: number[]; sample: number[] };
  readonly online: Float32Array[];
  readonly target: Float32Array[];
  readonly optimizer: SavedTensor[];
  readonly buffer: ReplayBufferSnapshot;
  readonly recent: number[];
  readonly evaluations: { step: number; mean: number; std: number }[];
  readonly best: { mean: number; step: number; weights: Float32Array[] } | null;
  readonly thresholdStep: number | null;
  readonly thresholdSeconds: number | null;
}

export interface TeacherResult {
  readonly network: QNetwork;
  readonly config: DqnConfig;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  /** Env step at which a validation evaluation first reached the reward threshold (null if never). */
  readonly thresholdStep: number | null;
  /** Training seconds (evaluation time excluded) until then. */
  readonly thresholdSeconds: number | null;
  readonly evaluations: { step: number; mean: number; std: number }[];
  /** Step of the periodic evaluation whose weights were returned (null: the final weights). */
  readonly selectedStep: number | null;
}

const METRIC_EVERY = 1000;

export async function trainTeacher(input: DqnConfig, hooks: TrainHooks = {}, resume?: TeacherCheckpoint): Promise<TeacherResult> {
  const config = parseDqnConfig(input);
  const rng = new Rng(config.seed);
  const initRng = rng.fork();
  const actRng = rng.fork();
  const sampleRng = rng.fork();

  const envs = new VectorEnv(config.env, config.numEnvs);
  const threshold = envs.env(0).rewardThreshold;
  const spec = { inputSize: envs.observationSize, hiddenSizes: config.hiddenSizes, outputSize: envs.actionCount };
  const online = QNetwork.create(spec, initRng);
  const target = online.clone();
  const learner = new TdLearner(online, target, config);
  const buffer = new ReplayBuffer(Math.min(config.bufferSize, Math.max(config.totalSteps, config.batchSize)), envs.observationSize);
  const batch = buffer.allocateBatch(config.batchSize);
  const validationSeeds = episodeSeeds(config.evalEpisodes, VALIDATION_SEED_BASE);

  const metrics: MetricPoint[] = [];
  const emit = (step: number, key: MetricKey, value: number) => metrics.push({ step, key, value });
  const flush = () => {
    if (metrics.length && hooks.onMetrics) hooks.onMetrics(metrics.splice(0));
    else metrics.length = 0;
  };

  const n = config.numEnvs;
  const actions = new Int32Array(n);
  const recent: number[] = [];
  const evaluations: { step: number; mean: number; std: number }[] = [];
  let best: { mean: number; step: number; weights: Float32Array[] } | null = null;
  let thresholdStep: number | null = null;
  let thresholdSeconds: number | null = null;
  let envSteps = 0;
  let gradientSteps = 0;
  let nextTrain = Math.max(config.learningStarts, 0) + config.trainFreq;
  let nextTarget = config.targetUpdateInterval;
  let nextEval = config.evalEvery > 0 ? config.evalEvery : Infinity;
  let nextMetric = METRIC_EVERY;
  const progressEvery = hooks.progressEvery ?? 1000;
  let nextProgress = progressEvery;
  let evalMs = 0;
  let t0 = performance.now();
  const trainSeconds = () => (performance.now() - t0 - evalMs) / 1000;
  let epsilon = config.explorationInitialEps;
  const checkpointEvery = hooks.checkpointEvery ?? 0;
  let nextCheckpoint = checkpointEvery > 0 ? checkpointEvery : Infinity;

  if (resume) {
    if (resume.kind !== 'teacher' || resume.version !== 1) throw new Error(`not a teacher checkpoint (kind ${resume.kind}, version ${resume.version})`);
    envSteps = resume.envSteps;
    gradientSteps = resume.gradientSteps;
    ({ nextTrain, nextTarget, nextEval, nextMetric, nextProgress } = resume.counters);
    online.setWeights(resume.online);
    target.setWeights(resume.target);
    await restoreOptimizer(learner.optimizer, resume.optimizer);
    buffer.restore(resume.buffer);
    actRng.setState(resume.rng.act);
    sampleRng.setState(resume.rng.sample);
    recent.push(...resume.recent);
    evaluations.push(...resume.evaluations);
    best = resume.best;
    thresholdStep = resume.thresholdStep;
    thresholdSeconds = resume.thresholdSeconds;
    t0 -= resume.trainSeconds * 1000;
    if (checkpointEvery > 0) nextCheckpoint = nextMultiple(envSteps, checkpointEvery);
  }
  const checkpoint = async (): Promise<TeacherCheckpoint> => ({
    kind: 'teacher',
    version: 1,
    envSteps,
    gradientSteps,
    counters: { nextTrain, nextTarget, nextEval, nextMetric, nextProgress },
    trainSeconds: trainSeconds(),
    rng: { act: actRng.getState(), sample: sampleRng.getState() },
    online: online.getWeights(),
    target: target.getWeights(),
    optimizer: await optimizerState(learner.optimizer),
    buffer: buffer.snapshot(),
    recent: [...recent],
    evaluations: evaluations.map((e) => ({ ...e })),
    best,
    thresholdStep,
    thresholdSeconds,
  });

  const progress = (): TrainProgress => {
    const elapsed = (performance.now() - t0) / 1000;
    const rate = envSteps / Math.max(elapsed, 1e-9);
    return {
      envSteps,
      totalSteps: config.totalSteps,
      gradientSteps,
      epsilon,
      elapsedSeconds: elapsed,
      etaSeconds: envSteps > 0 ? (config.totalSteps - envSteps) / rate : null,
      recentReturn: recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : null,
      lastEval: evaluations.length ? evaluations[evaluations.length - 1].mean : null,
    };
  };

  try {
    // A resumed run starts fresh episodes, seeded from the run's seed and the step it resumes at.
    let obs = envs.reset(resume ? (config.seed * 1_000_003 + envSteps) % 2 ** 31 : config.seed);
    while (envSteps < config.totalSteps) {
      if (hooks.signal?.aborted) throw abortError();
      // 1. act
      epsilon = scheduleLinear(config.explorationInitialEps, config.explorationFinalEps, config.explorationFraction, config.totalSteps, envSteps);
      const warmup = config.randomWarmup && envSteps < config.learningStarts;
      let needGreedy = false;
      for (let i = 0; i < n; i++) {
        if (warmup || actRng.random() < epsilon) actions[i] = actRng.int(envs.actionCount);
        else {
          actions[i] = -1;
          needGreedy = true;
        }
      }
      if (needGreedy) {
        const greedy = online.act(obs, n);
        for (let i = 0; i < n; i++) if (actions[i] < 0) actions[i] = greedy[i];
      }
      // 2. step and store
      const r = envs.step(actions);
      const obsSize = envs.observationSize;
      for (let i = 0; i < n; i++) {
        buffer.add(obs, actions[i], r.rewards[i], r.finalObservations, r.terminated[i] === 1, i * obsSize);
        if (r.terminated[i] || r.truncated[i]) {
          recent.push(r.episodeReturns[i]);
          if (recent.length > 20) recent.shift();
          emit(envSteps + i + 1, METRIC_KEYS.episodicReturn, r.episodeReturns[i]);
          emit(envSteps + i + 1, METRIC_KEYS.episodicLength, r.episodeLengths[i]);
        }
      }
      // `obs` must not alias the env's reused output buffer across the next step.
      obs = Float32Array.from(r.observations);
      envSteps += n;

      // 3. target network
      while (envSteps >= nextTarget) {
        target.updateFrom(online, config.targetTau);
        nextTarget += config.targetUpdateInterval;
      }
      // 4. gradient updates
      while (envSteps >= nextTrain) {
        const updates = config.gradientSteps === -1 ? config.trainFreq : config.gradientSteps;
        for (let u = 0; u < updates; u++) {
          learner.step(buffer.sample(sampleRng, batch));
          gradientSteps++;
        }
        nextTrain += config.trainFreq;
      }
      // metrics
      if (envSteps >= nextMetric) {
        nextMetric = nextMultiple(envSteps, METRIC_EVERY);
        const stats = learner.drainStats();
        if (stats.steps > 0) {
          if (!Number.isFinite(stats.loss)) {
            throw new Error(`training diverged: TD loss is ${stats.loss} at env step ${envSteps} (gradient step ${gradientSteps}); try a lower learningRate or enable maxGradNorm`);
          }
          emit(envSteps, METRIC_KEYS.tdLoss, stats.loss);
          emit(envSteps, METRIC_KEYS.qValues, stats.qMean);
        }
        emit(envSteps, METRIC_KEYS.epsilon, epsilon);
        emit(envSteps, METRIC_KEYS.gradientSteps, gradientSteps);
        emit(envSteps, METRIC_KEYS.sps, envSteps / Math.max(trainSeconds(), 1e-9));
        flush();
      }
      // 5. periodic validation
      if (envSteps >= nextEval) {
        nextEval = nextMultiple(envSteps, config.evalEvery);
        const e0 = performance.now();
        const ev = evaluatePolicy(config.env, (o, b) => online.act(o, b), validationSeeds);
        evalMs += performance.now() - e0;
        evaluations.push({ step: envSteps, mean: ev.mean, std: ev.std });
        emit(envSteps, METRIC_KEYS.evalMeanReturn, ev.mean);
        emit(envSteps, METRIC_KEYS.evalStdReturn, ev.std);
        if (config.keepBest && (best === null || ev.mean > best.mean)) best = { mean: ev.mean, step: envSteps, weights: online.getWeights() };
        if (thresholdStep === null && ev.mean >= threshold) {
          thresholdStep = envSteps;
          thresholdSeconds = trainSeconds();
          if (config.stopAtThreshold) break;
        }
      }
      if (envSteps >= nextCheckpoint && envSteps < config.totalSteps) {
        nextCheckpoint = nextMultiple(envSteps, checkpointEvery);
        flush();
        await hooks.onCheckpoint?.(await checkpoint());
      }
      if (envSteps >= nextProgress) {
        nextProgress = nextMultiple(envSteps, progressEvery);
        hooks.onProgress?.(progress());
        // Yield to the event loop so that cancellation and progress can get through.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    const stats = learner.drainStats();
    if (stats.steps > 0 && !Number.isFinite(stats.loss)) {
      throw new Error(`training diverged: TD loss is ${stats.loss} at env step ${envSteps}`);
    }
    flush();
    hooks.onProgress?.(progress());
    if (best !== null) online.setWeights(best.weights);
    return {
      network: online,
      config,
      envSteps,
      gradientSteps,
      trainSeconds: trainSeconds(),
      thresholdStep,
      thresholdSeconds,
      evaluations,
      selectedStep: best?.step ?? null,
    };
  } catch (err) {
    online.dispose();
    throw err;
  } finally {
    target.dispose();
    learner.dispose();
  }
}

function abortError(): Error {
  const err = new Error('training cancelled');
  err.name = 'AbortError';
  return err;
}

