/**
 * The tables of a compression experiment (examples/compression-*.json), computed from the studio database:
 *
 *   npx tsx bench/compression-report.ts --db FILE [--experiment ID] [--json OUT.json]
 *
 * 1. Normalised score (mean and 95% CI over seeds) per student size and method × α, with the from-scratch
 *    baselines of each size, and per method the cliff: the smallest size whose mean is ≥ 0.95 with the CI's
 *    lower bound ≥ 0.9.
 * 2. The cost of a student: env steps and wall-clock until a validation reached normalised score 0.95, per size,
 *    for each distillation method and for the same network trained from scratch (or the baseline's best within
 *    its budget, 10× the students' in the examples). Env steps of a distilled student count the knowledge
 *    base's transitions when it learned from the KB, plus its own online; its seconds count the extraction of
 *    the KB plus its own training (evaluation excluded). The teacher's own training is a one-off cost shown
 *    beside, shared by every student of the experiment.
 * Validation scores use the teacher's and a random policy's test returns; crossings are read from the runs'
 * `eval/mean_return` and `charts/train_seconds` series.
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import { scoreScale } from '../core/eval/score.ts';
import { returnStats } from '../core/eval/stats.ts';
import { METRIC_KEYS } from '../core/metrics.ts';
import { openDatabase, type RunRecord } from '../db/index.ts';

const TARGET = 0.95;

interface StoredJob {
  readonly job: { kind: string; config: { hiddenSizes: number[]; method?: string; mode?: string; alpha?: number; alphaSchedule?: string } };
}

type Row = { group: string; size: string; params: number; ratio: number; scores: number[]; reach: { steps: number; seconds: number }[]; best: number[]; runs: number };

function main(): void {
  const { values } = parseArgs({ options: { db: { type: 'string' }, experiment: { type: 'string' }, json: { type: 'string' } } });
  if (!values.db) throw new Error('--db FILE is required');
  const db = openDatabase(values.db, { readonly: true });
  try {
    const experiments = db.experiments.list();
    const experimentId = values.experiment ? Number(values.experiment) : experiments.at(-1)?.id;
    if (experimentId === undefined) throw new Error('the database has no experiment');
    const runs = db.runs.list({ experimentId });
    const teacherRun = runs.find((r) => r.role === 'teacher');
    const t = teacherRun?.summary as { env: string; evalMean: number; randomEvalMean: number; params: number; kbSize: number; extractSeconds: number; training: { envSteps: number; trainSeconds: number } | null } | undefined;
    if (!t) throw new Error(`experiment ${experimentId}: the teacher run has not completed`);
    const scale = scoreScale(t.env, t.evalMean, t.randomEvalMean);
    if (!scale.valid) throw new Error(`experiment ${experimentId}: ${scale.warnings.join('; ')}`);
    const score = (g: number) => (g - t.randomEvalMean) / (t.evalMean - t.randomEvalMean);

    const rows = new Map<string, Row>();
    let incomplete = 0;
    for (const run of runs) {
      if (run.role === 'teacher') continue;
      if (run.status !== 'completed') {
        incomplete++;
        continue;
      }
      const { group, usesKb, online } = describe(run);
      const s = run.summary as { normalizedScore: number | null; studentParams: number; paramRatio: number };
      const size = (run.config as StoredJob).job.config.hiddenSizes.join('-');
      const key = `${size}|${group}`;
      const row = rows.get(key) ?? { group, size, params: s.studentParams, ratio: s.paramRatio, scores: [], reach: [], best: [], runs: 0 };
      row.runs++;
      if (s.normalizedScore !== null) row.scores.push(s.normalizedScore);
      const evals = db.metrics.series(run.id, METRIC_KEYS.evalMeanReturn);
      const seconds = db.metrics.series(run.id, METRIC_KEYS.trainSeconds);
      const kbSteps = usesKb ? t.kbSize : 0;
      const kbSeconds = usesKb ? t.extractSeconds : 0;
      let best = -Infinity;
      let reached: { steps: number; seconds: number } | null = null;
      for (let i = 0; i < evals.steps.length; i++) {
        const sc = score(evals.values[i]);
        best = Math.max(best, sc);
        if (reached === null && sc >= TARGET) {
          const ownSteps = run.role === 'baseline' || online ? evals.steps[i] : 0;
          reached = { steps: kbSteps + ownSteps, seconds: kbSeconds + seconds.values[i] };
        }
      }
      if (reached) row.reach.push(reached);
      row.best.push(best);
      rows.set(key, row);
    }

    const groups = [...new Set([...rows.values()].map((r) => r.group))].sort((a, b) => order(a) - order(b));
    const sizes = [...new Set([...rows.values()].sort((a, b) => a.params - b.params).map((r) => r.size))];
    const fmt = (xs: number[]) => {
      if (xs.length === 0) return '–';
      const st = returnStats(xs);
      return xs.length > 1 ? `${st.mean.toFixed(3)} ± ${st.ci95.toFixed(3)}` : st.mean.toFixed(3);
    };
    const out: string[] = [];
    out.push(`Experiment ${experimentId}: teacher return ${t.evalMean.toFixed(1)} (random ${t.randomEvalMean.toFixed(1)}), ${t.params} parameters; KB ${t.kbSize} transitions (${t.extractSeconds.toFixed(1)} s).`);
    if (t.training) out.push(`Teacher training (one-off, shared by all students): ${t.training.envSteps} env steps, ${t.training.trainSeconds.toFixed(0)} s.`);
    if (incomplete) out.push(`${incomplete} run(s) not completed are left out.`);
    out.push('', `Normalised score, mean ± 95% CI over seeds (t-distribution):`, '');
    out.push(`| size | params (% teacher) | ${groups.join(' | ')} |`, `|---|---|${groups.map(() => '---').join('|')}|`);
    for (const size of sizes) {
      const any = [...rows.values()].find((r) => r.size === size)!;
      out.push(`| ${size} | ${any.params} (${(any.ratio * 100).toFixed(1)}%) | ${groups.map((g) => fmt(rows.get(`${size}|${g}`)?.scores ?? [])).join(' | ')} |`);
    }
    out.push('', `Cliff (smallest size with mean ≥ 0.95 and CI lower bound ≥ 0.9):`, '');
    for (const g of groups) {
      const ok = sizes.find((size) => {
        const xs = rows.get(`${size}|${g}`)?.scores ?? [];
        if (xs.length < 2) return false;
        const st = returnStats(xs);
        return st.mean >= 0.95 && st.mean - st.ci95 >= 0.9;
      });
      out.push(`- ${g}: ${ok ?? 'none of these sizes'}`);
    }
    out.push('', `Cost to a validation score of ${TARGET}: env steps / seconds, mean ± 95% CI over the seeds that reached it (n reached / n):`, '');
    out.push(`| size | ${groups.join(' | ')} |`, `|---|${groups.map(() => '---').join('|')}|`);
    for (const size of sizes) {
      const cells = groups.map((g) => {
        const r = rows.get(`${size}|${g}`);
        if (!r) return '–';
        if (r.reach.length === 0) return `not reached (best ${fmt(r.best)}) 0/${r.runs}`;
        const steps = returnStats(r.reach.map((x) => x.steps));
        const secs = returnStats(r.reach.map((x) => x.seconds));
        const ci = (st: { ci95: number }, d: number) => (r.reach.length > 1 ? ` ± ${st.ci95.toFixed(d)}` : '');
        return `${Math.round(steps.mean)}${ci(steps, 0)} / ${secs.mean.toFixed(1)}${ci(secs, 1)} s (${r.reach.length}/${r.runs})`;
      });
      out.push(`| ${size} | ${cells.join(' | ')} |`);
    }
    console.log(out.join('\n'));
    if (values.json) fs.writeFileSync(values.json, JSON.stringify({ experimentId, teacher: t, rows: [...rows.values()] }, null, 2));
  } finally {
    db.close();
  }
}

/** The column a run belongs to: its method, data mode and α, or the baseline. */
function describe(run: RunRecord): { group: string; usesKb: boolean; online: boolean } {
  if (run.role === 'baseline') return { group: 'from scratch (DQN)', usesKb: false, online: true };
  const c = (run.config as StoredJob).job.config;
  const alpha = c.alphaSchedule === 'constant' || c.alphaSchedule === undefined ? `α=${c.alpha}` : c.alphaSchedule;
  const online = c.mode === 'online';
  const name = c.method === 'supervised' ? 'supervised' : c.method === 'retrieval' ? 'retrieval online' : online ? 'live teacher online' : 'live teacher offline';
  return { group: `${name} ${alpha}`, usesKb: c.method !== 'teacher' || !online, online };
}

function order(group: string): number {
  const base = ['supervised', 'retrieval online', 'live teacher online', 'live teacher offline', 'from scratch'].findIndex((p) => group.startsWith(p));
  return base * 10 + (group.includes('α=0.5') ? 1 : 0);
}

main();
