/**
 * Student training (seed §3.2, §4.2), read top to bottom: config → data (KB split, soft-target source) →
 * networks → the loop of the data mode (distill-offline.ts, distill-online.ts).
 *
 * Soft targets by method (config.ts): supervised = each KB row's stored teacher Q (Rusu et al. 2016);
 * retrieval = the teacher Q of the nearest KB training states to the student's own states, within a radius
 * (resolved from the KB when 'auto', reported in the result and logged with the mask rate and retrieval
 * distance); teacher = a live teacher forward pass. Checkpoints, progress, metrics, validation with keep-best
 * and cancellation are the shared session's (core/training).
 */
import { VectorEnv } from '../envs/index.ts';
import { splitKnowledgeBase } from '../kb/episodes.ts';
import type { KnowledgeBase } from '../kb/knowledge-base.ts';
import { metricUnit } from '../metrics.ts';
import { optimizerState, restoreOptimizer, type SavedTensor } from '../nn/optimizer-state.ts';
import type { QFunction } from '../nn/q-function.ts';
import { QNetwork } from '../nn/q-network.ts';
import { scoreOn, scoreScale } from '../eval/score.ts';
import type { ReplayBufferSnapshot } from '../dqn/replay-buffer.ts';
import { runStreams, type DqnScheduleState } from '../training/dqn-steps.ts';
import { ConfigError } from '../training/errors.ts';
import type { TrainHooks } from '../training/hooks.ts';
import { TrainingSession } from '../training/session.ts';
import { Validator, type ValidationRecord, type ValidatorState } from '../training/validator.ts';
import { AlphaSchedule } from './alpha-schedule.ts';
import { parseStudentConfig, type StudentConfig } from './config.ts';
import { distillOffline } from './distill-offline.ts';
import { distillOnline } from './distill-online.ts';
import { StudentLearner } from './student-learner.ts';
import { RetrievalTargets, TeacherTargets, type OutsideRadiusSample, type RetrievalCounters, type RetrievalReport, type SoftTargetSource } from './targets.ts';

export interface StudentInputs {
  readonly config: StudentConfig;
  /** Required for method teacher (a tfjs network or any QFunction, e.g. an ONNX teacher); its shape is checked against the env. */
  readonly teacher?: QFunction | null;
  /** Required for methods supervised and retrieval, and for offline students. */
  readonly kb?: KnowledgeBase | null;
  /** Greedy test returns of the teacher and of a random policy (adaptive α). */
  readonly teacherReturn?: number;
  readonly randomReturn?: number;
}

/** The normalised score whose first validation `thresholdSeconds` reports. */
export const STUDENT_SCORE_THRESHOLD = 0.95;

export interface StudentResult {
  readonly network: QNetwork;
  /** The config it trained with, the retrieval radius resolved to a number. */
  readonly config: StudentConfig;
  /** Env transitions the student took itself (online; 0 offline: it learned from the KB's rows). */
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  /** Validations, at budget steps (updates offline, env steps online). */
  readonly evaluations: ValidationRecord[];
  readonly selectedStep: number | null;
  /**
   * First validation with a normalised score ≥ STUDENT_SCORE_THRESHOLD (needs teacherReturn and randomReturn,
   * and a teacher better than random by the margin): its budget step and training seconds, as the teacher's
   * thresholdStep / thresholdSeconds. Null if never (or unknown).
   */
  readonly thresholdStep: number | null;
  readonly thresholdSeconds: number | null;
  /** Row indices of the held-out KB episodes (agreement and Q-error are measured there). */
  readonly heldOutRows: Int32Array;
  readonly retrieval: RetrievalReport | null;
  /** Retrieval students: a uniform sample of their states that had no KB neighbour within the radius. */
  readonly outsideRadius: OutsideRadiusSample | null;
}

