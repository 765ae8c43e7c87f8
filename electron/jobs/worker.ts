/**
 * A long-lived job worker (tfjs-node cannot be loaded by a second worker thread, so workers are reused, not
 * respawned per job). It owns its own database connection: metrics, checkpoints, models, knowledge bases,
 * evaluations, replays and the run's status are written from here. Progress goes to the host, throttled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type JobSpec } from '../../core/experiment/jobs.ts';
import { selectBackend, type BackendName } from '../../core/nn/backend.ts';
import { CancelledError } from '../../core/training/errors.ts';
import { openJobStore } from './db-store.ts';
import type { HostMessage, WorkerInit, WorkerMessage } from './protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);
const PROGRESS_MS = 200;

const backend = await selectBackend(init.backend as BackendName | 'auto');
const store = openJobStore(init.dbFile);
const controllers = new Map<number, AbortController>();
/** Runs cancelled while still waiting in this worker's queue. */
const cancelledEarly = new Set<number>();
let queue: Promise<void> = Promise.resolve();

async function execute(job: JobSpec): Promise<void> {
  if (cancelledEarly.delete(job.runId)) {
    store.markCancelled(job.runId);
    send({ type: 'cancelled', runId: job.runId });
    return;
  }
  const controller = new AbortController();
  controllers.set(job.runId, controller);
  let lastProgress = 0;
  try {
    store.markRunning(job.runId, backend.name);
    send({ type: 'started', runId: job.runId });
    const summary = await runJob(job, {
      store,
      backend: backend.name,
      signal: controller.signal,
      ...(init.checkpointEvery ? { checkpointEvery: init.checkpointEvery } : {}),
      onProgress: (progress) => {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_MS && progress.envSteps < progress.totalSteps) return;
        lastProgress = now;
        send({ type: 'progress', runId: job.runId, progress });
      },
    });
    store.markCompleted(job.runId, summary);
    send({ type: 'completed', runId: job.runId, summary });
  } catch (err) {
    const e = err as Error;
    if (err instanceof CancelledError) {
      store.markCancelled(job.runId);
      send({ type: 'cancelled', runId: job.runId });
    } else {
      const message = e.message || String(err);
      store.markFailed(job.runId, message);
      send({ type: 'failed', runId: job.runId, error: message });
    }
  } finally {
    controllers.delete(job.runId);
  }
}

// Fault injection for the runner's tests: the worker thread dies abruptly when it starts this run.
const crashRun = process.env.DISTILL_TEST_WORKER_CRASH_RUN;

port.on('message', (m: HostMessage) => {
  if (m.type === 'run' && crashRun !== undefined && String(m.job.runId) === crashRun) process.exit(3);
  if (m.type === 'run') queue = queue.then(() => execute(m.job));
  else if (m.type === 'cancel') {
    const running = controllers.get(m.runId);
    if (running) running.abort();
    else cancelledEarly.add(m.runId);
  }
});
send({ type: 'ready', backend: backend.name });
