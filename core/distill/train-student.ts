/**
 * Student training (seed §3.2, §4.2), read top to bottom: config → data (KB split, soft-target source) →
 * networks → helpers → the loop.
 *
 * offline: each update samples a minibatch of KB transitions from the training episodes. Its soft target is
 *   the teacher's Q stored with that state: retrieval of a KB state finds the state itself at distance 0
 *   (inverse-distance weights make it dominate), so the stored row *is* the retrieval result, read directly.
 *   With source `teacher` the live teacher is queried instead.
 * online: the student acts ε-greedily in a vector env and stores its own transitions; when a state is
 *   stored, its soft target is fetched once (KB retrieval with k neighbours and a radius — masked when there
 *   is no neighbour within it — or a teacher forward pass) and kept beside it in the replay buffer.
 * Every `evalEvery` budget steps the student is evaluated greedily on validation seeds (best weights kept;
 * the adaptive α reads these returns).
 */
import { VectorEnv } from '../envs/index.ts';
import { ReplayBuffer, type ReplayBatch, type ReplayBufferSnapshot } from '../dqn/replay-buffer.ts';
import { nextMultiple, scheduleLinear } from '../dqn/schedule.ts';
import type { MetricPoint, TrainHooks, TrainProgress } from '../dqn/train-teacher.ts';
import { VALIDATION_SEED_BASE, episodeSeeds, evaluatePolicy } from '../eval/evaluate.ts';
import { monteCarloReturns, splitKnowledgeBase } from '../kb/episodes.ts';
import type { KnowledgeBase } from '../kb/knowledge-base.ts';
import { METRIC_KEYS, type MetricKey } from '../metrics.ts';
import { optimizerState, restoreOptimizer, type SavedTensor } from '../nn/optimizer-state.ts';
import type { QFunction } from '../nn/q-function.ts';
import { QNetwork } from '../nn/q-network.ts';
import { KnnIndex } from '../retrieval/knn-index.ts';
import { softTargets } from '../retrieval/soft-targets.ts';
import { Rng } from '../util/rng.ts';
import { AlphaSchedule, normalizedScore } from './alpha-schedule.ts';
import { parseStudentConfig, type StudentConfig } from './config.ts';
import { StudentLearner, type StudentBatch } from './student-learner.ts';

/** The normalised score whose first validation `thresholdSeconds` reports. */
export const STUDENT_SCORE_THRESHOLD = 0.95;

export interface StudentInputs {
  readonly config: StudentConfig;
  /** Required for source `teacher`; its shape is checked against the env. */
  readonly teacher?: QFunction | null;
  /** Required for mode `offline` and source `kb`. */
  readonly kb?: KnowledgeBase | null;
  /** Greedy test returns of the teacher and of a random policy (normalised score, adaptive α). */
  readonly teacherReturn?: number;
  readonly randomReturn?: number;
}

export interface StudentResult {
  readonly network: QNetwork;
  readonly config: StudentConfig;
  /** Env transitions the student itself took (online) or KB rows it trained on (offline). */
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  /** Validation evaluations; `seconds`: training seconds (evaluation time excluded) when it was taken. */
  readonly evaluations: { step: number; mean: number; std: number; alpha: number; seconds?: number }[];
  readonly selectedStep: number | null;
  /**
   * First validation with a normalised score ≥ 0.95 (needs teacherReturn and randomReturn): its budget step
   * and training seconds, as the teacher's thresholdStep / thresholdSeconds. Null if never (or unknown).
   */
  readonly thresholdStep: number | null;
  readonly thresholdSeconds: number | null;
  /** Row indices of the held-out KB episodes (agreement and Q-error are measured there). */
  readonly heldOutRows: Int32Array;
}

