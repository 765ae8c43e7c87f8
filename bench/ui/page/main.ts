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
import { compareRuns, episode, knowledgeBase, replayIndex } from './fake-part2.ts';

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
  const compare = setup.scenario === 'compare' || setup.scenario === 'frontier' ? compareRuns(setup.compareRuns ?? 500) : undefined;
  const length = setup.episodeLength ?? 500;
  fake = new FakeApi({
    catalog: setup.catalog,
    experiments,
    detail: setup.scenario === 'monitor' ? { ...experiments[0], ...summaries(1)[0], spec: {} as never, runs: detailRuns } : null,
    pointsPerSeries: setup.pointsPerSeries ?? 0,
    ...(compare ? { compare } : {}),
    ...(setup.scenario === 'replay' ? { replays: { index: replayIndex(length), episodes: [episode(1, length, 0), episode(2, Math.round(length * 0.9), 0.4)] } } : {}),
    ...(setup.scenario === 'kb' ? { kb: knowledgeBase(setup.kbRows ?? 100_000) } : {}),
  });
  nextStep = (setup.pointsPerSeries ?? 0) * 10;
  keys = ['charts/episodic_return', 'losses/td_loss', 'charts/epsilon', 'eval/mean_return'];
  setClient({ api: fake.api, transport: 'browser', ...staticConnection(), close: () => {} });
  const group = setup.grouped === false ? '&group=0' : '';
  location.hash = {
    list: '#/experiments',
    monitor: '#/experiments/1',
    compare: `#/compare?experiments=1${group}`,
    frontier: `#/compare?experiments=1&tab=frontier${group}`,
    replay: '#/replay/2',
    kb: '#/kb/1',
  }[setup.scenario];
  // What "drawn" means per part-2 scenario: every row known to the table, every point on the frontier, the
  // first frame of both episodes, every KB row in the scatter.
  const groups = compare ? (setup.grouped === false ? compare.length : new Set(compare.map((r) => `${r.role}:${r.hiddenSizes.join('-')}:${r.student?.alpha ?? ''}`)).size) : 0;
  const part2Done: Partial<Record<typeof setup.scenario, () => boolean>> = {
    compare: () => document.querySelector('[data-testid="compare-table"]')?.getAttribute('aria-rowcount') === String(groups + 1) && document.querySelectorAll('[data-testid="compare-row"]').length > 0,
    frontier: () => document.querySelector('[data-testid="frontier"]')?.getAttribute('data-points') === String(groups),
    replay: () => document.querySelector('[data-testid="pane-b-canvas"]')?.getAttribute('data-frame') === '0' && document.querySelector('[data-testid="pane-a-canvas"]')?.getAttribute('data-frame') === '0',
    kb: () => document.querySelector('[data-testid="kb-scatter"]')?.getAttribute('data-drawn') === String(setup.kbRows ?? 100_000),
  };
  const target = document.getElementById('app')!;
  const t0 = performance.now();
  mount(App, { target });
  const want = setup.scenario === 'list' ? (setup.experiments ?? 0) : 0;
  await new Promise<void>((resolve) => {
    const done = () =>
      part2Done[setup.scenario]
        ? part2Done[setup.scenario]!()
        : setup.scenario === 'list'
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

/** Frame intervals (requestAnimationFrame) for `seconds`; `onEnd` runs before the figures are taken. */
function measureFrames(seconds: number, onEnd: () => void): Promise<Omit<BenchFrames, 'pointsAppended' | 'pointsDrawn'>> {
  return new Promise((resolve) => {
    const intervals: number[] = [];
    let last = performance.now();
    const start = last;
    const tick = (now: number) => {
      intervals.push(now - last);
      last = now;
      if (now - start < seconds * 1000) {
        requestAnimationFrame(tick);
        return;
      }
      onEnd();
      intervals.shift();
      const sorted = [...intervals].sort((a, b) => a - b);
      resolve({ frames: intervals.length, seconds: (now - start) / 1000, fps: intervals.length / ((now - start) / 1000), p95FrameMs: sorted[Math.floor(sorted.length * 0.95)] ?? 0, maxFrameMs: sorted[sorted.length - 1] ?? 0 });
    };
    requestAnimationFrame(tick);
  });
}

window.benchStream = async ({ seconds, batchEveryMs, pointsPerBatch }) => {
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
  const frames = await measureFrames(seconds, () => clearInterval(timer));
  const drawn = [...document.querySelectorAll<HTMLElement>('[data-points]')].reduce((s, e) => s + Number(e.dataset.points), 0);
  return { ...frames, pointsAppended: appended, pointsDrawn: drawn };
};

window.benchPlay = async ({ seconds, speed }) => {
  const select = document.querySelector<HTMLSelectElement>('[data-testid="speed"]')!;
  select.value = String(speed);
  select.dispatchEvent(new Event('change', { bubbles: true }));
  const readout = () => Number(/step (\d+)/.exec(document.querySelector('[data-testid="step-readout"]')?.textContent ?? '')?.[1] ?? 0);
  const play = () => document.querySelector<HTMLButtonElement>('[data-testid="play"]')!.click();
  // From the first step, so that the whole measurement is playback (not the held last frame).
  const scrub = document.querySelector<HTMLInputElement>('[data-testid="scrub"]')!;
  scrub.value = '0';
  scrub.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise((r) => requestAnimationFrame(r));
  const first = readout();
  play();
  const frames = await measureFrames(seconds, play);
  return { ...frames, pointsAppended: 0, pointsDrawn: 0, stepsShown: readout() - first };
};
