import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planExperiment } from '../../../core/experiment/plan.ts';
import { parseExperimentSpec } from '../../../core/experiment/spec.ts';
import { ENV_SPECS } from '../../../core/envs/index.ts';
import { presetConfig } from '../../../core/dqn/presets.ts';

/** Parameters of a fully connected Q-network obs → hidden… → actions (weights and biases). */
function params(sizes: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += sizes[i - 1] * sizes[i] + sizes[i];
  return n;
}

describe('the compression examples (issue 10) run the grid the README reports', () => {
  it.each(['compression-cartpole.json', 'compression-acrobot.json'])('%s', (file) => {
    const spec = parseExperimentSpec(JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../examples', file), 'utf8')), file);
    const plan = planExperiment(spec);
    const env = ENV_SPECS[spec.env];
    const io = (h: readonly number[]) => [env.observationSize, ...h, env.actionCount];
    const teacherParams = params(io(presetConfig(spec.env, 'default').hiddenSizes));
    const sizes = [...new Set(plan.students.map((s) => s.config.hiddenSizes.join('-')))];
    const ratios = sizes.map((s) => params(io(s.split('-').map(Number))) / teacherParams);
    // From below the cliff (~0.2-0.3%) through ~0.5% to ~25% of the teacher's parameters.
    expect(Math.min(...ratios)).toBeLessThan(0.005);
    expect(ratios.filter((r) => r >= 0.004 && r < 0.01).length).toBeGreaterThan(0);
    expect(Math.max(...ratios)).toBeGreaterThan(0.2);
    expect(Math.max(...ratios)).toBeLessThan(0.3);
    // Every size × {supervised, retrieval online, live teacher online} × α ∈ {0, 0.5} × 5 seeds.
    expect(spec.seeds).toEqual([1, 2, 3, 4, 5]);
    const cells = new Set(plan.students.map((s) => `${s.config.hiddenSizes.join('-')}|${s.config.method}|${s.config.mode}|${s.config.alpha}|${s.config.seed}`));
    for (const size of sizes)
      for (const [method, mode] of [['supervised', 'offline'], ['retrieval', 'online'], ['teacher', 'online']])
        for (const alpha of [0, 0.5]) for (const seed of spec.seeds) expect(cells.has(`${size}|${method}|${mode}|${alpha}|${seed}`), `${size} ${method} α=${alpha} seed ${seed}`).toBe(true);
    // From-scratch baselines of each size and seed, 10× the students' env budget, stopping at a score of 0.95.
    expect(new Set(plan.baselines.map((b) => `${b.config.hiddenSizes.join('-')}|${b.config.seed}`)).size).toBe(sizes.length * 5);
    for (const b of plan.baselines) expect(b.stopAtScore).toBe(0.95);
    expect(plan.baselines[0].config.totalSteps).toBe(10 * (spec.knowledgeBase.steps + 20_000));
  });
});
