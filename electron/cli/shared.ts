/** Flag helpers shared by the distillation commands. */
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedBundle } from '../../core/nn/bundle.ts';
import { loadBundleInHost } from '../service/runs.ts';
import { UsageError } from './args.ts';

/** "16,16" → [16, 16]; every width a positive integer. */
export function sizesFlag(name: string, raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (raw.trim() === '' || sizes.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new UsageError(`--${name} must be comma-separated positive layer widths like 16,16, got "${raw}"${sizes.some((v) => v === 0) ? ' (a layer of width 0)' : ''}`);
  }
  return sizes;
}

export function numberFlag(name: string, raw: string | boolean | undefined, check: { min?: number; max?: number; exclusiveMin?: number }): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const bad =
    typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) ||
    (check.min !== undefined && v < check.min) || (check.max !== undefined && v > check.max) ||
    (check.exclusiveMin !== undefined && v <= check.exclusiveMin);
  if (bad) {
    const lo = check.exclusiveMin !== undefined ? `> ${check.exclusiveMin}` : check.min !== undefined ? `≥ ${check.min}` : '';
    const hi = check.max !== undefined ? `≤ ${check.max}` : '';
    throw new UsageError(`--${name} must be a number ${[lo, hi].filter(Boolean).join(' and ')}, got "${raw}"`);
  }
  return v;
}

export function listFlag<T>(name: string, raw: string, sep: string, parse: (s: string) => T): T[] {
  const items = raw.split(sep).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--${name} must not be empty`);
  return items.map(parse);
}

export async function teacherFlag(raw: string | boolean | undefined): Promise<{ dir: string; bundle: LoadedBundle }> {
  if (typeof raw !== 'string' || raw === '') throw new UsageError('--teacher is required (a model bundle folder from train-teacher)');
  const dir = path.resolve(raw);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--teacher: no model bundle folder at ${dir}`);
  try {
    return { dir, bundle: await loadBundleInHost(dir) };
  } catch (err) {
    throw new UsageError(`--teacher: ${(err as Error).message}`);
  }
}

export function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
