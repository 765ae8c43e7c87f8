/**
 * The soak's third process (bench/soak.ts): `node --import tsx soak-child.ts DB FILE [chunked|one]`. Imports FILE into DB
 * (chunked, on this process's event loop) while it lists the runs in a loop and tries to resume a run that
 * the studio process is running, through the CLI's own code (electron/cli/main.ts). Stops after SIGTERM once
 * the import is done, and prints one JSON line (SoakChildResult). Before that it warms up (loads the CLI's
 * modules), prints {"ready":true} and waits for a line on stdin.
 */
import { performance } from 'node:perf_hooks';
import { newLockWaitStats, openDatabase, type ImportStats } from '../db/index.ts';
import { main } from '../electron/cli/main.ts';

export interface SoakChildResult {
  import: ImportStats & { ids: number[]; error: string | null };
  runs: { calls: number; failures: number; longestMs: number; medianMs: number; firstError: string | null };
  resume: { tried: number; refused: number; longestMs: number; sample: string | null; harmed: string[] };
}

const [dbFile, file, mode] = process.argv.slice(2);
/** 'one': the import in one transaction, as it was before issue 9 (the lock held for seconds), to see the runs survive it. */
const chunking = mode === 'one' ? { targetMs: 1e9 } : undefined;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const t0 = performance.now();
  const code = await main(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr, ms: performance.now() - t0 };
}

const result: SoakChildResult = {
  import: { transactions: 0, longestTransactionMs: 0, longestStepMs: 0, totalMs: 0, lock: newLockWaitStats(), ids: [], error: null },
  runs: { calls: 0, failures: 0, longestMs: 0, medianMs: 0, firstError: null },
  resume: { tried: 0, refused: 0, longestMs: 0, sample: null, harmed: [] },
};

// Warm up (module loading), say so, and start on the parent's "go" (its runs are training by then).
await cli('runs', '--json', '--db', dbFile);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.pause();

let imported = false;
const importing = (async () => {
  const db = openDatabase(dbFile);
  try {
    result.import.ids = await db.transfer.importFileAsync(file, { stats: result.import, ...(chunking ? { chunking } : {}) });
  } catch (err) {
    result.import.error = (err as Error).message;
  } finally {
    db.close();
    imported = true;
  }
})();

const listMs: number[] = [];
for (let i = 0; !(stopping && imported); i++) {
  const list = await cli('runs', '--json', '--db', dbFile);
  result.runs.calls++;
  listMs.push(list.ms);
  result.runs.longestMs = Math.max(result.runs.longestMs, list.ms);
  if (list.code !== 0) {
    result.runs.failures++;
    result.runs.firstError ??= list.stderr.trim();
  } else if (i % 3 === 0) {
    // A second process resuming a run the studio runs must be refused and change nothing.
    const rows = (JSON.parse(list.stdout) as { runs: { id: number; status: string }[] }).runs;
    const running = rows.find((r) => r.status === 'running');
    if (running) {
      const r = await cli('resume', String(running.id), '--db', dbFile);
      if (r.code === 1 && /has already completed/.test(r.stderr)) continue; // it ended between the two calls
      result.resume.tried++;
      result.resume.longestMs = Math.max(result.resume.longestMs, r.ms);
      if (r.code === 1 && new RegExp(`run ${running.id} is running in process \\d+`).test(r.stderr)) {
        result.resume.refused++;
        result.resume.sample ??= r.stderr.trim();
      } else result.resume.harmed.push(`resume ${running.id}: exit ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
    }
  }
  await new Promise((r) => setTimeout(r, 100));
}
await importing;
listMs.sort((a, b) => a - b);
result.runs.medianMs = listMs[listMs.length >> 1] ?? 0;
process.stdout.write(`${JSON.stringify(result)}\n`);
