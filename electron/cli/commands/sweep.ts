/**
 * A grid of students × α × seeds distilled from one teacher, plus from-scratch baselines of every student size
 * on the same env-step budget, run as child processes (one per core by default), summarised as parameters vs
 * normalised score (mean ± 95% CI over seeds).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { returnStats } from '../../../core/eval/stats.ts';
import { extractKnowledge } from '../../../core/kb/extract.ts';
import { loadKnowledgeBaseFile, saveKnowledgeBaseFile } from '../../../core/kb/kb-file.ts';
import { isEnvId } from '../../../core/envs/index.ts';
import { defaultMethod, defaultMode } from '../../../core/distill/config.ts';
import { BACKEND_NAMES, selectBackend } from '../../../core/nn/backend.ts';
import { UsageError, choiceFlag, intFlag, parseFlags, requireFlag } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { listFlag, numberFlag, sizesFlag, teacherFlag, timestamp } from '../shared.ts';

export const usage = `Usage: distill-studio sweep --teacher DIR --students "8,8;16,16;32,32" --alphas 0,0.5,1 --seeds 1,2,3
         [--method supervised|retrieval|teacher] [--mode offline|online] [--soft-loss kl|kl-two-sided|mse|nll] [--steps N]
         [--kb FILE] [--kb-steps N] [--no-baseline] [--jobs N] [--out DIR] [--backend NAME] [--db FILE] [--json]
  Baselines train each student size from scratch on the same env-step budget: the KB's transitions (when the
  students learn from the KB) plus the student's own (online).
  --jobs  parallel runs (default: the number of cores)`;

interface Job {
  kind: 'distill' | 'baseline';
  student: number[];
  alpha: number | null;
  seed: number;
  args: string[];
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, {
    teacher: { type: 'string' },
    students: { type: 'string' },
    alphas: { type: 'string' },
    seeds: { type: 'string' },
    mode: { type: 'string' },
    method: { type: 'string' },
    'soft-loss': { type: 'string' },
    steps: { type: 'string' },
    kb: { type: 'string' },
    'kb-steps': { type: 'string' },
    'no-baseline': { type: 'boolean' },
    jobs: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  const students = listFlag('students', requireFlag('students', flags.students as string | undefined), ';', (s) => sizesFlag('students', s));
  const alphas = listFlag('alphas', requireFlag('alphas', flags.alphas as string | undefined), ',', (s) => numberFlag('alphas', s, { min: 0, max: 1 })!);
  const seeds = listFlag('seeds', requireFlag('seeds', flags.seeds as string | undefined), ',', (s) => intFlag('seeds', s, { min: 0, max: 2 ** 31 - 1 })!);
  const modeFlag = choiceFlag('mode', flags.mode, ['offline', 'online'] as const);
  const method = choiceFlag('method', flags.method, ['supervised', 'retrieval', 'teacher'] as const) ?? defaultMethod(modeFlag);
  const mode = modeFlag ?? defaultMode(method);
  const softLoss = choiceFlag('soft-loss', flags['soft-loss'], ['kl', 'kl-two-sided', 'mse', 'nll'] as const);
  const steps = intFlag('steps', flags.steps, { min: 1, max: 1e9 });
  const kbSteps = intFlag('kb-steps', flags['kb-steps'], { min: 1, max: 50_000_000 }) ?? 20_000;
  const jobs = intFlag('jobs', flags.jobs, { min: 1, max: 64 }) ?? os.cpus().length;
  const backendName = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const) ?? 'auto';
  const backend = await selectBackend(backendName); // before loading any network
  const { dir: teacherDir, bundle } = teacherFlag(flags.teacher);
  const env = bundle.meta.env;
  if (!isEnvId(env)) throw new UsageError(`--teacher: the bundle is for unknown environment "${env}"`);
  let kbFile = typeof flags.kb === 'string' ? path.resolve(flags.kb) : null;
  if (kbFile) {
    try {
      const { kb } = loadKnowledgeBaseFile(kbFile);
      if (kb.meta.env !== env) throw new Error(`the knowledge base is for ${kb.meta.env}, the teacher for ${env}`);
    } catch (err) {
      throw new UsageError(`--kb: ${(err as Error).message}`);
    }
  }
  const out = path.resolve((flags.out as string | undefined) ?? path.join('runs', 'sweeps', `${env}-${timestamp()}`));
  const dbArgs = typeof flags.db === 'string' ? ['--db', path.resolve(flags.db)] : [];

  const started = performance.now();
  fs.mkdirSync(out, { recursive: true });
  if (!kbFile) {
    // One KB for the whole grid, so every student learns from the same knowledge.
    const kb = extractKnowledge(bundle.network, { env, steps: kbSteps, seed: seeds[0], epsilon: 0.05, teacherSource: teacherDir });
    kbFile = saveKnowledgeBaseFile(path.join(out, 'knowledge-base.dskb'), kb);
  }
  const kbSize = loadKnowledgeBaseFile(kbFile).kb.size;
  const studentSteps = steps ?? (mode === 'offline' ? 10_000 : 30_000);
  const baselineSteps = (method !== 'teacher' || mode === 'offline' ? kbSize : 0) + (mode === 'online' ? studentSteps : 0);
  const list: Job[] = [];
  for (const student of students) {
    for (const alpha of alphas) {
      for (const seed of seeds) {
        const name = `distill-${student.join('x')}-a${alpha}-s${seed}`;
        list.push({
          kind: 'distill',
          student,
          alpha,
          seed,
          args: ['distill', '--teacher', teacherDir, '--kb', kbFile, '--student', student.join(','), '--alpha', String(alpha), '--seed', String(seed),
            '--method', method, '--mode', mode, '--steps', String(studentSteps), '--backend', backend.name, '--out', path.join(out, name), '--json', ...dbArgs,
            ...(softLoss && alpha < 1 ? ['--soft-loss', softLoss] : [])],
        });
      }
    }
    if (flags['no-baseline'] !== true) {
      for (const seed of seeds) {
        list.push({
          kind: 'baseline',
          student,
          alpha: null,
          seed,
          args: ['baseline', '--env', env, '--teacher', teacherDir, '--student', student.join(','), '--steps', String(baselineSteps), '--seed', String(seed),
            '--backend', backend.name, '--out', path.join(out, `baseline-${student.join('x')}-s${seed}`), '--json', ...dbArgs],
        });
      }
    }
  }
  bundle.network.dispose();
  if (flags.json !== true) io.stderr(`sweep: ${list.length} runs on ${jobs} parallel processes, ${env}, KB ${kbSize} rows, backend ${backend.name}\n`);

  const results: (Record<string, unknown> & { job: Job })[] = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < list.length) {
      const job = list[next++];
      const r = await runChild(job.args);
      if (r.code !== 0) {
        failed++;
        io.stderr(`sweep: ${job.kind} ${job.student.join('-')} α=${job.alpha ?? '-'} seed ${job.seed} failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0]}\n`);
        continue;
      }
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      results.push({ ...summary, job });
      if (flags.json !== true) io.stderr(`  done ${results.length + failed}/${list.length}: ${job.kind} ${job.student.join('-')} α=${job.alpha ?? '-'} seed ${job.seed} → score ${Number(summary.normalizedScore).toFixed(3)}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, worker));

  const rows = aggregate(results);
  const wallSeconds = (performance.now() - started) / 1000;
  fs.writeFileSync(path.join(out, 'sweep.json'), `${JSON.stringify({ env, teacher: teacherDir, kb: kbFile, mode, studentSteps, baselineSteps, rows, runs: results.map(({ job, ...r }) => r) }, null, 2)}\n`);
  if (flags.json === true) io.stdout(`${JSON.stringify({ command: 'sweep', env, teacher: teacherDir, kb: kbFile, mode, studentSteps, baselineSteps, runs: results.length, failed, wallSeconds: Math.round(wallSeconds * 10) / 10, out, rows })}\n`);
  else {
    io.stdout(formatTable(rows));
    io.stdout(`\n${results.length} runs (${failed} failed) in ${wallSeconds.toFixed(1)} s; results in ${out}\n`);
  }
  return failed > 0 ? 1 : 0;
}

function runChild(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = path.resolve(import.meta.dirname, '../../../bin/distill-studio.mjs');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISTILL_CLI_ENTRY: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export interface SweepRow {
  kind: 'distill' | 'baseline';
  student: string;
  params: number;
  paramRatio: number | null;
  alpha: number | null;
  seeds: number;
  scoreMean: number;
  scoreCi95: number;
  returnMean: number;
  agreement: number | null;
}

function aggregate(results: (Record<string, unknown> & { job: Job })[]): SweepRow[] {
  const groups = new Map<string, (Record<string, unknown> & { job: Job })[]>();
  for (const r of results) {
    const key = `${r.job.kind}|${r.job.student.join(',')}|${r.job.alpha ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: SweepRow[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    // A run without a score (the teacher is not better than random) leaves the mean undefined, never 0.
    const scores = returnStats(group.map((g) => (typeof g.normalizedScore === 'number' ? g.normalizedScore : Number.NaN)));
    const rets = returnStats(group.map((g) => Number(g.evalMean)));
    const agreements = group.map((g) => g.agreement).filter((x): x is number => typeof x === 'number');
    rows.push({
      kind: first.job.kind,
      student: first.job.student.join('-'),
      params: Number(first.studentParams),
      paramRatio: first.paramRatio === null ? null : Number(first.paramRatio),
      alpha: first.job.alpha,
      seeds: group.length,
      scoreMean: round4(scores.mean),
      scoreCi95: round4(scores.ci95),
      returnMean: round4(rets.mean),
      agreement: agreements.length ? round4(agreements.reduce((a, b) => a + b, 0) / agreements.length) : null,
    });
  }
  rows.sort((a, b) => a.params - b.params || (a.kind === b.kind ? (a.alpha ?? -1) - (b.alpha ?? -1) : a.kind === 'baseline' ? 1 : -1));
  return rows;
}

const round4 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x);

function formatTable(rows: SweepRow[]): string {
  const header = ['kind', 'student', 'params', '% teacher', 'α', 'seeds', 'normalised score (mean ± 95% CI)', 'return', 'agreement'];
  const body = rows.map((r) => [
    r.kind,
    r.student,
    String(r.params),
    r.paramRatio === null ? '-' : `${(r.paramRatio * 100).toFixed(1)}%`,
    r.alpha === null ? '-' : String(r.alpha),
    String(r.seeds),
    `${r.scoreMean.toFixed(3)} ± ${Number.isFinite(r.scoreCi95) ? r.scoreCi95.toFixed(3) : 'n/a'}`,
    r.returnMean.toFixed(1),
    r.agreement === null ? '-' : `${(r.agreement * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n') + '\n';
}
