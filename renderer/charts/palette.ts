/**
 * Categorical colours for runs (Tableau 10, chosen for distinguishability), teacher in near-black so it reads
 * as the reference; baselines are dashed in their student's colour family.
 */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;
export const TEACHER_COLOR = '#2b2f36';
export const BASELINE_DASH = [5, 3] as const;

export function runColor(role: string, index: number): string {
  return role === 'teacher' ? TEACHER_COLOR : PALETTE[index % PALETTE.length];
}
