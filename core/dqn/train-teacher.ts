/**
 * DQN training (teacher and from-scratch baseline), read top to bottom after CleanRL's dqn.py: config → env →
 * networks → the loop. Deterministic given the config (seed included) and the backend.
 *
 * Per vector step of `numEnvs` transitions:
 *   1. act ε-greedily (uniformly at random before learningStarts when randomWarmup, as SB3);
 *   2. store (s, a, r, s'_true, terminated): truncation is not termination, s'_true is the final obs (with
 *      nStep > 1 the n-step transition that leaves each copy's window);
 *   3. every targetUpdateInterval transitions, update the target network (hard or Polyak);
 *   4. every trainFreq transitions past learningStarts, a block of gradient updates;
 *   5. every evalEvery transitions, a greedy validation (best weights kept; optional stop at a return).
 * Checkpoints, progress, metric delivery and cancellation are the shared session's (core/training).
 */
import { VectorEnv } from '../envs/index.ts';
import { METRIC_KEYS } from '../metrics.ts';
import { optimizerState, restoreOptimizer, type SavedTensor } from '../nn/optimizer-state.ts';
import { QNetwork } from '../nn/q-network.ts';
import { DqnSchedule, NStepStorer, RecentReturns, actEpsilonGreedy, replayCapacity, resetSeed, runStreams, type DqnScheduleState } from '../training/dqn-steps.ts';
import { ConfigError } from '../training/errors.ts';
import type { TrainHooks } from '../training/hooks.ts';
import { TrainingSession } from '../training/session.ts';
import { Validator, type ValidationRecord, type ValidatorState } from '../training/validator.ts';
import { parseDqnConfig, type DqnConfig } from './config.ts';
import { ReplayBuffer, type ReplayBufferSnapshot } from './replay-buffer.ts';
import { scheduleLinear } from './schedule.ts';
import { TdLearner } from './td-learner.ts';

export type { MetricPoint, TrainHooks, TrainProgress } from '../training/hooks.ts';

/** Everything needed to continue a run where its checkpoint was taken, except the episodes in flight (new ones start). */
export interface TeacherCheckpoint {
  readonly kind: 'teacher';
  readonly version: 2;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  readonly schedule: DqnScheduleState;
  readonly rng: { act: number[]; sample: number[] };
  readonly online: Float32Array[];
  readonly target: Float32Array[];
  readonly optimizer: SavedTensor[];
  readonly buffer: ReplayBufferSnapshot;
  readonly recent: number[];
  readonly validator: ValidatorState;
  readonly thresholdStep: number | null;
  readonly thresholdSeconds: number | null;
}

export interface TeacherResult {
  readonly network: QNetwork;
  readonly config: DqnConfig;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  /** The env's reward threshold (Gymnasium's "solved"). */
  readonly rewardThreshold: number;
  /** Env step at which a validation first reached the reward threshold (null if never), and the training seconds until then. */
  readonly thresholdStep: number | null;
  readonly thresholdSeconds: number | null;
  readonly evaluations: ValidationRecord[];
  /** Step of the validation whose weights were returned (null: the final weights). */
  readonly selectedStep: number | null;
  /** Why the run ended before its budget (a validation reached the stop return), or null. */
  readonly stoppedEarly: string | null;
}

const METRIC_EVERY = 1000;

