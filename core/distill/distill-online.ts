/**
 * Online distillation: the student acts ε-greedily in the env and learns from its own replay buffer, with
 * the DQN schedule of the teacher and the baselines (core/training/dqn-steps.ts). When a state is stored its
 * soft target is fetched once (retrieval from the KB, or the live teacher) and kept beside it; each update
 * samples transitions with their targets. The budget, and every metric's x-axis, is env transitions.
 */
import { ReplayBuffer } from '../dqn/replay-buffer.ts';
import { scheduleLinear } from '../dqn/schedule.ts';
import { METRIC_KEYS } from '../metrics.ts';
import { DqnSchedule, RecentReturns, actEpsilonGreedy, replayCapacity, resetSeed, storeVectorStep } from '../training/dqn-steps.ts';
import { checkLastLosses, recordLosses } from './distill-offline.ts';
import { RetrievalTargets } from './targets.ts';
import type { StudentCheckpoint, StudentRun } from './train-student.ts';

export async function distillOnline(run: StudentRun, resume?: StudentCheckpoint): Promise<{ envSteps: number; gradientSteps: number }> {
  const { config, envs, learner, target, student, alpha, session, validator, streams, soft } = run;
  const n = config.numEnvs;
  const a = envs.actionCount;
  const replay = new ReplayBuffer(replayCapacity(config.bufferSize, config.steps, config.batchSize), envs.observationSize);
  const sampled = replay.allocateBatch(config.batchSize);
  // Soft targets beside the transitions: per buffer slot, per vector step, per sampled batch.
  const slotQ = new Float32Array(replay.capacity * a);
  const slotMask = new Float32Array(replay.capacity);
  const stepQ = new Float32Array(n * a);
  const stepMask = new Float32Array(n);
  const batchQ = new Float32Array(config.batchSize * a);
  const batchMask = new Float32Array(config.batchSize);
  const schedule = new DqnSchedule(config, resume?.online?.schedule);
  const recent = new RecentReturns(20, resume?.online?.recent);
  const actions = new Int32Array(n);
  let envSteps = resume?.step ?? 0;
  let gradientSteps = resume?.gradientSteps ?? 0;
  let epsilon = config.explorationInitialEps;
  if (resume?.online) {
    replay.restore(resume.online.buffer);
    slotQ.set(resume.online.softQ);
    slotMask.set(resume.online.softMask);
  }
  const status = () => ({ step: envSteps, gradientSteps, epsilon, recentReturn: recent.mean(), lastEval: validator.last() });
  const onlineState = () => ({ schedule: schedule.state(), buffer: replay.snapshot(), softQ: slotQ.slice(), softMask: slotMask.slice(), recent: [...recent.values] });

  let obs = envs.reset(resetSeed(config.seed, resume ? envSteps : null));
  while (envSteps < config.steps) {
    epsilon = scheduleLinear(config.explorationInitialEps, config.explorationFinalEps, config.explorationFraction, config.steps, envSteps);
    actEpsilonGreedy(student, obs, n, epsilon, config.randomWarmup && envSteps < config.learningStarts, streams.act, actions);
    if (soft !== null && soft !== 'stored') soft.fill(obs, n, stepQ, stepMask);
    const r = envs.step(actions);
    storeVectorStep(replay, obs, actions, r, n, (i, slot) => {
      slotQ.set(stepQ.subarray(i * a, i * a + a), slot * a);
      slotMask[slot] = stepMask[i];
    }, (i) => {
      recent.push(r.episodeReturns[i]);
      session.emit(envSteps + i + 1, METRIC_KEYS.episodicReturn, r.episodeReturns[i]);
    });
    obs = Float32Array.from(r.observations);
    envSteps += n;
    for (let t = schedule.targetUpdatesDue(envSteps); t > 0; t--) target?.updateFrom(student);
    for (let u = schedule.updatesDue(envSteps); u > 0; u--, gradientSteps++) {
      replay.sample(streams.sample, sampled);
      for (let i = 0; i < config.batchSize; i++) {
        const j = sampled.indices[i];
        batchQ.set(slotQ.subarray(j * a, j * a + a), i * a);
        batchMask[i] = slotMask[j];
      }
      learner.step({ ...sampled, softQ: batchQ, softMask: batchMask }, alpha.valueAt(envSteps));
    }

    if (session.metricTick.due(envSteps)) {
      session.emit(envSteps, METRIC_KEYS.epsilon, epsilon);
      session.emit(envSteps, METRIC_KEYS.gradientSteps, gradientSteps);
      const window = soft instanceof RetrievalTargets ? soft.drainWindow() : null;
      if (window) {
        session.emit(envSteps, METRIC_KEYS.maskRate, window.maskRate);
        session.emit(envSteps, METRIC_KEYS.retrievalDistance, window.meanDistance);
      }
      recordLosses(run, envSteps);
    }
    if (validator.tick.due(envSteps)) alpha.observeStudentReturn((await validator.run(envSteps, student)).mean);
    await session.endOfStep(status(), () => run.checkpoint(envSteps, envSteps, gradientSteps, onlineState()));
  }
  checkLastLosses(run, envSteps);
  session.finish(status());
  return { envSteps, gradientSteps };
}
