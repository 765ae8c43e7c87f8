/**
 * The fault-injection suite's tools: a record of every case (so the suite can report how many faults it
 * tried, how many were refused with a clear message and how many had a bad outcome), byte-level snapshots of
 * files and folders (to prove that a refusal wrote nothing), and child processes that run TypeScript (to kill
 * them mid-write or limit their file size).
 *
 * With DISTILL_FAULT_LEDGER=FILE set, every case appends one JSON line {suite, case, outcome} to FILE;
 * `node test/faults/summary.mjs FILE` counts them.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

export const root = path.resolve(import.meta.dirname, '../..');
export const childScript = path.join(import.meta.dirname, 'child.ts');

/**
 * What happened to a fault case: refused (clear message, nothing written), handled (the work survived it), bad.
 * 'control' (the fault reproduced without the fix) and 'figure' (a measurement) are notes, not cases.
 */
export type Outcome = 'refused' | 'handled' | 'bad' | 'control' | 'figure';

export function record(suite: string, name: string, outcome: Outcome, detail?: string): void {
  const ledger = process.env.DISTILL_FAULT_LEDGER;
  if (ledger) fs.appendFileSync(ledger, `${JSON.stringify({ suite, case: name, outcome, ...(detail ? { detail } : {}) })}\n`);
}

/** A fresh temporary folder and its cleanup. */
export function tempDir(prefix = 'distill-faults-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under `p` (or `p` itself) with the SHA-256 of its bytes; folders listed as such. */
export function snapshot(p: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (f: string, rel: string) => {
    const st = fs.lstatSync(f, { throwIfNoEntry: false });
    if (st === undefined) return;
    if (st.isDirectory()) {
      out[`${rel}/`] = 'dir';
      for (const name of fs.readdirSync(f).sort()) walk(path.join(f, name), `${rel}/${name}`);
    } else if (st.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(f)}`;
    else out[rel] = crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  };
  walk(p, '.');
  return out;
}

/** Judges a refusal: recorded, then asserted (a bad outcome fails the test). */
function judgeRefusal(suite: string, name: string, error: Error | null, message: RegExp, before: unknown[], after: unknown[]): Error {
  const ok = error !== null && message.test(error.message) && JSON.stringify(before) === JSON.stringify(after);
  record(suite, name, ok ? 'refused' : 'bad', error ? error.message : 'not refused');
  expect(error, `${name}: was not refused`).not.toBeNull();
  expect(error!.message).toMatch(message);
  expect(after, `${name}: files changed after a refusal`).toEqual(before);
  return error!;
}

/**
 * A case that must be refused: `act` throws an error whose message matches `message`, and every path in
 * `unchanged` is byte for byte as before. Records the outcome either way (a bad outcome then fails the test).
 */
export function expectRefused(suite: string, name: string, act: () => unknown, message: RegExp, unchanged: readonly string[]): Error {
  const before = unchanged.map(snapshot);
  let error: Error | null = null;
  try {
    act();
  } catch (err) {
    error = err as Error;
  }
  return judgeRefusal(suite, name, error, message, before, unchanged.map(snapshot));
}

/** Async variant of expectRefused. */
export async function expectRefusedAsync(suite: string, name: string, act: () => Promise<unknown>, message: RegExp, unchanged: readonly string[]): Promise<Error> {
  const before = unchanged.map(snapshot);
  let error: Error | null = null;
  try {
    await act();
  } catch (err) {
    error = err as Error;
  }
  return judgeRefusal(suite, name, error, message, before, unchanged.map(snapshot));
}

/** Records a case the system had to survive (a kill, a lock, a full disk): `check` asserts the good outcome. */
export async function expectHandled(suite: string, name: string, check: () => unknown | Promise<unknown>): Promise<void> {
  try {
    await check();
    record(suite, name, 'handled');
  } catch (err) {
    record(suite, name, 'bad', (err as Error).message);
    throw err;
  }
}

/** Runs child.ts with a command (see there) and waits; `fileSizeLimitKb` sets `ulimit -f` (RLIMIT_FSIZE) first. */
export function runChild(command: Record<string, unknown>, options: { fileSizeLimitKb?: number; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const args = ['--import', 'tsx', childScript, JSON.stringify(command)];
  if (options.fileSizeLimitKb !== undefined) {
    const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawnSync('/bin/sh', ['-c', `ulimit -f ${options.fileSizeLimitKb} && exec ${quoted}`], { cwd: root, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
  }
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
}

/** Starts child.ts without waiting (to kill it, or to run beside the test). */
export function startChild(command: Record<string, unknown>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(command)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The child's last stdout line as JSON (children print one result line). */
export function childResult<T>(r: SpawnSyncReturns<string>): T {
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`child printed no result (status ${r.status}, signal ${r.signal}); stdout: ${r.stdout.slice(-500)} stderr: ${r.stderr.slice(-1500)}`);
  }
}

/** Waits until `cond` holds, polling every `everyMs`; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 60_000, everyMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Our temporaries (safe-output naming) left in a folder. */
export function strayTemps(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.distill-[a-z-]+-\d+-[0-9a-f]{8}\.tmp/.test(f)) : [];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `distill-studio` CLI in this process (no node start-up per command): its exit code and output. */
export async function cli(...args: string[]): Promise<CliResult> {
  const { main } = await import('../../electron/cli/main.ts');
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/**
 * A command that must be refused before doing any work: it exits with `code`, its stderr matches `message`,
 * every path in `unchanged` is byte for byte as before, and none of `absent` exists afterwards (a database,
 * an output that must not have been created). Recorded either way.
 */
export async function expectCliRefused(
  suite: string,
  name: string,
  args: readonly string[],
  o: { code: 1 | 2; message: RegExp; unchanged?: readonly string[]; absent?: readonly string[] },
): Promise<CliResult> {
  const unchanged = o.unchanged ?? [];
  const before = unchanged.map(snapshot);
  const r = await cli(...args);
  const created = (o.absent ?? []).filter((p) => fs.existsSync(p));
  const after = unchanged.map(snapshot);
  const ok = r.code === o.code && o.message.test(r.stderr) && created.length === 0 && JSON.stringify(before) === JSON.stringify(after);
  record(suite, name, ok ? 'refused' : 'bad', `exit ${r.code}: ${r.stderr.split('\n')[0]}${created.length ? `; created ${created.join(', ')}` : ''}`);
  expect(r.stderr, name).toMatch(o.message);
  expect(r.code, `${name}: exit code (stderr: ${r.stderr})`).toBe(o.code);
  expect(r.stdout, `${name}: printed a result`).toBe('');
  expect(created, `${name}: created files`).toEqual([]);
  expect(after, `${name}: files changed after a refusal`).toEqual(before);
  return r;
}
