/**
 * Where the time of a training run goes. Runs a workload under V8's sampling profiler (started after the
 * modules are loaded, stopped when the workload ends), writes the .cpuprofile and prints a summary:
 *
 *   npx tsx bench/profile.ts teacher [--seed 1] [--backend NAME] [--out FILE.cpuprofile]
 *   npx tsx bench/profile.ts student [--seed 1] [--backend NAME] [--out FILE.cpuprofile]
 *   npx tsx bench/profile.ts summarize FILE.cpuprofile   (also: a folder, for its largest profile, e.g. node --cpu-prof's)
 *
 * `teacher`: the project-default CartPole-v1 teacher (what `npm run bench` times); it saves the teacher in
 * the OS temp folder so that `student` can reuse it. `student`: 20,000-step KB extraction (ε 0.05) and 10,000
 * offline updates of a 32-32 student (the bench's distillation workload).
 *
 * The summary splits self time two ways: by layer (compute inside WebAssembly, tfjs's JavaScript — op
 * dispatch, tape, kernel glue —, the studio's own JavaScript, garbage collection) and by phase (the
 * innermost studio function on the stack: gradient update, acting, evaluation, env stepping, sampling, …).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: flags, positionals } = parseArgs({
  options: { seed: { type: 'string' }, backend: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});
const [mode, file] = positionals;
const teacherDir = path.join(os.tmpdir(), 'distill-studio-profile-teacher');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
  hitCount?: number;
}

/** Self-time layer of a frame. */
function layerOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || functionName === '(idle)' || functionName === '(root)') return 'V8 / idle';
  if (url.startsWith('wasm://') || functionName.startsWith('wasm-function') || functionName.startsWith('$')) {
    return url.includes('tfjs') || !/gemm|adam|colsum|sumsq|polyak|transpose/.test(functionName) ? 'WebAssembly compute (tfjs / XNNPACK)' : 'WebAssembly compute (fused kernels)';
  }
  if (url.includes('@tensorflow')) return 'tfjs JavaScript (dispatch, tape, glue)';
  if (url.includes('/core/') || url.includes('/bench/')) return 'studio JavaScript';
  if (url.includes('better-sqlite3') || url.includes('/db/')) return 'database';
  return 'Node / other';
}

/** Phases, innermost first: the first studio function found walking up from a sample decides. */
const PHASES: [RegExp, string][] = [
  [/^(step|lossAndGradients|evaluate|backward|forwardTrain|trainStep)$/, 'gradient update (learner)'],
  [/^updateFrom$/, 'target network update'],
  [/^sample$/, 'replay sampling'],
  [/^(act|predict)$/, 'acting / teacher queries (forward)'],
  [/^evaluatePolicy$/, 'evaluation'],
  [/^(step|reset)$/, 'env stepping'],
  [/^(extractKnowledge)$/, 'KB extraction'],
  [/^(fillOfflineBatch)$/, 'batch assembly'],
  [/^(getWeights|setWeights|clone)$/, 'weight copies'],
];

