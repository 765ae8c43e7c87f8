/**
 * Runs of stand-alone commands resume like experiment runs: Ctrl-C on `train-teacher` cancels at a checkpoint,
 * `resume` continues it, and a second `resume` of the run while the first is running is refused with the
 * process that runs it, changing nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'distill-studio.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dbFile = path.join(tmp, 'studio.db');
// The plain tfjs engine: on the fused engine the resumed run can finish before the second resume looks at it.
const env = { ...process.env, DISTILL_BACKEND: 'wasm' };

function peek<T>(sql: string): T | undefined {
  if (!fs.existsSync(dbFile)) return undefined;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).get() as T | undefined;
  } catch {
    return undefined; // the schema may not exist yet
  } finally {
    db.close();
  }
}

function start(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args, '--db', dbFile], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

describe('resume of a stand-alone run', () => {
  it('Ctrl-C cancels train-teacher at a checkpoint; resume finishes it; a concurrent resume is refused', async () => {
    const train = start(['train-teacher', '--env', 'CartPole-v1', '--seed', '1', '--steps', '12000', '--eval-episodes', '2', '--out', path.join(tmp, 'teacher')]);
    await expect.poll(() => peek<{ step: number }>('SELECT step FROM checkpoints WHERE run_id = 1')?.step ?? 0, { timeout: 90_000, interval: 100 }).toBeGreaterThanOrEqual(2000);
    train.child.kill('SIGINT');
    expect(await train.exit).toBe(1);
    expect(train.err()).toMatch(/run 1 was cancelled; continue it with: distill-studio resume 1 --db /);
    expect(fs.existsSync(path.join(tmp, 'teacher'))).toBe(false);
    expect(peek<{ status: string }>('SELECT status FROM runs WHERE id = 1')?.status).toBe('cancelled');

    const first = start(['resume', '1', '--json']);
    await expect.poll(() => peek<{ status: string; owner_pid: number }>('SELECT status, owner_pid FROM runs WHERE id = 1')?.owner_pid, { timeout: 60_000, interval: 50 }).toBe(first.child.pid);
    const second = spawnSync(process.execPath, [bin, 'resume', '1', '--db', dbFile], { cwd: tmp, env, encoding: 'utf8' });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`run 1 is running in process ${first.child.pid}`));
    expect(await first.exit).toBe(0);
    const summary = JSON.parse(first.out().trim().split('\n').at(-1)!);
    expect(summary.resumedFrom).toBeGreaterThanOrEqual(2000);
    expect(summary.runs).toMatchObject([{ id: 1, status: 'completed', role: 'teacher' }]);
    const db = new Database(dbFile, { readonly: true });
    const steps = db.prepare(`SELECT m.step FROM metrics m JOIN metric_series s ON s.id = m.series_id WHERE s.run_id = 1 AND s.key = 'charts/epsilon' ORDER BY m.step`).pluck().all();
    db.close();
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 1000));
  }, 240_000);
});
