/**
 * A long-lived job worker (tfjs-node cannot be loaded by a second worker thread, so workers are reused, not
 * respawned per job). It owns its own database connection: metrics, checkpoints, models, knowledge bases,
 * evaluations, replays and the run's status are written from here. Progress and new metric points go to the
 * host, throttled.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type JobSpec } from '../../core/experiment/jobs.ts';
import { selectBackend, type BackendInfo, type BackendName } from '../../core/nn/backend.ts';
import { RunClaimError } from '../../db/index.ts';
import { CancelledError } from '../../core/training/errors.ts';
import { openJobStore } from './db-store.ts';
import type { HostMessage, JobProgress, MetricPoint, WorkerInit, WorkerMessage } from './protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);
const PROGRESS_MS = 200;
const METRICS_MS = init.metricsIntervalMs ?? 250;

// Training saturates the cores; at a lower priority than the host's thread it never starves the studio's event
// loop (IPC, HTTP, events). On Linux the nice value is per thread (setpriority(2), NOTES), so this thread alone
// moves; elsewhere it would move the whole process, so it is left alone.
if (process.platform === 'linux' && init.niceness) {
  try {
    os.setPriority(Math.max(os.getPriority(), init.niceness));
  } catch {
    // not permitted: keep the priority
  }
}

/** The worker's own backend (init.backend); a job may ask for another (a resumed run's recorded backend). */
const workerBackend = await selectBackend(init.backend as BackendName | 'auto');
let backend: BackendInfo = workerBackend;
const store = openJobStore(init.dbFile);
const controllers = new Map<number, AbortController>();
/** Runs cancelled while still waiting in this worker's queue. */
const cancelledEarly = new Set<number>();
let queue: Promise<void> = Promise.resolve();

/**
 * Metric points of the running job, forwarded in batches at most every METRICS_MS (and at the end), so that
 * a chart grows live without polling the database.
 */
function metricForwarder(runId: number) {
  let pending: MetricPoint[] = [];
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    last = Date.now();
    send({ type: 'metrics', runId, points: pending });
    pending = [];
  };
  return {
    add(points: readonly MetricPoint[]) {
      for (const p of points) pending.push(p);
      if (Date.now() - last >= METRICS_MS) flush();
      // The training loop yields now and then; a timer sends what waits when it does.
      else if (!timer) timer = setTimeout(flush, METRICS_MS).unref();
    },
    flush,
  };
}

async function execute(job: JobSpec, requestedBackend: string | undefined): Promise<void> {
  if (cancelledEarly.delete(job.runId)) {
    store.markCancelledBeforeStart(job.runId);
    send({ type: 'cancelled', runId: job.runId });
    return;
  }
  // The job's backend: the one it asks for (a resumed run continues on its own), else the worker's.
  let backendError: string | null = null;
  const want = requestedBackend ?? workerBackend.name;
  if (backend.name !== want) {
    try {
      backend = await selectBackend(want as BackendName);
    } catch (err) {
      backendError = (err as Error).message;
    }
  }
  try {
    // One atomic statement: if another process took the run meanwhile, nothing is written here.
    store.claim(job.runId, backendError === null ? backend.name : want);
  } catch (err) {
    send({ type: 'refused', runId: job.runId, error: (err as Error).message });
    if (!(err instanceof RunClaimError) && process.env.DISTILL_DEBUG) console.error(err);
    return;
  }
  if (backendError !== null) {
    // The host checks availability before it queues a run; this is what is left (e.g. a library that fails to load).
    const message = `${backendError}; resume it on another backend (--backend) if its arithmetic may change`;
    finish(job.runId, () => store.markFailed(job.runId, message), { type: 'failed', runId: job.runId, error: message });
    return;
  }
  const controller = new AbortController();
  controllers.set(job.runId, controller);
  const metrics = metricForwarder(job.runId);
  let lastProgress = 0;
  try {
    send({ type: 'started', runId: job.runId, backend: backend.name });
    const summary = await runJob(job, {
      store: { ...store, appendMetrics: (runId, points) => (store.appendMetrics(runId, points), metrics.add(points)) },
      backend: backend.name,
      signal: controller.signal,
      ...(init.checkpointEvery ? { checkpointEvery: init.checkpointEvery } : {}),
      onProgress: (progress) => {
        const now = Date.now();
        const p = progress as JobProgress;
        // Always send the end of a phase, and a phase change, so that the host never shows a stale phase.
        if (now - lastProgress < PROGRESS_MS && p.envSteps < p.totalSteps) return;
        lastProgress = now;
        send({ type: 'progress', runId: job.runId, progress: p });
      },
    });
    metrics.flush();
    finish(job.runId, () => store.markCompleted(job.runId, summary), { type: 'completed', runId: job.runId, summary });
  } catch (err) {
    metrics.flush();
    const e = err as Error;
    if (err instanceof CancelledError || e.name === 'AbortError') finish(job.runId, () => store.markCancelled(job.runId), { type: 'cancelled', runId: job.runId });
    else {
      const message = e.message || String(err);
      finish(job.runId, () => store.markFailed(job.runId, message), { type: 'failed', runId: job.runId, error: message });
    }
  } finally {
    controllers.delete(job.runId);
  }
}

/**
 * Stores how a run ended and tells the host. The store waits out locks; if the write still fails (the disk
 * died, the file was found corrupt), the host hears a failure naming both, and marks the run from its side.
 */
function finish(runId: number, write: () => void, message: WorkerMessage): void {
  let ended = message;
  try {
    write();
  } catch (err) {
    const what = message.type === 'failed' ? message.error : `it ${message.type}`;
    ended = { type: 'failed', runId, error: `${what}; and its end could not be stored: ${(err as Error).message}` };
  }
  // Before the end of the run, so that whoever waits for the run sees its waits.
  send({ type: 'lockWaits', stats: { ...store.lockWaits } });
  send(ended);
}

// Fault injection for the runner's tests: the worker thread dies abruptly when it starts this run.
const crashRun = process.env.DISTILL_TEST_WORKER_CRASH_RUN;

port.on('message', (m: HostMessage) => {
  if (m.type === 'run' && crashRun !== undefined && String(m.job.runId) === crashRun) process.exit(3);
  if (m.type === 'run') queue = queue.then(() => execute(m.job, m.backend));
  else if (m.type === 'cancel') {
    const running = controllers.get(m.runId);
    if (running) running.abort();
    else cancelledEarly.add(m.runId);
  }
});
send({ type: 'ready', backend: workerBackend.name });
