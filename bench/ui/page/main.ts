/**
 * The UI bench page: mounts the real studio app on the in-memory FakeApi (bench/ui/page/fake-api.ts) and
 * exposes what the Playwright bench driver (bench/ui/run-ui.ts) measures: the list's first paint, and the
 * monitor's frame rate while metric points stream in.
 */
import './t0.ts';
import { mount } from 'svelte';
import type { ExperimentSummary, RunView } from '../../../electron/api/contract.ts';
import App from '../../../renderer/App.svelte';
import { setClient, staticConnection } from '../../../renderer/lib/api/client.ts';
import '../../../renderer/styles/base.css';
import '../../../renderer/styles/controls.css';
import '../../../renderer/styles/tokens.css';
import type { BenchFrames } from '../bench-api.ts';
import { curve, FakeApi, runView } from './fake-api.ts';

function summaries(n: number): ExperimentSummary[] {
  const envs = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0'];
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    name: `Experiment ${i + 1}: ${['8-8', '16-16', '32-32'][i % 3]} students, α sweep`,
    env: envs[i % 3],
    createdAt: new Date(Date.now() - i * 3_600_000).toISOString(),
    runCounts: { total: 13, queued: i % 7 === 0 ? 2 : 0, running: i % 7 === 0 ? 1 : 0, completed: i % 7 === 0 ? 10 : 13, failed: 0, cancelled: 0, interrupted: 0 },
    bestStudentScore: i % 5 === 0 ? null : 0.6 + ((i * 37) % 40) / 100,
    bestStudentRunId: i % 5 === 0 ? null : i * 10 + 2,
    teacherReturn: 480 + (i % 20),
  }));
}

function runs(n: number): RunView[] {
  const out: RunView[] = [runView(1, 'teacher', 'teacher 64-64', [64, 64], 'running')];
  for (let i = 2; i <= n; i++) {
    const baseline = i > Math.ceil(n * 0.7);
    out.push(runView(i, baseline ? 'baseline' : 'student', `${baseline ? 'baseline' : 'student'} ${i}`, [4 * i, 4 * i], 'running'));
  }
  return out;
}

let fake: FakeApi | null = null;
let runCount = 0;
let keys: string[] = [];
let nextStep = 0;

window.benchSetup = async (setup) => {
  runCount = setup.runs ?? 10;
  const experiments = summaries(setup.experiments ?? 0);
  const detailRuns = setup.scenario === 'monitor' ? runs(runCount) : [];
  fake = new FakeApi({
    catalog: setup.catalog,
    experiments,
    detail: setup.scenario === 'monitor' ? { ...experiments[0], ...summaries(1)[0], spec: {} as never, runs: detailRuns } : null,
    pointsPerSeries: setup.pointsPerSeries ?? 0,
  });
  nextStep = (setup.pointsPerSeries ?? 0) * 10;
  keys = ['charts/episodic_return', 'losses/td_loss', 'charts/epsilon', 'eval/mean_return'];
  setClient({ api: fake.api, transport: 'browser', ...staticConnection(), close: () => {} });
  location.hash = setup.scenario === 'list' ? '#/experiments' : '#/experiments/1';
  const target = document.getElementById('app')!;
  const t0 = performance.now();
  mount(App, { target });
  const want = setup.scenario === 'list' ? (setup.experiments ?? 0) : 0;
  await new Promise<void>((resolve) => {
    const done = () =>
      setup.scenario === 'list'
        ? want === 0
          ? document.body.textContent?.includes('No experiments yet') === true
          : // the table knows every experiment (aria-rowcount) and shows its first rows (the rest are windowed)
          document.querySelector('[data-testid="experiments"]')?.getAttribute('aria-rowcount') === String(want + 1) &&
          document.querySelectorAll('[data-testid="experiment-row"]').length > 0
        : [...document.querySelectorAll<HTMLElement>('[data-points]')].some((e) => Number(e.dataset.points) > 0);
    if (done()) return resolve();
    const obs = new MutationObserver(() => {
      if (done()) {
        obs.disconnect();
        resolve();
      }
    });
    obs.observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  // The frame that shows the rows: wait for the next animation frame, then for the paint after it.
  await new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const t1 = performance.now();
  return { mountMs: t1 - t0, sinceNavigationMs: t1, scriptStartMs: (window as unknown as { benchScriptStart: number }).benchScriptStart, appStartMs: t0 };
};

// The list from a cold page: mounted while the page loads (the catalog is not needed there), so the time since
// navigation is the user's wait for the list, with nothing of the driver's in between.
const boot = new URLSearchParams(location.search);
if (boot.get('scenario') === 'list') {
  window.benchBoot = window.benchSetup({ scenario: 'list', catalog: {} as never, experiments: Number(boot.get('experiments') ?? 1000) });
}

window.benchStream = ({ seconds, batchEveryMs, pointsPerBatch }) =>
  new Promise<BenchFrames>((resolve) => {
    let appended = 0;
    const timer = setInterval(() => {
      // Every run gets a batch of every key (events are per run, as the host sends them).
      for (let r = 1; r <= runCount; r++) {
        const points = [];
        for (let i = 0; i < pointsPerBatch; i++) for (const key of keys) points.push({ key, step: (nextStep + i) * 10, value: curve(key, r, nextStep + i) });
        appended += points.length;
        fake!.emit('metricPoints', { runId: r, points });
      }
      nextStep += pointsPerBatch;
    }, batchEveryMs);
    const intervals: number[] = [];
    let last = performance.now();
    const start = last;
    const tick = (now: number) => {
      intervals.push(now - last);
      last = now;
      if (now - start < seconds * 1000) requestAnimationFrame(tick);
      else {
        clearInterval(timer);
        intervals.shift();
        const sorted = [...intervals].sort((a, b) => a - b);
        const drawn = [...document.querySelectorAll<HTMLElement>('[data-points]')].reduce((s, e) => s + Number(e.dataset.points), 0);
        resolve({
          frames: intervals.length,
          seconds: (now - start) / 1000,
          fps: intervals.length / ((now - start) / 1000),
          p95FrameMs: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
          maxFrameMs: sorted[sorted.length - 1] ?? 0,
          pointsAppended: appended,
          pointsDrawn: drawn,
        });
      }
    };
    requestAnimationFrame(tick);
  });
