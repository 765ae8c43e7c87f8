/**
 * Flag parsing for the CLI. Every mistake is a `UsageError` naming the flag; the entry point prints it with
 * the command's usage and exits with code 2 before anything is written.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export function parseFlags<T extends FlagSpec>(argv: string[], spec: T): Record<keyof T, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return values as unknown as Record<keyof T, string | boolean | undefined>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // node's messages already name the flag: "Unknown option '--foo'", "Option '--steps <value>' argument missing".
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function intFlag(name: string, raw: string | boolean | undefined, opts: { min?: number; max?: number } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw).replace(/_/g, '');
  const v = /^-?\d+(e\d+)?$/i.test(s) ? Number(s) : Number.NaN;
  const min = opts.min ?? 1;
  if (!Number.isSafeInteger(v) || v < min || (opts.max !== undefined && v > opts.max)) {
    const range = opts.max !== undefined ? `an integer in [${min}, ${opts.max}]` : `an integer ≥ ${min}`;
    throw new UsageError(`--${name} must be ${range}, got "${raw}"`);
  }
  return v;
}

export function choiceFlag<C extends string>(name: string, raw: string | boolean | undefined, choices: readonly C[]): C | undefined {
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as C)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as C;
}

export function requireFlag<V>(name: string, v: V | undefined): V {
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