/** What a student run needs to continue from its checkpoint (online: new episodes start). */
export interface StudentCheckpoint {
  readonly kind: 'student';
  readonly version: 2;
  /** Budget step: updates offline, env transitions online. */
  readonly step: number;
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly trainSeconds: number;
  readonly rng: { act: number[]; sample: number[] };
  readonly student: Float32Array[];
  readonly target: Float32Array[] | null;
  readonly optimizer: SavedTensor[];
  /** The last validation return the adaptive α read. */
  readonly studentReturn: number | null;
  readonly validator: ValidatorState;
  readonly retrieval: RetrievalCounters | null;
  readonly online: { schedule: DqnScheduleState; buffer: ReplayBufferSnapshot; softQ: Float32Array; softMask: Float32Array; recent: number[] } | null;
}

/** The pieces both data-mode loops train with (built by `trainStudent`). */
export interface StudentRun {
  readonly config: StudentConfig;
  readonly kb: KnowledgeBase | null;
  readonly trainRows: Int32Array;
  readonly envs: VectorEnv;
  readonly streams: ReturnType<typeof runStreams>;
  readonly student: QNetwork;
  readonly target: QNetwork | null;
  readonly learner: StudentLearner;
  readonly alpha: AlphaSchedule;
  /** 'stored': the KB rows' own Q; null: α is 1 throughout, no soft target is needed. */
  readonly soft: 'stored' | SoftTargetSource | null;
  readonly session: TrainingSession<StudentCheckpoint>;
  readonly validator: Validator;
  /** The parts of a checkpoint common to both modes. */
  checkpoint(step: number, envSteps: number, gradientSteps: number, online: StudentCheckpoint['online']): Promise<StudentCheckpoint>;
}

