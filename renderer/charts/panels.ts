/**
 * Which curves the run monitor draws, in order, and how each is labelled. Keys are the studio's fixed metric
 * names (core/metrics.ts, served by the catalog with their documentation and x unit); a key the catalog does
 * not list is left out rather than drawn empty.
 */
import type { RunView, StepUnit } from '../../electron/api/contract.ts';

export interface PanelDef {
  readonly key: string;
  readonly title: string;
  readonly yLabel: string;
  /** Draw the teacher's test return as a dashed reference line. */
  readonly teacherLine?: boolean;
  /** Sparse series (periodic evaluations): dots on the line. */
  readonly points?: boolean;
  /** A known domain for the y axis. */
  readonly yRange?: readonly [number, number];
}

export const MONITOR_PANELS: readonly PanelDef[] = [
  { key: 'charts/episodic_return', title: 'Episodic return (training)', yLabel: 'return', teacherLine: true },
  { key: 'eval/mean_return', title: 'Evaluation return (greedy)', yLabel: 'mean return', teacherLine: true, points: true },
  { key: 'losses/td_loss', title: 'TD loss', yLabel: 'loss' },
  { key: 'losses/hard_loss', title: 'Hard loss L_hard', yLabel: 'loss' },
  { key: 'losses/soft_loss', title: 'Soft loss L_soft', yLabel: 'loss' },
  { key: 'losses/distill_loss', title: 'Distillation loss L', yLabel: 'loss' },
  { key: 'charts/epsilon', title: 'Exploration ε', yLabel: 'ε', yRange: [0, 1] },
  { key: 'charts/alpha', title: 'α (weight of L_hard)', yLabel: 'α', yRange: [0, 1] },
];

/** The keys the monitor loads (the panels' keys the catalog knows). */
export function monitorKeys(known: readonly { key: string }[]): string[] {
  const set = new Set(known.map((k) => k.key));
  return MONITOR_PANELS.filter((p) => set.has(p.key)).map((p) => p.key);
}

/**
 * The x unit of a run's series when the host has not said yet: a per-role key counts gradient updates for an
 * offline student (its budget) and env steps otherwise.
 */
export function roleUnit(run: Pick<RunView, 'role' | 'student'>, catalogUnit: StepUnit | 'per_role' | undefined): StepUnit {
  if (catalogUnit && catalogUnit !== 'per_role') return catalogUnit;
  return run.role === 'student' && run.student?.mode === 'offline' ? 'gradient_updates' : 'env_steps';
}
