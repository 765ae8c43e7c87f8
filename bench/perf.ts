/**
 * `npm run bench -- --only perf`: the studio against the PyTorch peer (bench/peer.ts) in one run, on the
 * issue's targets. Runs of ours and the peer's alternate seed by seed, so that a change in the machine's load
 * hits both. Every figure is a time (lower is better) and every ratio is ours / peer.
 *
 *   Adam step         MLP 4-H-H-2, MSE regression on a fixed batch (the peer's microbench), timed the peer's way:
 *                     loops of ≥ 0.25 s, median of 5 repeats of the mean per step.
 *   DQN update        sample + target forward + loss + backward + clip + Adam (the peer's dqn_update_*).
 *   teacher           CartPole-v1, time to the first validation mean ≥ 475 (evaluation time excluded), median
 *                     over seeds: our `default` preset vs the peer's best preset (`zoo`); our `zoo` vs its.
 *   distillation      KB of 20,000 teacher steps (ε 0.05) + 10,000 offline updates of a 32-32 student; and the
 *                     time to a normalised score ≥ 0.95 (peer: ≥ 95% of the teacher's return), both including
 *                     the KB collection, evaluation time excluded.
 */
import { trainStudent } from '../core/distill/train-student.ts';
import { studentDefaults } from '../core/distill/config.ts';
import { evaluateRandomPolicy } from '../core/distill/report.ts';
import { presetConfig } from '../core/dqn/presets.ts';
import { ReplayBuffer } from '../core/dqn/replay-buffer.ts';
import { TdLearner } from '../core/dqn/td-learner.ts';
import { trainTeacher, type TeacherResult } from '../core/dqn/train-teacher.ts';
import { createEnv } from '../core/envs/index.ts';
import { VALIDATION_SEED_BASE, episodeSeeds, evaluatePolicy } from '../core/eval/evaluate.ts';
import { extractKnowledge } from '../core/kb/extract.ts';
import { FusedTrainer } from '../core/nn/fused/trainer.ts';
import { QNetwork, setDenseGradient, type NetworkEngine } from '../core/nn/q-network.ts';
import { tf } from '../core/nn/tf.ts';
import { Rng } from '../core/util/rng.ts';
import { PEER_INSTALL, runPeer, type Peer, type PeerLookup } from './peer.ts';

type Row = Record<string, string | number | null>;

export interface PerfOptions {
  readonly quick: boolean;
  readonly seeds: number[];
  readonly peer: PeerLookup;
  readonly log: (line: string) => void;
}

/** Per-step milliseconds the peer's way (_time_it in torch_dqn.py): calibrated loops, median of repeats. */
export function timePerStep(fn: () => void, minTime = 0.25, repeats = 5): { median: number; min: number } {
  for (let i = 0; i < 20; i++) fn();
  let iters = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) fn();
    const t = (performance.now() - t0) / 1000;
    if (t >= minTime / 4 || iters >= 1 << 20) {
      iters = Math.max(5, Math.floor((iters * minTime) / Math.max(t, 1e-9)));
      break;
    }
    iters *= 2;
  }
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) fn();
    samples.push((performance.now() - t0) / iters);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], min: samples[0] };
}

/** One Adam step of an MLP regression (MSE over all outputs) on a fixed batch, as the peer's microbench. */
export function regressionStep(engine: NetworkEngine, hidden: number, batch: number): { step: () => void; dispose: () => void } {
  const rng = new Rng(1);
  const net = QNetwork.create({ inputSize: 4, hiddenSizes: [hidden, hidden], outputSize: 2 }, rng, engine);
  const x = Float32Array.from({ length: batch * 4 }, () => rng.normal());
  const y = Float32Array.from({ length: batch * 2 }, () => rng.normal());
  if (engine === 'fused') {
    const trainer = new FusedTrainer(net, { learningRate: 1e-3, epsilon: 1e-8 });
    const n = batch * 2;
    return {
      step: () => {
        const { q, dq } = trainer.forward(x, batch);
        for (let i = 0; i < n; i++) dq[i] = (2 * (q[i] - y[i])) / n;
        trainer.backward();
        trainer.apply();
      },
      dispose: () => {
        trainer.dispose();
        net.dispose();
      },
    };
  }
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const xt = tf.tensor2d(x, [batch, 4]);
  const yt = tf.tensor2d(y, [batch, 2]);
  return {
    step: () => tf.tidy(() => void opt.minimize(() => tf.mean(tf.squaredDifference(net.apply(xt), yt)) as tf.Scalar, false, net.variables)),
    dispose: () => {
      opt.dispose();
      xt.dispose();
      yt.dispose();
      net.dispose();
    },
  };
}

