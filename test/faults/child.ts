/**
 * A child process for the fault-injection suite (run with `node --import tsx child.ts '<json command>'`), so
 * that a test can kill a write half-way (kill -9), limit its file size (ulimit -f) or run it beside another
 * writer. Prints one JSON line: the result, or {"error": message}.
 *
 * Commands: build (a large experiment database), export, import, hold-lock (keep the write lock for a
 * while), write-file (core/util/safe-output), save-kb-file, save-bundle, append-metrics, buffered-writer
 * (a training-like writer that must never fail because of a lock).
 */
import { newLockWaitStats, createMetricBuffer, withBusyRetry } from '../../db/busy-retry.ts';
import { openDatabase } from '../../db/index.ts';
import { saveKnowledgeBaseFile } from '../../core/kb/kb-file.ts';
import { writeFileSafely } from '../../core/util/safe-output.ts';
import { makeKb } from '../db/fixtures.ts';
// Model bundles (and the fixtures that make them) load tfjs, a second of start-up: imported by the commands
// that need them only, so that the other children start in a fraction of that.
const bundles = () => Promise.all([import('../../core/nn/bundle.ts'), import('./fixtures.ts')]);

type Command =
  | { op: 'build'; db: string; points: number; kbRows: number; running?: boolean }
  | { op: 'export'; db: string; id: number; out: string; force?: boolean }
  | { op: 'import'; db: string; file: string; chunking?: { targetMs?: number; quietPauseMs?: number } }
  | { op: 'hold-lock'; db: string; ms: number }
  | { op: 'write-file'; out: string; bytes: number; force?: boolean }
  | { op: 'save-kb-file'; out: string; rows: number }
  | { op: 'save-bundle'; out: string }
  | { op: 'append-metrics'; db: string; runId: number; points: number }
  | { op: 'buffered-writer'; db: string; runId: number; batches: number; batchPoints: number; everyMs: number; busyTimeoutMs: number };

const command = JSON.parse(process.argv[2]) as Command;
const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<unknown> {
  switch (command.op) {
    case 'build':
      return (await bundles())[1].buildLargeExperiment(command.db, command);
    case 'export': {
      const db = openDatabase(command.db);
      try {
        return { counts: db.transfer.exportExperiment(command.id, command.out, { force: command.force }) };
      } finally {
        db.close();
      }
    }
    case 'import': {
      const db = openDatabase(command.db);
      const stats = { transactions: 0, longestTransactionMs: 0, longestStepMs: 0, totalMs: 0, lock: newLockWaitStats() };
      try {
        const ids = db.transfer.importFile(command.file, { stats, chunking: command.chunking });
        return { ids, stats };
      } finally {
        db.close();
      }
    }
    case 'hold-lock': {
      const db = openDatabase(command.db);
      db.transaction(() => {
        db.experiments.create({ name: 'lock holder', spec: {}, specVersion: 1 });
        print({ locked: true });
        const until = Date.now() + command.ms;
        while (Date.now() < until) {
          /* hold the write lock, as a long single-transaction writer would */
        }
      });
      db.close();
      return { released: true };
    }
    case 'write-file':
      return { file: writeFileSafely(command.out, new Uint8Array(command.bytes).fill(7), { force: command.force }) };
    case 'save-kb-file':
      return { file: saveKnowledgeBaseFile(command.out, makeKb(command.rows)) };
    case 'save-bundle': {
      const [{ saveBundle }, { realBundle }] = await bundles();
      return { dir: saveBundle(command.out, realBundle()) };
    }
    case 'append-metrics': {
      const db = openDatabase(command.db);
      try {
        const points = Array.from({ length: command.points }, (_, i) => ({ step: i, key: 'charts/episodic_return' as const, value: i }));
        return { written: db.metrics.append(command.runId, points) };
      } finally {
        db.close();
      }
    }
    case 'buffered-writer': {
      // What a training worker does: metrics through a buffer (a short first try, kept when locked), and a
      // status write through withBusyRetry. It must finish with every point written and no error.
      const db = openDatabase(command.db, { check: 'skip' });
      const lock = newLockWaitStats();
      let longestWriteMs = 0;
      const buffer = createMetricBuffer({
        write: (runId, points: readonly { step: number; key: 'charts/epsilon'; value: number }[]) => {
          const started = Date.now();
          try {
            db.withBusyTimeout(command.busyTimeoutMs, () => db.metrics.append(runId, points));
          } finally {
            longestWriteMs = Math.max(longestWriteMs, Date.now() - started);
          }
        },
        retry: { stats: lock },
      });
      let step = 0;
      for (let b = 0; b < command.batches; b++) {
        buffer.append(command.runId, Array.from({ length: command.batchPoints }, () => ({ step: step, key: 'charts/epsilon' as const, value: step++ })));
        await sleep(command.everyMs);
      }
      buffer.flush({ wait: true });
      withBusyRetry('run summary', () => db.runs.setSummary(command.runId, { written: step }), { stats: lock });
      db.close();
      return { written: step, deferred: buffer.deferred, lock, longestWriteMs };
    }
  }
}

main().then(
  (v) => print(v),
  (err: Error) => {
    print({ error: err.message, code: (err as { code?: string }).code });
    process.exitCode = 1;
  },
);
