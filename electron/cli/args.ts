/**
 * Flag parsing for the CLI, on commander (a well-kept parser: flags and positional arguments in any order,
 * `--flag=value`, values that start with a dash such as `--steps -5`, "did you mean" suggestions). Each command
 * keeps its own hand-written usage text; commander only parses. Every mistake is a `UsageError` naming the
 * flag or the argument; the entry point prints it with the command's usage and exits with code 2 before
 * anything is written.
 */
import { Command, CommanderError, Option } from 'commander';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;
export type FlagValues<T extends FlagSpec> = Record<keyof T, string | boolean | undefined>;

/** "Option '--steps <value>' argument missing": commander's words, capitalised like node's, without "error: ". */
function usageMessage(err: CommanderError): string {
  const m = err.message.replace(/^error: /, '').replace(/\n/g, ' ');
  return m.charAt(0).toUpperCase() + m.slice(1);
}

/**
 * Parses `argv` into the flags of `spec` and the positional arguments, which may come before, between or after
 * the flags (`resume --db F 3`). `positionals` names them in order (e.g. ['RUN']); the first `required` of them
 * must be there (default: all), and more than named is an error.
 */
export function parseCommand<T extends FlagSpec>(argv: readonly string[], spec: T, positionals: readonly string[] = [], required = positionals.length): { flags: FlagValues<T>; args: string[] } {
  const cmd = new Command()
    .exitOverride()
    .helpOption(false)
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .argument('[args...]');
  const attribute = new Map<string, string>();
  for (const [name, { type }] of Object.entries(spec)) {
    const option = new Option(type === 'string' ? `--${name} <value>` : `--${name}`);
    cmd.addOption(option);
    attribute.set(name, option.attributeName());
  }
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(usageMessage(err));
    throw err;
  }
  const opts = cmd.opts() as Record<string, string | boolean | undefined>;
  const flags = {} as FlagValues<T>;
  for (const [name, { type }] of Object.entries(spec)) {
    let value = opts[attribute.get(name)!];
    // commander reads `--no-x` as x = false (and x = true when absent); our flag is "no-x" itself.
    if (name.startsWith('no-')) value = value === false ? true : undefined;
    // `--out --json`: a flag name where a value belongs is a forgotten value, not a file called "--json".
    if (type === 'string' && typeof value === 'string' && value.startsWith('--') && argv.includes(value) && !argv.includes(`--${name}=${value}`)) {
      throw new UsageError(`--${name} needs a value, got the flag "${value}" (write --${name}=${value} if that is the value)`);
    }
    flags[name as keyof T] = value;
  }
  const args = cmd.args;
  for (let i = 0; i < required; i++) if (args[i] === undefined) throw new UsageError(`${positionals[i]} is required`);
  if (args.length > positionals.length) {
    const extra = args[positionals.length];
    throw new UsageError(positionals.length === 0 ? `unexpected argument "${extra}"` : `unexpected argument "${extra}" (one ${positionals.join(' ')} only)`);
  }
  return { flags, args };
}

/** Flags only: a positional argument is an error. */
export function parseFlags<T extends FlagSpec>(argv: readonly string[], spec: T): FlagValues<T> {
  return parseCommand(argv, spec).flags;
}

/** An integer value; `label` is how the message names it ("--steps", or "RUN" for a positional argument). */
function intValue(label: string, raw: string | boolean | undefined, opts: { min?: number; max?: number }): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw).replace(/_/g, '');
  const v = /^-?\d+(e\d+)?$/i.test(s) ? Number(s) : Number.NaN;
  const min = opts.min ?? 1;
  if (!Number.isSafeInteger(v) || v < min || (opts.max !== undefined && v > opts.max)) {
    const range =
      min === 1 ? `a positive integer${opts.max !== undefined ? ` (at most ${opts.max})` : ''}` : opts.max !== undefined ? `an integer in [${min}, ${opts.max}]` : `an integer ≥ ${min}`;
    throw new UsageError(`${label} must be ${range}, got "${raw}"`);
  }
  return v;
}

export function intFlag(name: string, raw: string | boolean | undefined, opts: { min?: number; max?: number } = {}): number | undefined {
  return intValue(`--${name}`, raw, opts);
}

/** A positional integer argument (a run or experiment id), named as such in messages: "RUN must be …". */
export function intArg(name: string, raw: string | undefined, opts: { min?: number; max?: number } = {}): number {
  if (raw === undefined) throw new UsageError(`${name} is required`);
  return intValue(name, raw, opts)!;
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