function phaseOf(chain: ProfileNode['callFrame'][]): string {
  for (const frame of chain) {
    const url = frame.url;
    if (!url.includes('/core/')) continue;
    const fn = frame.functionName.replace(/^.*\./, '');
    if (/\/core\/envs\//.test(url) && /^(step|reset)$/.test(fn)) return 'env stepping';
    if (/\/core\/eval\//.test(url)) return 'evaluation';
    if (/replay-buffer/.test(url) && fn === 'sample') return 'replay sampling';
    if (/(td-learner|student-learner|fused)/.test(url) && !/^(drainStats)$/.test(fn)) return 'gradient update (learner)';
    for (const [re, name] of PHASES) if (re.test(fn) && !/\/core\/envs\//.test(url)) return name;
  }
  return 'loop / other';
}

function summarize(target: string): void {
  // Node also writes a profile per worker thread (tsx's loader); the main thread's is the largest.
  const profilePath = fs.statSync(target).isDirectory()
    ? fs.readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(target, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]
    : target;
  const profile = JSON.parse(fs.readFileSync(profilePath, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const layers = new Map<string, number>();
  const phases = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    total += ms;
    const layer = layerOf(node.callFrame);
    layers.set(layer, (layers.get(layer) ?? 0) + ms);
    if (layer === 'V8 / idle') continue;
    if (layer === 'garbage collection') {
      phases.set(layer, (phases.get(layer) ?? 0) + ms);
      continue;
    }
    const chain: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) chain.push(byId.get(at)!.callFrame);
    const phase = phaseOf(chain);
    phases.set(phase, (phases.get(phase) ?? 0) + ms);
    const key = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  const print = (title: string, m: Map<string, number>, limit = 30) => {
    console.log(`\n${title}`);
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).forEach(([k, ms]) => console.log(`  ${(ms / 1000).toFixed(2).padStart(8)} s  ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${k}`));
  };
  console.log(`${path.basename(profilePath)}: ${(total / 1000).toFixed(1)} s sampled`);
  print('by layer (self time)', layers);
  print('by phase (self time under the innermost studio function)', phases);
  print('top functions (self time)', functions, 15);
}

/** Samples `work` with the inspector's profiler (1 ms interval as --cpu-prof), then writes and summarises it. */
async function profiled(name: string, work: () => Promise<void>): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  await work();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const out = flags.out ?? path.join(os.tmpdir(), `distill-${name}-${Date.now()}.cpuprofile`);
  fs.writeFileSync(out, JSON.stringify(profile));
  console.log(`profile written to ${out}`);
  summarize(out);
}

async function teacher(): Promise<void> {
  const { presetConfig } = await import('../core/dqn/presets.ts');
  const { trainTeacher } = await import('../core/dqn/train-teacher.ts');
  const { selectBackend } = await import('../core/nn/backend.ts');
  const { encodeBundle, saveBundle } = await import('../core/nn/bundle.ts');
  const backend = await selectBackend((flags.backend as never) ?? 'auto');
  const seed = Number(flags.seed ?? 1);
  const t0 = performance.now();
  let r!: Awaited<ReturnType<typeof trainTeacher>>;
  await profiled('teacher', async () => {
    r = await trainTeacher({ ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed });
  });
  console.log(`teacher on ${backend.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${r.gradientSteps} updates, threshold after ${r.thresholdSeconds?.toFixed(1)} s`);
  saveBundle(teacherDir, encodeBundle(r.network, { env: 'CartPole-v1', backend: backend.name }));
}

async function student(): Promise<void> {
  const { selectBackend } = await import('../core/nn/backend.ts');
  const { loadBundle } = await import('../core/nn/bundle.ts');
  const { extractKnowledge } = await import('../core/kb/extract.ts');
  const { trainStudent } = await import('../core/distill/train-student.ts');
  const { studentDefaults } = await import('../core/distill/config.ts');
  const backend = await selectBackend((flags.backend as never) ?? 'auto');
  if (!fs.existsSync(teacherDir)) throw new Error(`no teacher at ${teacherDir}: run the teacher workload first`);
  const t = loadBundle(teacherDir).network;
  const seed = Number(flags.seed ?? 1);
  let t0 = 0;
  let t1 = 0;
  let r!: Awaited<ReturnType<typeof trainStudent>>;
  await profiled('student', async () => {
    t0 = performance.now();
    const kb = extractKnowledge(t, { env: 'CartPole-v1', steps: 20_000, seed, epsilon: 0.05, teacherSource: teacherDir });
    t1 = performance.now();
    r = await trainStudent({ config: { ...studentDefaults('supervised', 'offline'), env: 'CartPole-v1', seed, hiddenSizes: [32, 32], steps: 10_000 }, teacher: t, kb });
  });
  console.log(`student on ${backend.name}: KB ${((t1 - t0) / 1000).toFixed(2)} s, 10k updates ${((performance.now() - t1) / 1000).toFixed(1)} s (train ${r.trainSeconds.toFixed(1)} s)`);
}

if (mode === 'summarize') summarize(file ?? '');
else if (mode === 'teacher') await teacher();
else if (mode === 'student') await student();
else throw new Error('usage: profile.ts teacher|student|summarize FILE');
