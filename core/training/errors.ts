/**
 * Typed errors of the training code, so that callers branch on the class, never on a message:
 * - CancelledError: the run's AbortSignal fired (the job is `cancelled`, not `failed`);
 * - DivergedError: a loss became NaN or infinite (with the step, its unit and the loss that gave up);
 * - ConfigError: a configuration is invalid or does not fit the data it is given, with the field path.
 */
import type { StepUnit } from '../metrics.ts';

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(what = 'run') {
    super(`${what} cancelled`);
  }
}

export class DivergedError extends Error {
  override name = 'DivergedError';
  constructor(
    /** Which loss: 'TD loss', 'distillation loss'. */
    readonly loss: string,
    readonly value: number,
    readonly step: number,
    readonly unit: StepUnit,
    hint: string,
  ) {
    super(`training diverged: ${loss} is ${value} at ${unit === 'env_steps' ? 'env step' : 'gradient update'} ${step}; ${hint}`);
  }
}

export interface FieldIssue {
  /** Dotted path of the field ("students.0.radius"); "(root)" for the whole object. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** Every problem found (the first one's path is `path`). */
  readonly issues: readonly FieldIssue[];
  constructor(
    /** What was being validated: "student config", "spec.json". */
    what: string,
    issues: readonly FieldIssue[] | FieldIssue,
  ) {
    const list = Array.isArray(issues) ? (issues as readonly FieldIssue[]) : [issues as FieldIssue];
    super(`invalid ${what}: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = list;
  }

  /** The path of the first issue. */
  get path(): string {
    return this.issues[0]?.path ?? '(root)';
  }
}

/** Throws CancelledError if the signal fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

export function isCancelled(err: unknown): err is CancelledError {
  return err instanceof CancelledError;
}

/** A ConfigError from zod's issues (field paths joined with dots). */
export function configErrorFromZod(what: string, error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): ConfigError {
  return new ConfigError(
    what,
    error.issues.map((i) => ({ path: i.path.length ? i.path.map(String).join('.') : '(root)', message: i.message })),
  );
}