/** A full DQN update (sample, target, loss, backward, clip, Adam) of the peer's dqn_update_zoo / cleanrl. */
function dqnUpdate(hidden: number[], batchSize: number, loss: 'huber' | 'mse', maxGradNorm: number, lr: number): { step: () => void; dispose: () => void } {
  const rng = new Rng(1);
  const spec = { inputSize: 4, hiddenSizes: hidden, outputSize: 2 };
  const online = QNetwork.create(spec, rng, 'fused');
  const target = online.clone();
  const buffer = new ReplayBuffer(10_000, 4);
  const o = new Float32Array(4);
  for (let i = 0; i < 10_000; i++) {
    for (let j = 0; j < 4; j++) o[j] = rng.uniform(-1, 1);
    buffer.add(o, rng.int(2), 1, o, false);
  }
  const batch = buffer.allocateBatch(batchSize);
  const learner = new TdLearner(online, target, { gamma: 0.99, loss, doubleDqn: false, maxGradNorm, learningRate: lr, adamEpsilon: 1e-8 });
  return {
    step: () => learner.step(buffer.sample(rng, batch)),
    dispose: () => {
      learner.dispose();
      online.dispose();
      target.dispose();
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const num = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);
const round = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);
/** Three significant digits as text ('∞' for never). */
const sig = (v: number) => (v === Number.POSITIVE_INFINITY ? 'never' : Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : 'n/a');

interface Comparison {
  metric: string;
  ours: number;
  peer: number;
  unit: string;
  target?: number;
  goal?: number;
  extra?: boolean; // an extra condition of the target (e.g. every final teacher ≥ 475)
  note?: string;
}

function toRow(c: Comparison, peerPresent: boolean): Row {
  const ratio = peerPresent ? c.ours / c.peer : Number.NaN;
  const met = c.target === undefined ? '' : !peerPresent ? 'no peer' : ratio <= c.target && c.extra !== false ? 'yes' : 'NO';
  return {
    metric: c.metric,
    ours: sig(c.ours),
    peer: peerPresent ? sig(c.peer) : 'absent',
    unit: c.unit,
    'ours/peer': peerPresent ? sig(ratio) : 'n/a',
    target: c.target === undefined ? '' : `≤ ${c.target}×${c.goal !== undefined ? ` (goal ${c.goal}×)` : ''}`,
    met,
    note: c.note ?? '',
  };
}

export async function benchPerf(o: PerfOptions): Promise<{ rows: Row[]; details: Record<string, unknown>; peerPresent: boolean }> {
  const peer: Peer | null = 'peer' in o.peer ? o.peer.peer : null;
  if (!peer) o.log(`PEER ABSENT: ${'missing' in o.peer ? o.peer.missing : ''}\n  ratios need it; one-line install: ${PEER_INSTALL}`);
  else if (!peer.blasDir) o.log(`WARNING: no OpenBLAS found for the peer; Debian torch then uses the reference BLAS and is 10–40× slower than it should be (install: ${PEER_INSTALL})`);
  const details: Record<string, unknown> = { peer: peer ?? ('missing' in o.peer ? o.peer.missing : null) };
  const comparisons: Comparison[] = [];
  const seeds = o.seeds;

  // 1. Microbenchmarks.
  o.log('perf: microbenchmarks (ours)…');
  const sizes = o.quick ? [[64, 128], [256, 128]] : [[64, 64], [64, 128], [64, 256], [256, 64], [256, 128], [256, 256]];
  const ours: Record<string, number> = {};
  const tfjsRows: Row[] = [];
  for (const [h, b] of sizes) {
    const f = regressionStep('fused', h, b);
    ours[`adam ${h} ${b}`] = timePerStep(f.step).median;
    f.dispose();
    // tfjs for reference: its own matMul gradient (transposed matMuls) and the explicit-transpose dense layer.
    const row: Row = { hidden: h, batch: b, 'fused ms': round(ours[`adam ${h} ${b}`], 4) };
    for (const mode of ['tfjs', 'explicit'] as const) {
      setDenseGradient(mode);
      const t = regressionStep('tfjs', h, b);
      row[mode === 'tfjs' ? 'tfjs ms (tfjs matMul gradient)' : 'tfjs ms (explicit transposes)'] = round(timePerStep(t.step, o.quick ? 0.1 : 0.25, 3).median, 3);
      t.dispose();
    }
    setDenseGradient('auto');
    tfjsRows.push(row);
  }
  details.adamStepEngines = tfjsRows;
  const zoo = dqnUpdate([256, 256], 64, 'huber', 10, 2.3e-3);
  ours['dqn zoo'] = timePerStep(zoo.step).median;
  zoo.dispose();
  const cleanrl = dqnUpdate([120, 84], 128, 'mse', 0, 2.5e-4);
  ours['dqn cleanrl'] = timePerStep(cleanrl.step).median;
  cleanrl.dispose();
  for (const h of [64, 256]) {
    const net = QNetwork.create({ inputSize: 4, hiddenSizes: [h, h], outputSize: 2 }, new Rng(1), 'fused');
    const obs = Float32Array.of(0.01, -0.02, 0.03, 0.04);
    const out = new Int32Array(1);
    ours[`act ${h}`] = timePerStep(() => net.act(obs, 1, out)).median;
    net.dispose();
  }
  const env = createEnv('CartPole-v1');
  env.reset(1);
  ours.env = timePerStep(() => {
    const r = env.step(1);
    if (r.terminated || r.truncated) env.reset();
  }).median;

  let micro: Record<string, unknown> | null = null;
  if (peer) {
    o.log('perf: microbenchmarks (peer)…');
    micro = await runPeer(peer, ['microbench', ...(o.quick ? ['--batch-sizes', '128'] : [])]);
    details.peerMicrobench = micro;
  }
  const peerRow = (bench: string, h?: number, b?: number) => {
    const rows = (micro?.rows as Record<string, unknown>[] | undefined) ?? [];
    const r = rows.find((x) => x.bench === bench && (h === undefined || x.H === h || JSON.stringify(x.H) === JSON.stringify(h)) && (b === undefined || x.B === b));
    return num(r?.ms_median);
  };
  for (const [h, b] of sizes) {
    const target = b === 128 ? (h === 64 ? 1 : 3) : undefined;
    comparisons.push({ metric: `Adam step 4-${h}-${h}-2, batch ${b}`, ours: ours[`adam ${h} ${b}`], peer: peerRow('adam_train_step', h, b), unit: 'ms', ...(target !== undefined ? { target } : {}) });
  }
  comparisons.push({ metric: 'DQN update, zoo (256-256, batch 64, Huber, clip 10)', ours: ours['dqn zoo'], peer: peerRow('dqn_update_zoo'), unit: 'ms' });
  comparisons.push({ metric: 'DQN update, cleanrl (120-84, batch 128, MSE)', ours: ours['dqn cleanrl'], peer: peerRow('dqn_update_cleanrl'), unit: 'ms' });
  comparisons.push({ metric: 'greedy action, batch 1, 64-64', ours: ours['act 64'], peer: peerRow('act_b1_numpy_to_int', 64), unit: 'ms' });
  comparisons.push({ metric: 'greedy action, batch 1, 256-256', ours: ours['act 256'], peer: peerRow('act_b1_numpy_to_int', 256), unit: 'ms' });
  comparisons.push({ metric: 'CartPole step, 1 env', ours: ours.env, peer: peerRow('cartpole_step_n1'), unit: 'ms' });

  // 2. Teachers, seed by seed, ours and the peer's alternating.
  const teacherRows: Row[] = [];
  const oursDefault: TeacherResult[] = [];
  const oursDefaultTest: number[] = [];
  const oursZoo: { threshold: number | null; train: number; final: number }[] = [];
  const peerZoo: Record<string, unknown>[] = [];
  const peerTeacher = peer ? `${process.env.TMPDIR ?? '/tmp'}/distill-bench-peer-teacher-${process.pid}.pt` : null;
  const testSeeds = episodeSeeds(20);
  for (const seed of seeds) {
    o.log(`perf: CartPole teacher seed ${seed}: ours (default)…`);
    const d = await trainTeacher({ ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed });
    const dTest = evaluatePolicy('CartPole-v1', (x, b) => d.network.act(x, b), testSeeds).mean;
    oursDefault.push(d);
    oursDefaultTest.push(dTest);
    teacherRows.push({ run: 'ours default (64-64)', seed, 'threshold step': d.thresholdStep, 'time to ≥475 s': round(d.thresholdSeconds ?? Number.NaN, 2), 'train s (whole run)': round(d.trainSeconds, 2), updates: d.gradientSteps, 'final test return': round(dTest, 1) });
    if (peer) {
      o.log(`perf: CartPole teacher seed ${seed}: peer (zoo)…`);
      const p = await runPeer(peer, ['train', '--preset', 'zoo', '--seed', String(seed), ...(seed === seeds[0] ? ['--save-teacher', peerTeacher!] : [])]);
      peerZoo.push(p);
      teacherRows.push({ run: 'peer zoo (256-256)', seed, 'threshold step': p.threshold_step as number | null, 'time to ≥475 s': round(num(p.time_to_threshold_s), 2), 'train s (whole run)': round(num(p.wall_s), 2), updates: p.gradient_updates as number, 'final test return': round(num(p.final_eval_mean), 1) });
    }
    o.log(`perf: CartPole teacher seed ${seed}: ours (zoo)…`);
    // Our zoo preset, validated as the peer validates (every 5,000 steps, 10 episodes, time excluded).
    const z = await trainTeacher({ ...presetConfig('CartPole-v1', 'zoo'), env: 'CartPole-v1', seed, evalEvery: 5000, evalEpisodes: 10 });
    const zFinal = evaluatePolicy('CartPole-v1', (x, b) => z.network.act(x, b), testSeeds).mean;
    oursZoo.push({ threshold: z.thresholdSeconds, train: z.trainSeconds, final: zFinal });
    teacherRows.push({ run: 'ours zoo (256-256)', seed, 'threshold step': z.thresholdStep, 'time to ≥475 s': round(z.thresholdSeconds ?? Number.NaN, 2), 'train s (whole run)': round(z.trainSeconds, 2), updates: z.gradientSteps, 'final test return': round(zFinal, 1), evaluations: z.evaluations.map((e) => e.mean.toFixed(0)).join(' ') });
    z.network.dispose();
  }
  details.teachers = teacherRows;
  const never = (xs: (number | null)[]) => xs.map((x) => x ?? Number.POSITIVE_INFINITY);
  const peerThreshold = median(never(peerZoo.map((p) => (p.time_to_threshold_s as number | null) ?? null)));
  const allFinal = oursDefaultTest.every((r) => r >= 475);
  comparisons.push({
    metric: `CartPole teacher time to ≥ 475, median of seeds ${seeds.join(',')} (ours default vs peer zoo)`,
    ours: median(never(oursDefault.map((r) => r.thresholdSeconds))),
    peer: peerThreshold,
    unit: 's',
    target: 0.7,
    goal: 0.5,
    extra: allFinal,
    note: `our final test returns ${oursDefaultTest.map((r) => r.toFixed(0)).join(' / ')}${allFinal ? '' : ' (a teacher below 475)'}`,
  });
  comparisons.push({
    metric: `CartPole zoo preset vs peer zoo, whole run (50k steps), median of seeds`,
    ours: median(oursZoo.map((z) => z.train)),
    peer: median(peerZoo.map((p) => num(p.wall_s))),
    unit: 's',
    target: 1.5,
    note: `time to ≥ 475: ours ${oursZoo.map((z) => z.threshold?.toFixed(1) ?? 'never').join(' / ')} s${peer ? `, peer ${peerZoo.map((p) => (p.time_to_threshold_s === null ? 'never' : num(p.time_to_threshold_s).toFixed(1))).join(' / ')} s` : ''}; final test return ours ${oursZoo.map((z) => z.final.toFixed(0)).join(' / ')}${peer ? `, peer ${peerZoo.map((p) => num(p.final_eval_mean).toFixed(0)).join(' / ')}` : ''}`,
  });

  // 3. Distillation from the seed-1 teachers (ours: the default preset's; the peer: its zoo teacher).
  o.log('perf: distillation (ours)…');
  const teacher = oursDefault[0].network;
  const validation = episodeSeeds(20, VALIDATION_SEED_BASE);
  const teacherReturn = evaluatePolicy('CartPole-v1', (x, b) => teacher.act(x, b), validation).mean;
  const randomReturn = evaluateRandomPolicy('CartPole-v1', validation).mean;
  const k0 = performance.now();
  const kb = extractKnowledge(teacher, { env: 'CartPole-v1', steps: 20_000, seed: 1, epsilon: 0.05, teacherSource: 'bench' });
  const collect = (performance.now() - k0) / 1000;
  const config = { ...studentDefaults('supervised', 'offline'), env: 'CartPole-v1' as const, seed: 1, hiddenSizes: [32, 32], steps: 10_000, evalEvery: 50, evalEpisodes: 20 };
  const s = await trainStudent({ config, teacher, kb, teacherReturn, randomReturn });
  const studentFinal = s.evaluations.length ? s.evaluations[s.evaluations.length - 1].mean : Number.NaN;
  s.network.dispose();
  const oursDistill = { collectSeconds: collect, trainSeconds: s.trainSeconds, thresholdStep: s.thresholdStep, thresholdSeconds: s.thresholdSeconds, teacherReturn, randomReturn, finalValidation: studentFinal, config };
  details.distillOurs = oursDistill;
  let peerDistill: Record<string, unknown> | null = null;
  if (peer) {
    o.log('perf: distillation (peer)…');
    peerDistill = await runPeer(peer, ['distill', '--teacher', peerTeacher!, '--seed', '1']);
    const { checkpoints: _c, ...rest } = peerDistill;
    details.distillPeer = rest;
  }
  comparisons.push({
    metric: 'distillation: KB 20k steps + 10k offline updates of a 32-32 student',
    ours: collect + s.trainSeconds,
    peer: num(peerDistill?.collect_s) + num(peerDistill?.train_s),
    unit: 's',
    target: 1,
    note: `KB collection ours ${collect.toFixed(2)} s${peer ? `, peer ${num(peerDistill?.collect_s).toFixed(2)} s` : ''}`,
  });
  comparisons.push({
    metric: 'distillation: time to normalised score ≥ 0.95 incl. KB collection',
    ours: s.thresholdSeconds === null ? Number.POSITIVE_INFINITY : collect + s.thresholdSeconds,
    peer: peerDistill?.time_to_95pct_incl_collect_s === null ? Number.POSITIVE_INFINITY : num(peerDistill?.time_to_95pct_incl_collect_s),
    unit: 's',
    target: 1,
    note: `after ${s.thresholdStep ?? 'never'} updates (ours, validated every 50)${peer ? `, ${String(peerDistill?.updates_to_95pct ?? 'never')} (peer, its schedule)` : ''}`,
  });
  for (const r of oursDefault) r.network.dispose();
  if (peerTeacher) await import('node:fs').then((fs) => fs.rmSync(peerTeacher, { force: true }));

  return { rows: comparisons.map((c) => toRow(c, peer !== null)), details: { ...details, ours }, peerPresent: peer !== null };
}
