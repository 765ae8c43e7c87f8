/**
 * `npm run bench [-- --only a,b] [-- --quick] [-- --seeds 1,2,3] [-- --peer FILE]`: micro and macro benchmarks
 * of the studio on this machine. Prints a table per section and writes everything, with the machine's
 * description and load, to bench/results/<date>-<quick|full>.json. Sections: perf (the studio against the
 * PyTorch peer, run in the same process tree: bench/perf.ts), train-step, forward, env, retrieval, db, jobs,
 * studio, soak (two experiments training while another process imports, lists and resumes: bench/soak.ts),
 * teacher, sweep (batch size × updates: bench/sweep.ts), ui, import, export. A run that includes perf also writes its
 * table to bench/results/LATEST.md (linked from the README).
 *
 *   npm run bench                          everything
 *   npm run bench -- --only perf           the peer comparison alone (seeds 1,2,3)
 *   npm run bench -- --only perf --quick   a quick look (seed 1, batch 128 only)
 *   npm run bench -- --only teacher --envs MountainCar-v0 --seeds 1,2,3,4,5   teacher reliability per seed
 *   npm run bench -- --only teacher --envs Acrobot-v1 --seeds 1,2,3 --override '{"nStep":1}'   a preset variant
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { presetConfig } from '../core/dqn/presets.ts';
import { ReplayBuffer } from '../core/dqn/replay-buffer.ts';
import { TdLearner } from '../core/dqn/td-learner.ts';
import { trainTeacher } from '../core/dqn/train-teacher.ts';
import { ENV_IDS, VectorEnv, createEnv, type EnvId } from '../core/envs/index.ts';
import { episodeSeeds, evaluatePolicy } from '../core/eval/evaluate.ts';
import { selectBackend, type BackendName } from '../core/nn/backend.ts';
import { QNetwork } from '../core/nn/q-network.ts';
import { Rng } from '../core/util/rng.ts';
import { APP_VERSION } from '../core/version.ts';

const { values: flags } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean' }, backend: { type: 'string' }, seeds: { type: 'string' }, envs: { type: 'string' }, override: { type: 'string' }, peer: { type: 'string' } },
  allowPositionals: false,
});
const SECTIONS = ['perf', 'train-step', 'forward', 'env', 'retrieval', 'db', 'jobs', 'studio', 'soak', 'teacher', 'sweep', 'ui', 'import', 'export'] as const;
const only = flags.only ? new Set(flags.only.split(',')) : new Set<string>(SECTIONS);
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section "${s}"; known: ${SECTIONS.join(', ')}`);
const quick = flags.quick === true;

type Row = Record<string, string | number | null>;
const results: Record<string, Row[]> = {};

function table(title: string, rows: Row[]): void {
  results[title] = rows;
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  console.log(`\n## ${title}`);
  console.log(cols.map((c, i) => c.padEnd(widths[i])).join(' | '));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(cols.map((c, i) => cell(r[c]).padEnd(widths[i])).join(' | '));
}

/** Median of per-iteration milliseconds over `iters` runs after `warmup`. */
function timeIt(fn: () => void, iters: number, warmup = Math.max(3, iters / 10)): { median: number; mean: number } {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const backend = await selectBackend(flags.backend === undefined ? 'auto' : (flags.backend as BackendName));
const loadAtStart = os.loadavg();
const machine = {
  host: os.hostname(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${process.platform}-${process.arch}`,
  node: process.versions.node,
  backend: backend.name,
  appVersion: APP_VERSION,
};
console.log(`Distill Studio bench — ${machine.cpu} × ${machine.cores}, ${machine.memoryGiB} GiB, Node ${machine.node}, backend ${backend.name}`);
console.log(`load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} (the bench uses one core; more than ~1 means others are running)`);

let perfTable: Row[] | null = null;
if (only.has('perf')) {
  const { benchPerf } = await import('./perf.ts');
  const { findPeer, PEER_INSTALL } = await import('./peer.ts');
  const seeds = (flags.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number);
  const perf = await benchPerf({ quick, seeds, peer: findPeer(flags.peer), log: (line) => console.log(line) });
  results.perfDetails = [perf.details as Row];
  table('tfjs engine vs fused engine: Adam step ms (MSE regression, MLP 4-H-H-2)', perf.details.adamStepEngines as Row[]);
  table('CartPole teachers (per seed)', perf.details.teachers as Row[]);
  table('studio vs PyTorch peer (times; ours/peer < 1 means we are faster)', perf.rows);
  if (perf.peerPresent) perfTable = perf.rows;
  else console.log(`\nThe PyTorch peer did not run (${String(perf.details.peer)}), so there are no ratios and bench/results/LATEST.md is left as it was.\nInstall it with: ${PEER_INSTALL}`);
}

if (only.has('train-step')) {
  const rows: Row[] = [];
  for (const h of [64, 256]) {
    for (const b of [64, 128, 256]) {
      const rng = new Rng(1);
      const spec = { inputSize: 4, hiddenSizes: [h, h], outputSize: 2 };
      const online = QNetwork.create(spec, rng);
      const target = online.clone();
      const buffer = new ReplayBuffer(4096, 4);
      for (let i = 0; i < 4096; i++) buffer.add(Float32Array.from([rng.normal(), rng.normal(), rng.normal(), rng.normal()]), rng.int(2), 1, Float32Array.from([rng.normal(), rng.normal(), rng.normal(), rng.normal()]), rng.random() < 0.05);
      const batch = buffer.sample(rng, buffer.allocateBatch(b));
      // A TD step with MSE and no clipping on a fixed batch (the peer's plain regression step is in `perf`).
      const mse = new TdLearner(online, target, { gamma: 0.99, loss: 'mse', doubleDqn: false, maxGradNorm: 0, learningRate: 1e-3, adamEpsilon: 1e-8 });
      const adam = timeIt(() => mse.step(batch), quick ? 30 : 200);
      mse.drainStats();
      // A full DQN update as the teacher runs it: sample, target forward, Huber, clip, Adam.
      const dqn = new TdLearner(online, target, { gamma: 0.99, loss: 'huber', doubleDqn: false, maxGradNorm: 10, learningRate: 1e-3, adamEpsilon: 1e-8 });
      const full = timeIt(() => dqn.step(buffer.sample(rng, batch)), quick ? 30 : 200);
      dqn.drainStats();
      rows.push({ engine: online.engine, hidden: h, batch: b, params: online.paramCount, 'TD step (MSE, no clip), fixed batch ms': adam.median, 'DQN update ms (sample+target+Huber+clip)': full.median, 'updates/s': 1000 / full.median });
      mse.dispose();
      dqn.dispose();
      online.dispose();
      target.dispose();
    }
  }
  table('train-step (Adam, MLP 4-H-H-2)', rows);
}

if (only.has('forward')) {
  const rows: Row[] = [];
  for (const h of [64, 256]) {
    const net = QNetwork.create({ inputSize: 4, hiddenSizes: [h, h], outputSize: 2 }, new Rng(1));
    for (const b of [1, 32]) {
      const obs = new Float32Array(4 * b).map((_, i) => Math.sin(i));
      const t = timeIt(() => net.act(obs, b), quick ? 200 : 2000);
      rows.push({ engine: net.engine, hidden: h, batch: b, 'ms per call (median)': t.median, 'µs per observation': (t.median * 1000) / b });
    }
    net.dispose();
  }
  table('forward (greedy action, read back)', rows);
}

if (only.has('env')) {
  const rows: Row[] = [];
  for (const id of ENV_IDS) {
    const env = createEnv(id);
    const rng = new Rng(1);
    env.reset(1);
    const n = quick ? 100_000 : 1_000_000;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = env.step(rng.int(env.actionCount));
      if (r.terminated || r.truncated) env.reset();
    }
    const single = n / ((performance.now() - t0) / 1000);
    const copies = 16;
    const venv = new VectorEnv(id, copies);
    venv.reset(1);
    const actions = new Int32Array(copies);
    t0 = performance.now();
    for (let i = 0; i < n / copies; i++) {
      for (let k = 0; k < copies; k++) actions[k] = rng.int(env.actionCount);
      venv.step(actions);
    }
    const vector = n / ((performance.now() - t0) / 1000);
    rows.push({ env: id, 'single steps/s': Math.round(single), [`vector(${copies}) steps/s`]: Math.round(vector) });
  }
  table('env steps per second (random actions, auto-reset)', rows);
}

if (only.has('retrieval')) {
  const { benchRetrieval } = await import('./retrieval.ts');
  table('retrieval: exact kNN (KD-tree) vs brute force, 4-dim CartPole-like states', await benchRetrieval({ quick }));
}

if (only.has('db')) {
  const { benchDb } = await import('./db.ts');
  table('database (temp file, WAL): metric ingest, downsampled reads, knowledge-base save/load', await benchDb({ quick }));
}

if (only.has('jobs')) {
  const { benchJobs } = await import('./jobs.ts');
  table('job runner: runs training at once on worker threads, host event-loop delay', await benchJobs({ quick }));
}

if (only.has('studio')) {
  const { benchStudio } = await import('./studio.ts');
  const r = await benchStudio({ quick });
  table('studio process (serve): two runs training, server up, a WebSocket client subscribed; host event-loop delay', r.load);
  table('API round trip: POST /api/metricSeries with maxPoints 2000 (median of 50 after 10 warm-up)', r.roundTrip);
}

if (only.has('soak')) {
  const { benchSoak } = await import('./soak.ts');
  const r = await benchSoak({ quick });
  table('soak: two experiments training in the studio while a third process imports a large experiment, lists runs in a loop and tries to resume a running run', r.summary);
  table('soak: each process (longest lock wait, or longest call for the CLI loops)', r.processes);
}

if (only.has('teacher')) {
  // Teacher reliability: the default preset per env and seed, its 20-episode test return against the env's
  // threshold, and the wall-clock a user waits (README "Results"). `--envs` picks envs (default CartPole-v1);
  // `--override '{"nStep":1}'` changes preset fields, to compare a preset with a variant of it.
  const override = flags.override === undefined ? {} : (JSON.parse(flags.override) as Record<string, unknown>);
  const envs = (flags.envs ?? 'CartPole-v1').split(',');
  for (const env of envs) if (!(ENV_IDS as readonly string[]).includes(env)) throw new Error(`--envs: unknown env "${env}"; known: ${ENV_IDS.join(', ')}`);
  const seeds = (flags.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number);
  for (const env of envs as EnvId[]) {
    const rows: Row[] = [];
    for (const seed of seeds) {
      const config = { ...presetConfig(env, 'default'), ...override, env, seed };
      const t0 = performance.now();
      const r = await trainTeacher(config);
      const wall = (performance.now() - t0) / 1000;
      const ev = evaluatePolicy(env, (o, b) => r.network.act(o, b), episodeSeeds(20));
      rows.push({
        env,
        seed,
        preset: flags.override === undefined ? 'default' : `default + ${flags.override}`,
        'threshold step': r.thresholdStep,
        'time to threshold s (train)': r.thresholdSeconds === null ? null : Number(r.thresholdSeconds.toFixed(1)),
        'kept step': r.selectedStep,
        'wall s (full run)': Number(wall.toFixed(1)),
        'updates/s': Math.round(r.gradientSteps / r.trainSeconds),
        'test return (20 ep)': `${ev.mean.toFixed(1)} ± ${ev.std.toFixed(1)}`,
        'reaches threshold': ev.mean >= r.rewardThreshold ? 'yes' : `no (< ${r.rewardThreshold})`,
      });
      r.network.dispose();
    }
    table(`${env} default teacher: threshold and wall-clock per seed (validation mean ≥ threshold, eval time excluded from time to threshold)`, rows);
  }
}

if (only.has('sweep')) {
  const { benchSweep } = await import('./sweep.ts');
  const seeds = (flags.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number);
  table('sweep: bigger batches, fewer updates (CartPole-v1 default teacher)', await benchSweep({ seeds }));
}

if (only.has('ui')) {
  const { benchUi } = await import('./ui/run-ui.ts');
  const ui = await benchUi({ quick });
  table('ui: experiments list first paint in Chromium (headless, software rendering, in-memory StudioApi)', ui.list);
  table('ui: run monitor appending live in Chromium (headless, software rendering, in-memory StudioApi)', ui.monitor);
  table('ui: compare, frontier, replay and knowledge-base views in Chromium (headless, software rendering, in-memory StudioApi)', ui.part2);
  table('ui: curves as CSV (metricsCsv over a database, Node)', ui.csv);
}

if (only.has('import')) {
  const { benchImportDistill, benchImportFidelity } = await import('./import.ts');
  table('teachers trained by PyTorch, imported: Q-values vs torch on 400 probe states', await benchImportFidelity());
  table('8-8 students distilled from the imported teachers (CartPole-v1, offline, 4,000 updates)', await benchImportDistill({ quick, ...(flags.seeds ? { seeds: flags.seeds.split(',').map(Number) } : {}) }));
}

if (only.has('export')) {
  const { benchExport } = await import('./export.ts');
  table('exported students: µs per greedy action at batch 1 (CartPole 4 → hidden → 2)', await benchExport({ quick }));
}

const dir = path.resolve(import.meta.dirname, 'results');
fs.mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file = path.join(dir, `${stamp}-${quick ? 'quick' : 'full'}.json`);
const load = { atStart: loadAtStart, atEnd: os.loadavg() };
fs.writeFileSync(file, `${JSON.stringify({ createdAt: new Date().toISOString(), machine, load, quick, results }, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
if (perfTable) {
  const cols = Object.keys(perfTable[0]);
  const md = [
    `# Latest \`npm run bench\` peer comparison`,
    '',
    `${new Date().toISOString()} · ${machine.cpu} × ${machine.cores} · Node ${machine.node} · backend ${machine.backend} · load average ${load.atStart.map((l) => l.toFixed(2)).join(' ')} at start, ${load.atEnd.map((l) => l.toFixed(2)).join(' ')} at end${quick ? ' · quick run' : ''}`,
    `Full results: [${path.basename(file)}](${path.basename(file)}). Times, lower is better; ratio = ours / peer.`,
    '',
    `| ${cols.join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...perfTable.map((r) => `| ${cols.map((c) => String(r[c] ?? '')).join(' | ')} |`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'LATEST.md'), md);
  console.log(`wrote ${path.relative(process.cwd(), path.join(dir, 'LATEST.md'))}`);
}