export async function trainStudent(inputs: StudentInputs, hooks: TrainHooks<StudentCheckpoint> = {}, resume?: StudentCheckpoint): Promise<StudentResult> {
  const config = parseStudentConfig(inputs.config);
  const { kb = null, teacher = null } = inputs;
  if (resume && (resume.kind !== 'student' || resume.version !== 2)) throw new ConfigError('checkpoint', { path: 'checkpoint', message: `not a version-2 student checkpoint (kind ${resume.kind}, version ${resume.version}); restart the run` });
  if (!kb && (config.method !== 'teacher' || config.mode === 'offline')) throw new ConfigError('student inputs', { path: 'kb', message: `method ${config.method} (${config.mode}) needs a knowledge base` });
  if (!teacher && config.method === 'teacher') throw new ConfigError('student inputs', { path: 'teacher', message: 'method teacher needs the teacher network' });
  const envs = new VectorEnv(config.env, config.mode === 'online' ? config.numEnvs : 1);
  const n = envs.observationSize;
  const a = envs.actionCount;
  if (kb && (kb.meta.env !== config.env || kb.meta.observationSize !== n || kb.meta.actionCount !== a)) {
    throw new ConfigError('student inputs', { path: 'kb', message: `the knowledge base is for ${kb.meta.env} (${kb.meta.observationSize} observations, ${kb.meta.actionCount} actions), the student for ${config.env} (${n}, ${a})` });
  }
  if (teacher && (teacher.spec.inputSize !== n || teacher.spec.outputSize !== a)) {
    throw new ConfigError('student inputs', { path: 'teacher', message: `the teacher is a ${teacher.spec.inputSize}→${teacher.spec.outputSize} network, ${config.env} needs ${n}→${a}` });
  }

  // Data: the KB split by episode (held-out episodes are never trained on nor retrieved from), the soft-target source.
  const split = kb ? splitKnowledgeBase(kb, config.heldOutFraction) : { train: new Int32Array(0), heldOut: new Int32Array(0) };
  if (kb && split.train.length < 2) throw new ConfigError('student inputs', { path: 'kb', message: `the knowledge base has ${split.train.length} training row(s) after holding out episodes` });
  const softNever = config.alphaSchedule === 'constant' && config.alpha === 1;
  const retrieval = config.method === 'retrieval' && !softNever ? new RetrievalTargets(kb!, split.train, config.k, config.radius, config.seed) : null;
  const soft = softNever ? null : config.method === 'supervised' ? 'stored' : (retrieval ?? new TeacherTargets(teacher!));
  const resolved: StudentConfig = retrieval ? { ...config, radius: retrieval.radius } : config;

  // Networks, in the seed's stream order (init, act, sample): the same as a DQN baseline of the same seed.
  const streams = runStreams(config.seed);
  const student = QNetwork.create({ inputSize: n, hiddenSizes: config.hiddenSizes, outputSize: a }, streams.init);
  const target = config.hardLoss === 'td' ? student.clone() : null;
  const learner = new StudentLearner(student, target, config);
  const alpha = new AlphaSchedule({
    kind: config.alphaSchedule, alpha: config.alpha, alphaEnd: config.alphaEnd, totalSteps: config.steps,
    ...(inputs.teacherReturn !== undefined ? { teacherReturn: inputs.teacherReturn } : {}),
    ...(inputs.randomReturn !== undefined ? { randomReturn: inputs.randomReturn } : {}),
  });
  const resumed = resume ? { step: resume.step, trainSeconds: resume.trainSeconds } : undefined;
  const session = new TrainingSession<StudentCheckpoint>({ unit: metricUnit('student', config.mode), total: config.steps, hooks, metricEvery: Math.max(1, Math.round(config.steps / 200)), what: 'distillation', ...(resumed ? { resumed } : {}) });
  const validator = new Validator(session, { env: config.env, evalEvery: config.evalEvery, episodes: config.evalEpisodes, keepBest: config.keepBest, ...(resume ? { resumed: { step: resume.step, state: resume.validator } } : {}) });
  if (resume) {
    student.setWeights(resume.student);
    if (target && resume.target) target.setWeights(resume.target);
    await restoreOptimizer(learner.optimizer, resume.optimizer);
    streams.act.setState(resume.rng.act);
    streams.sample.setState(resume.rng.sample);
    if (resume.studentReturn !== null) alpha.observeStudentReturn(resume.studentReturn);
    if (retrieval && resume.retrieval) retrieval.restoreCounters(resume.retrieval);
  }
  const run: StudentRun = {
    config: resolved, kb, trainRows: split.train, envs, streams, student, target, learner, alpha, soft, session, validator,
    checkpoint: async (step, envSteps, gradientSteps, online) => ({
      kind: 'student', version: 2, step, envSteps, gradientSteps, trainSeconds: session.trainSeconds(),
      rng: { act: streams.act.getState(), sample: streams.sample.getState() }, student: student.getWeights(), target: target?.getWeights() ?? null,
      optimizer: await optimizerState(learner.optimizer), studentReturn: alpha.studentReturn, validator: validator.state(), retrieval: retrieval?.counters() ?? null, online,
    }),
  };

  try {
    const trained = config.mode === 'offline' ? await distillOffline(run, resume) : await distillOnline(run, resume);
    const selectedStep = validator.selectBest(student);
    const hit = firstAtScore(config.env, validator.evaluations, inputs.teacherReturn, inputs.randomReturn);
    return {
      network: student, config: resolved, ...trained, trainSeconds: session.trainSeconds(), evaluations: validator.evaluations, selectedStep,
      thresholdStep: hit?.step ?? null, thresholdSeconds: hit?.trainSeconds ?? null, heldOutRows: split.heldOut, retrieval: retrieval?.report() ?? null,
      outsideRadius: retrieval?.outsideSample() ?? null,
    };
  } catch (err) {
    student.dispose();
    throw err;
  } finally {
    target?.dispose();
    learner.dispose();
  }
}

/** The first validation whose normalised score reaches STUDENT_SCORE_THRESHOLD (null without a valid score scale). */
function firstAtScore(env: string, evaluations: readonly ValidationRecord[], teacherReturn?: number, randomReturn?: number): ValidationRecord | null {
  if (teacherReturn === undefined || randomReturn === undefined) return null;
  const scale = scoreScale(env, teacherReturn, randomReturn);
  if (!scale.valid) return null;
  return evaluations.find((e) => (scoreOn(scale, e.mean) ?? -Infinity) >= STUDENT_SCORE_THRESHOLD) ?? null;
}