export async function trainTeacher(input: DqnConfig, hooks: TrainHooks<TeacherCheckpoint> = {}, resume?: TeacherCheckpoint): Promise<TeacherResult> {
  const config = parseDqnConfig(input);
  if (resume && (resume.kind !== 'teacher' || resume.version !== 2)) {
    throw new ConfigError('checkpoint', { path: 'checkpoint', message: `not a version-2 teacher checkpoint (kind ${resume.kind}, version ${resume.version}); restart the run` });
  }
  const streams = runStreams(config.seed);
  const envs = new VectorEnv(config.env, config.numEnvs);
  const n = config.numEnvs;
  const threshold = envs.rewardThreshold;
  const online = QNetwork.create({ inputSize: envs.observationSize, hiddenSizes: config.hiddenSizes, outputSize: envs.actionCount }, streams.init);
  const target = online.clone();
  const learner = new TdLearner(online, target, config);
  const buffer = new ReplayBuffer(replayCapacity(config.bufferSize, config.totalSteps, config.batchSize), envs.observationSize);
  const batch = buffer.allocateBatch(config.batchSize);
  const resumed = resume ? { step: resume.envSteps, trainSeconds: resume.trainSeconds } : undefined;
  const session = new TrainingSession<TeacherCheckpoint>({ unit: 'env_steps', total: config.totalSteps, hooks, metricEvery: METRIC_EVERY, what: 'training', ...(resumed ? { resumed } : {}) });
  const validator = new Validator(session, { env: config.env, evalEvery: config.evalEvery, episodes: config.evalEpisodes, keepBest: config.keepBest, ...(resume ? { resumed: { step: resume.envSteps, state: resume.validator } } : {}) });
  const schedule = new DqnSchedule(config, resume?.schedule);
  const recent = new RecentReturns(20, resume?.recent);
  const storer = new NStepStorer(config.nStep, config.gamma, n, envs.observationSize);
  const actions = new Int32Array(n);
  let envSteps = resume?.envSteps ?? 0;
  let gradientSteps = resume?.gradientSteps ?? 0;
  let thresholdStep = resume?.thresholdStep ?? null;
  let thresholdSeconds = resume?.thresholdSeconds ?? null;
  let stoppedEarly: string | null = null;
  let epsilon = config.explorationInitialEps;
  if (resume) {
    online.setWeights(resume.online);
    target.setWeights(resume.target);
    await restoreOptimizer(learner.optimizer, resume.optimizer);
    buffer.restore(resume.buffer);
    streams.act.setState(resume.rng.act);
    streams.sample.setState(resume.rng.sample);
  }
  const status = () => ({ step: envSteps, gradientSteps, epsilon, recentReturn: recent.mean(), lastEval: validator.last() });
  const checkpoint = async (): Promise<TeacherCheckpoint> => ({
    kind: 'teacher', version: 2, envSteps, gradientSteps, trainSeconds: session.trainSeconds(), schedule: schedule.state(),
    rng: { act: streams.act.getState(), sample: streams.sample.getState() }, online: online.getWeights(), target: target.getWeights(),
    optimizer: await optimizerState(learner.optimizer), buffer: buffer.snapshot(), recent: [...recent.values], validator: validator.state(), thresholdStep, thresholdSeconds,
  });

  try {
    let obs = envs.reset(resetSeed(config.seed, resume ? envSteps : null));
    while (envSteps < config.totalSteps) {
      epsilon = scheduleLinear(config.explorationInitialEps, config.explorationFinalEps, config.explorationFraction, config.totalSteps, envSteps);
      actEpsilonGreedy(online, obs, n, epsilon, config.randomWarmup && envSteps < config.learningStarts, streams.act, actions);
      const r = envs.step(actions);
      storer.store(buffer, obs, actions, r, (i) => {
        recent.push(r.episodeReturns[i]);
        session.emit(envSteps + i + 1, METRIC_KEYS.episodicReturn, r.episodeReturns[i]);
        session.emit(envSteps + i + 1, METRIC_KEYS.episodicLength, r.episodeLengths[i]);
      });
      obs = Float32Array.from(r.observations); // must not alias the env's reused output buffer
      envSteps += n;
      for (let t = schedule.targetUpdatesDue(envSteps); t > 0; t--) target.updateFrom(online, config.targetTau);
      for (let u = schedule.updatesDue(envSteps); u > 0; u--, gradientSteps++) learner.step(buffer.sample(streams.sample, batch));

      if (session.metricTick.due(envSteps)) {
        const stats = learner.drainStats();
        if (stats.steps > 0) {
          session.checkFinite('TD loss', stats.loss, envSteps, 'try a lower learningRate or enable maxGradNorm');
          session.emit(envSteps, METRIC_KEYS.tdLoss, stats.loss);
          session.emit(envSteps, METRIC_KEYS.qValues, stats.qMean);
        }
        session.emit(envSteps, METRIC_KEYS.epsilon, epsilon);
        session.emit(envSteps, METRIC_KEYS.gradientSteps, gradientSteps);
        session.emit(envSteps, METRIC_KEYS.sps, envSteps / Math.max(session.trainSeconds(), 1e-9));
        session.flush();
      }
      if (validator.tick.due(envSteps)) {
        const ev = await validator.run(envSteps, online);
        if (thresholdStep === null && ev.mean >= threshold) {
          thresholdStep = envSteps;
          thresholdSeconds = session.trainSeconds();
        }
        if (config.stopAtThreshold && ev.mean >= threshold) stoppedEarly = `validation return ${ev.mean} reached the reward threshold ${threshold}`;
        else if (config.stopAtReturn !== null && ev.mean >= config.stopAtReturn) stoppedEarly = `validation return ${ev.mean} reached stopAtReturn ${config.stopAtReturn}`;
        if (stoppedEarly) break;
      }
      await session.endOfStep(status(), checkpoint);
    }
    const last = learner.drainStats();
    if (last.steps > 0) session.checkFinite('TD loss', last.loss, envSteps, 'try a lower learningRate or enable maxGradNorm');
    session.finish(status());
    const selectedStep = validator.selectBest(online);
    return { network: online, config, envSteps, gradientSteps, trainSeconds: session.trainSeconds(), rewardThreshold: threshold, thresholdStep, thresholdSeconds, evaluations: validator.evaluations, selectedStep, stoppedEarly };
  } catch (err) {
    online.dispose();
    throw err;
  } finally {
    target.dispose();
    learner.dispose();
  }
}