/** What a student run needs to continue from where the checkpoint was taken (online: new episodes start). */
export interface StudentCheckpoint {
  readonly kind: 'student';
  readonly version: 1;
  readonly budget: number;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly counters: { nextProgress: number; nextEval: number; nextMetric: number; nextTrain: number };
  readonly trainSeconds: number;
  readonly rng: { sample: number[]; act: number[] };
  readonly student: Float32Array[];
  readonly target: Float32Array[] | null;
  readonly optimizer: SavedTensor[];
  readonly studentReturn: number | null;
  readonly evaluations: StudentResult['evaluations'];
  readonly best: { mean: number; step: number; weights: Float32Array[] } | null;
  readonly replay: { buffer: ReplayBufferSnapshot; softQ: Float32Array; softMask: Float32Array } | null;
}

export async function trainStudent(inputs: StudentInputs, hooks: TrainHooks & { onStudentCheckpoint?: (c: StudentCheckpoint) => void | Promise<void> } = {}, resume?: StudentCheckpoint): Promise<StudentResult> {
  const config = parseStudentConfig(inputs.config);
  const { kb = null, teacher = null } = inputs;
  if (config.mode === 'offline' && !kb) throw new Error('offline distillation needs a knowledge base');
  if (config.source === 'kb' && !kb) throw new Error('source kb needs a knowledge base');
  if (config.source === 'teacher' && !teacher) throw new Error('source teacher needs the teacher network');

  // The env copies the online student acts in (one, only for its sizes, offline).
  const envs = new VectorEnv(config.env, config.mode === 'online' ? config.numEnvs : 1);
  const n = envs.observationSize;
  const a = envs.actionCount;
  if (kb && (kb.meta.env !== config.env || kb.meta.observationSize !== n || kb.meta.actionCount !== a)) {
    throw new Error(`the knowledge base is for ${kb.meta.env} (${kb.meta.observationSize} observations, ${kb.meta.actionCount} actions), the student for ${config.env} (${n}, ${a})`);
  }
  if (teacher && (teacher.spec.inputSize !== n || teacher.spec.outputSize !== a)) {
    throw new Error(`the teacher is a ${teacher.spec.inputSize}→${teacher.spec.outputSize} network, ${config.env} needs ${n}→${a}`);
  }

  const rng = new Rng(config.seed);
  const initRng = rng.fork();
  const sampleRng = rng.fork();
  const actRng = rng.fork();

  // Data: KB split by episode; MC returns; retrieval index over the training rows.
  const split = kb ? splitKnowledgeBase(kb, config.heldOutFraction) : { train: new Int32Array(0), heldOut: new Int32Array(0) };
  if (kb && config.mode === 'offline' && split.train.length === 0) throw new Error('the knowledge base has no training rows');
  const returns = kb && config.hardLoss === 'mc' ? monteCarloReturns(kb, config.gamma) : null;
  let index: KnnIndex | null = null;
  let indexQ: Float32Array | null = null;
  if (kb && config.source === 'kb' && config.mode === 'online') {
    const pts = new Float32Array(split.train.length * n);
    indexQ = new Float32Array(split.train.length * a);
    split.train.forEach((row, i) => {
      pts.set(kb.states.subarray(row * n, row * n + n), i * n);
      indexQ!.set(kb.teacherQ.subarray(row * a, row * a + a), i * a);
    });
    index = new KnnIndex(pts, n);
  }

  // Networks.
  const student = QNetwork.create({ inputSize: n, hiddenSizes: config.hiddenSizes, outputSize: a }, initRng);
  const target = config.hardLoss === 'td' ? student.clone() : null;
  const learner = new StudentLearner(student, target, config);
  const alpha = new AlphaSchedule({
    kind: config.alphaSchedule,
    alpha: config.alpha,
    alphaEnd: config.alphaEnd,
    totalSteps: config.steps,
    ...(inputs.teacherReturn !== undefined ? { teacherReturn: inputs.teacherReturn } : {}),
    ...(inputs.randomReturn !== undefined ? { randomReturn: inputs.randomReturn } : {}),
  });
  const validationSeeds = episodeSeeds(config.evalEpisodes, VALIDATION_SEED_BASE);

  // Helpers.
  const B = config.batchSize;
  const batch = {
    size: B,
    obs: new Float32Array(B * n),
    actions: new Int32Array(B),
    rewards: new Float32Array(B),
    nextObs: new Float32Array(B * n),
    terminated: new Float32Array(B),
    returns: new Float32Array(B),
    softQ: new Float32Array(B * a),
    softMask: new Float32Array(B),
  };
  const teacherSoft = (obs: Float32Array, count: number, q: Float32Array, mask: Float32Array) => {
    q.set(teacher!.predict(obs.subarray(0, count * n), count));
    mask.fill(1, 0, count);
  };
  const fillOfflineBatch = (): StudentBatch => {
    for (let i = 0; i < B; i++) {
      const row = split.train[sampleRng.int(split.train.length)];
      batch.obs.set(kb!.states.subarray(row * n, row * n + n), i * n);
      batch.nextObs.set(kb!.nextStates.subarray(row * n, row * n + n), i * n);
      batch.actions[i] = kb!.actions[row];
      batch.rewards[i] = kb!.rewards[row];
      batch.terminated[i] = kb!.terminated[row];
      if (returns) batch.returns[i] = returns[row];
      if (config.source === 'kb') {
        batch.softQ.set(kb!.teacherQ.subarray(row * a, row * a + a), i * a);
        batch.softMask[i] = 1;
      }
    }
    if (config.source === 'teacher') teacherSoft(batch.obs, B, batch.softQ, batch.softMask);
    return batch;
  };

  const metrics: MetricPoint[] = [];
  const emit = (step: number, key: MetricKey, value: number) => metrics.push({ step, key, value });
  const evaluations: StudentResult['evaluations'] = [];
  let best: { mean: number; step: number; weights: Float32Array[] } | null = null;
  let gradientSteps = 0;
  let budget = 0; // updates (offline) or transitions (online)
  let envSteps = 0;
  let evalMs = 0;
  const t0 = performance.now();
  const trainSeconds = () => (performance.now() - t0 - evalMs + t0Shift) / 1000;
  const progressEvery = hooks.progressEvery ?? Math.max(1, Math.round(config.steps / 100));
  let nextProgress = progressEvery;
  let nextEval = config.evalEvery > 0 ? config.evalEvery : Infinity;
  const metricEvery = Math.max(1, Math.round(config.steps / 200));
  let nextMetric = metricEvery;
  let epsilon = config.explorationInitialEps;

  let nextTrain = config.learningStarts + config.trainFreq;
  const checkpointEvery = hooks.checkpointEvery ?? 0;
  let nextCheckpoint = checkpointEvery > 0 ? checkpointEvery : Infinity;
  let t0Shift = 0;
  // Online replay with soft targets stored beside each transition.
  const online =
    config.mode === 'online'
      ? (() => {
          const replay = new ReplayBuffer(Math.min(config.bufferSize, config.steps + config.numEnvs), n);
          return { replay, softQ: new Float32Array(replay.capacity * a), softMask: new Float32Array(replay.capacity) };
        })()
      : null;
  if (resume) {
    if (resume.kind !== 'student' || resume.version !== 1) throw new Error(`not a student checkpoint (kind ${resume.kind}, version ${resume.version})`);
    budget = resume.budget;
    envSteps = resume.envSteps;
    gradientSteps = resume.gradientSteps;
    ({ nextProgress, nextEval, nextMetric, nextTrain } = resume.counters);
    student.setWeights(resume.student);
    if (target && resume.target) target.setWeights(resume.target);
    await restoreOptimizer(learner.optimizer, resume.optimizer);
    sampleRng.setState(resume.rng.sample);
    actRng.setState(resume.rng.act);
    if (resume.studentReturn !== null) alpha.observeStudentReturn(resume.studentReturn);
    evaluations.push(...resume.evaluations);
    best = resume.best;
    if (online && resume.replay) {
      online.replay.restore(resume.replay.buffer);
      online.softQ.set(resume.replay.softQ);
      online.softMask.set(resume.replay.softMask);
    }
    t0Shift = resume.trainSeconds * 1000;
    if (checkpointEvery > 0) nextCheckpoint = nextMultiple(budget, checkpointEvery);
  }
  let lastStudentReturn: number | null = resume?.studentReturn ?? null;
  const takeCheckpoint = async (): Promise<StudentCheckpoint> => ({
    kind: 'student',
    version: 1,
    budget,
    envSteps,
    gradientSteps,
    counters: { nextProgress, nextEval, nextMetric, nextTrain },
    trainSeconds: trainSeconds(),
    rng: { sample: sampleRng.getState(), act: actRng.getState() },
    student: student.getWeights(),
    target: target?.getWeights() ?? null,
    optimizer: await optimizerState(learner.optimizer),
    studentReturn: lastStudentReturn,
    evaluations: evaluations.map((e) => ({ ...e })),
    best,
    replay: online ? { buffer: online.replay.snapshot(), softQ: online.softQ.slice(), softMask: online.softMask.slice() } : null,
  });

  const update = (b: StudentBatch) => {
    learner.step(b, alpha.valueAt(budget));
    gradientSteps++;
    if (target && gradientSteps % config.targetUpdateInterval === 0) target.updateFrom(student);
  };
  const checkpoint = async () => {
    if (budget >= nextMetric) {
      nextMetric = nextMultiple(budget, metricEvery);
      const s = learner.drainStats();
      if (s.steps > 0) {
        if (!Number.isFinite(s.loss)) throw new Error(`distillation diverged: loss is ${s.loss} at step ${budget}; try a lower learningRate or a larger tau`);
        emit(budget, METRIC_KEYS.distillLoss, s.loss);
        emit(budget, METRIC_KEYS.hardLoss, s.hard);
        emit(budget, METRIC_KEYS.softLoss, s.soft);
      }
      emit(budget, METRIC_KEYS.alpha, alpha.valueAt(budget));
      if (hooks.onMetrics) hooks.onMetrics(metrics.splice(0));
      else metrics.length = 0;
    }
    if (budget >= nextEval) {
      nextEval = nextMultiple(budget, config.evalEvery);
      const e0 = performance.now();
      const ev = evaluatePolicy(config.env, (o, c) => student.act(o, c), validationSeeds);
      evalMs += performance.now() - e0;
      alpha.observeStudentReturn(ev.mean);
      lastStudentReturn = ev.mean;
      evaluations.push({ step: budget, mean: ev.mean, std: ev.std, alpha: alpha.valueAt(budget), seconds: trainSeconds() });
      emit(budget, METRIC_KEYS.evalMeanReturn, ev.mean);
      emit(budget, METRIC_KEYS.evalStdReturn, ev.std);
      if (config.keepBest && (best === null || ev.mean > best.mean)) best = { mean: ev.mean, step: budget, weights: student.getWeights() };
    }
    if (budget >= nextCheckpoint && budget < config.steps) {
      nextCheckpoint = nextMultiple(budget, checkpointEvery);
      if (hooks.onMetrics && metrics.length) hooks.onMetrics(metrics.splice(0));
      await hooks.onStudentCheckpoint?.(await takeCheckpoint());
    }
    if (budget >= nextProgress) {
      nextProgress = nextMultiple(budget, progressEvery);
      hooks.onProgress?.(progress());
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (hooks.signal?.aborted) {
        const err = new Error('distillation cancelled');
        err.name = 'AbortError';
        throw err;
      }
    }
  };
  const progress = (): TrainProgress => {
    const elapsed = (performance.now() - t0 + t0Shift) / 1000;
    return {
      envSteps: budget,
      totalSteps: config.steps,
      gradientSteps,
      epsilon,
      elapsedSeconds: elapsed,
      etaSeconds: budget > 0 ? ((config.steps - budget) * elapsed) / budget : null,
      recentReturn: null,
      lastEval: evaluations.length ? evaluations[evaluations.length - 1].mean : null,
    };
  };

  try {
    if (config.mode === 'offline') {
      while (budget < config.steps) {
        update(fillOfflineBatch());
        budget++;
        await checkpoint();
      }
      envSteps = split.train.length;
    } else {
      // Online: the student's own experience, with soft targets fetched when a state is stored.
      const { replay, softQ, softMask } = online!;
      const sampled: ReplayBatch = replay.allocateBatch(B);
      const stepQ = new Float32Array(config.numEnvs * a);
      const stepMask = new Float32Array(config.numEnvs);
      const actions = new Int32Array(config.numEnvs);
      let obs = envs.reset(resume ? (config.seed * 1_000_003 + budget) % 2 ** 31 : config.seed);
      while (budget < config.steps) {
        epsilon = scheduleLinear(config.explorationInitialEps, config.explorationFinalEps, config.explorationFraction, config.steps, budget);
        const greedy = student.act(obs, config.numEnvs);
        for (let i = 0; i < config.numEnvs; i++) actions[i] = actRng.random() < epsilon ? actRng.int(a) : greedy[i];
        // Soft targets for the states about to be stored.
        if (config.source === 'kb') {
          const t = softTargets(index!, indexQ!, a, obs, config.numEnvs, { k: config.k, ...(config.radius !== null ? { radius: config.radius } : {}) });
          stepQ.set(t.q);
          stepMask.set(t.mask);
        } else teacherSoft(obs, config.numEnvs, stepQ, stepMask);
        const r = envs.step(actions);
        for (let i = 0; i < config.numEnvs; i++) {
          const slot = replay.position % replay.capacity;
          replay.add(obs, actions[i], r.rewards[i], r.finalObservations, r.terminated[i] === 1, i * n);
          softQ.set(stepQ.subarray(i * a, i * a + a), slot * a);
          softMask[slot] = stepMask[i];
          if (r.terminated[i] || r.truncated[i]) emit(budget + i + 1, METRIC_KEYS.episodicReturn, r.episodeReturns[i]);
        }
        obs = Float32Array.from(r.observations);
        budget += config.numEnvs;
        envSteps += config.numEnvs;
        while (budget >= nextTrain) {
          for (let u = 0; u < config.gradientSteps; u++) {
            replay.sample(sampleRng, sampled);
            for (let i = 0; i < B; i++) {
              const j = sampled.indices[i];
              batch.softQ.set(softQ.subarray(j * a, j * a + a), i * a);
              batch.softMask[i] = softMask[j];
            }
            update({ ...sampled, returns: undefined, softQ: batch.softQ, softMask: batch.softMask });
          }
          nextTrain += config.trainFreq;
        }
        await checkpoint();
      }
    }
    const last = learner.drainStats();
    if (last.steps > 0 && !Number.isFinite(last.loss)) throw new Error(`distillation diverged: loss is ${last.loss} at step ${budget}`);
    if (hooks.onMetrics && metrics.length) hooks.onMetrics(metrics.splice(0));
    hooks.onProgress?.(progress());
    const finalBest = best as { mean: number; step: number; weights: Float32Array[] } | null;
    const { teacherReturn, randomReturn } = inputs;
    const hit = teacherReturn === undefined || randomReturn === undefined ? undefined : evaluations.find((e) => normalizedScore(e.mean, teacherReturn, randomReturn) >= STUDENT_SCORE_THRESHOLD);
    if (finalBest) student.setWeights(finalBest.weights);
    return {
      network: student,
      config,
      envSteps,
      gradientSteps,
      trainSeconds: trainSeconds(),
      evaluations,
      selectedStep: finalBest?.step ?? null,
      heldOutRows: split.heldOut,
      thresholdStep: hit?.step ?? null,
      thresholdSeconds: hit?.seconds ?? null,
    };
  } catch (err) {
    student.dispose();
    throw err;
  } finally {
    target?.dispose();
    learner.dispose();
  }
}
