/**
 * The live workflow in Chromium against `distill-studio serve` on a temporary database (issue 7): design an
 * experiment with tiny budgets in the form → Start → the monitor shows progress and growing curves → a reload
 * mid-run finds the run still going → all runs complete → the list shows the best score. Also: an invalid field
 * shows its message and nothing is saved; cancel stops a run and marks it cancelled; a failed run shows its
 * error. Every view is saved to test/artifacts/ for a person to look at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium, type Browser } from './browser.ts';
import { ensureRendererBuilt, shot, shotTall, startServe, tinySpec, until, type Serve } from './harness.ts';

const missing = chromiumMissing();
if (missing) console.warn(`UI tests skipped: ${missing}`);

const field = (page: Page, path: string) => page.locator(`[id="f-${path}"]`);
const fieldError = (page: Page, path: string) => page.locator(`[data-field="f-${path}"]`);

/** Sum of the points drawn in every chart of the page. */
async function chartPoints(page: Page): Promise<number> {
  return page.$$eval('[data-points]', (els) => els.reduce((s, e) => s + Number((e as HTMLElement).dataset.points ?? 0), 0));
}

async function rowOf(page: Page, role: string) {
  return page.locator(`[data-testid="run-row"][data-role="${role}"]`).first();
}

async function progressStep(page: Page, role: string): Promise<number> {
  const v = await (await rowOf(page, role)).locator('[data-testid="run-progress"]').getAttribute('data-step');
  return Number(v || 0);
}

describe.skipIf(missing !== null)('studio in Chromium (browser mode)', () => {
  let serve: Serve;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureRendererBuilt();
    serve = await startServe({ jobs: 2 });
    browser = await launchChromium({ width: 1280, height: 800 });
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  }, 60_000);

  it('the empty list explains what to do, and the token leaves the address bar', async () => {
    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'No experiments yet' }).waitFor();
    expect(await page.getByText(/Design one in the form/).isVisible()).toBe(true);
    expect(page.url()).not.toContain('token=');
    expect(page.url()).toContain('#/experiments');
    await shot(page, 'list-empty');
  });

  it('an invalid field shows its message next to it, Start stays disabled, and nothing is saved', async () => {
    await page.evaluate(() => localStorage.clear());
    await page.getByRole('link', { name: 'Design an experiment' }).click();
    await page.locator('[data-testid="student-row"]').first().waitFor();
    await field(page, 'students.0.alpha').fill('1.5');
    await expect.poll(() => fieldError(page, 'students.0.alpha').textContent()).toBe('must be ≤ 1');
    await field(page, 'students.1.steps').fill('12a');
    await expect.poll(() => fieldError(page, 'students.1.steps').textContent()).toBe('Enter a number');
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    expect(await page.getByTestId('issues').textContent()).toContain('Student 1 · alpha: must be ≤ 1');
    // Enter in a field submits nothing either
    await field(page, 'students.0.alpha').press('Enter');
    await shot(page, 'designer-errors');
    expect(await serve.call('listExperiments', {})).toEqual([]);

    // The JSON tab shows the same draft (and the same problem)
    await page.getByTestId('json-tab').click();
    const json = await page.getByTestId('json-editor').inputValue();
    expect(JSON.parse(json).students[0].alpha).toBe(1.5);
    await shot(page, 'designer-json');
    await page.getByRole('tab', { name: 'Form' }).click();
  }, 60_000);

  it('designs a tiny experiment in the form, starts it, and watches it train live through a reload until every run completed', async () => {
    await field(page, 'students.0.alpha').fill('0');
    await field(page, 'students.1.steps').fill('400');
    await field(page, 'name').fill('UI test: tiny CartPole');
    await field(page, 'teacher.train.overrides.hiddenSizes').fill('16, 16');
    // 4,000 steps: with the default preset's 3-step returns a 3,000-step teacher of seed 1 is not yet clear of the
    // random policy by the margin normalised scores need (return 41 against 22), a 4,000-step one is (219).
    await field(page, 'teacher.train.overrides.totalSteps').fill('4000');
    await page.getByRole('button', { name: /All DQN settings/ }).click();
    await field(page, 'teacher.train.overrides.learningStarts').fill('200');
    await field(page, 'teacher.train.overrides.evalEvery').fill('500');
    await field(page, 'teacher.train.overrides.evalEpisodes').fill('3');
    await field(page, 'knowledgeBase.steps').fill('400');
    await field(page, 'students.0.steps').fill('200');
    await field(page, 'seeds').fill('1');
    await field(page, 'evaluation.episodes').fill('3');
    await field(page, 'evaluation.replays').fill('0');
    // Sizes as you type: a 16-16 teacher has (4+1)·16 + 17·16 + 17·2 = 386 parameters; an 8-8 student 130.
    await expect.poll(() => page.getByTestId('teacher-size').textContent()).toContain('386 params');
    expect(await page.locator('[data-testid="student-params"]').first().textContent()).toContain('34 %');
    await expect.poll(() => page.getByTestId('plan-summary').textContent(), { timeout: 15_000 }).toContain('4 runs: 1 teacher, 2 students, 1 baseline');
    expect(await page.getByTestId('start').isEnabled()).toBe(true);
    await shotTall(page, 'designer-valid');

    await page.getByTestId('start').click();
    await page.waitForURL(/#\/experiments\/\d+$/);
    const id = Number(/#\/experiments\/(\d+)$/.exec(page.url())![1]);
    expect((await serve.call('getExperiment', { id })).name).toBe('UI test: tiny CartPole');

    // Progress and curve points grow while the teacher trains.
    const teacher = await rowOf(page, 'teacher');
    await until('the teacher to run', async () => (await teacher.getAttribute('data-status')) === 'running', 60_000);
    const step0 = await until('a first progress step', async () => (await progressStep(page, 'teacher')) || null, 60_000);
    const points0 = await until('first curve points', async () => (await chartPoints(page)) || null, 60_000);
    await until('progress to advance', async () => (await progressStep(page, 'teacher')) > step0 || (await teacher.getAttribute('data-status')) !== 'running', 60_000);
    await until('curves to grow', async () => (await chartPoints(page)) > points0, 60_000);
    await shot(page, 'monitor-running');

    // A reload mid-run: the run keeps going in the studio process and the page picks it up again.
    const running = await until('a running run', async () => page.locator('[data-testid="run-row"][data-status="running"]').first().getAttribute('data-run-id'), 60_000, 100);
    const runId = Number(running);
    const stepBefore = Number((await page.locator(`[data-run-id="${runId}"] [data-testid="run-progress"]`).getAttribute('data-step')) || 0);
    await page.reload();
    const same = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
    await same.waitFor();
    expect(page.url()).not.toContain('token=');
    expect(['running', 'completed']).toContain(await same.getAttribute('data-status'));
    const server = await serve.call('getRun', { runId });
    expect(['running', 'completed']).toContain(server.status);
    if (server.status === 'running') {
      await until('its progress to go on after the reload', async () => {
        const s = await same.getAttribute('data-status');
        return s === 'completed' || Number((await same.locator('[data-testid="run-progress"]').getAttribute('data-step')) || 0) > stepBefore;
      }, 60_000);
    }

    // Everything completes; the monitor says so.
    await until(
      'every run to complete',
      async () => {
        const statuses = await page.$$eval('[data-testid="run-row"]', (rows) => rows.map((r) => (r as HTMLElement).dataset.status));
        if (statuses.some((s) => s === 'failed' || s === 'cancelled')) throw new Error(`a run ended ${statuses.join(', ')}: ${serve.stderr()}`);
        return statuses.length === 4 && statuses.every((s) => s === 'completed');
      },
      240_000,
      500,
    );
    await until('the students’ curves', async () => (await page.locator('[data-testid^="chart:"]').count()) >= 4, 20_000);
    await page.waitForTimeout(500);
    await shotTall(page, 'monitor-completed');
    const detail = await serve.call('getExperiment', { id });
    expect(detail.bestStudentScore).not.toBeNull();
    // A teacher of 4,000 steps may end below CartPole's 475: the monitor says so exactly when the service does.
    const teacherRun = await serve.call('getRun', { runId: Number(await teacher.getAttribute('data-run-id')) });
    const below = page.locator('[data-testid="below-threshold"]');
    if (teacherRun.result?.reachedThreshold === false) expect(await below.textContent()).toMatch(/Below threshold:.*under CartPole-v1's reward threshold 475\.0;\s+students distilled from it learn an unsolved policy/s);
    else expect(await below.count()).toBe(0);

    // The list shows it with its best student's score.
    await page.getByRole('link', { name: 'Experiments', exact: true }).first().click();
    const row = page.locator(`[data-testid="experiment-row"][data-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-testid="best-score"]').textContent()).toContain(detail.bestStudentScore!.toFixed(2).replace('-', '−')); // as the list prints scores
    expect(await row.textContent()).toContain('4 completed');
    await shot(page, 'list-full');

    // Keyboard: the delete dialog opens with Enter on its button and closes with Escape, deleting nothing.
    await row.getByRole('button', { name: /^Delete/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await shot(page, 'list-delete-dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect((await serve.call('listExperiments', {})).length).toBe(1);

    // Export downloads the portable file; importing it back into the database it came from is refused with a
    // sentence, and nothing is added.
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /^Export/ }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.dsx$/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ui-export-')), download.suggestedFilename());
    await download.saveAs(file);
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    await page.getByTestId('import-input').setInputFiles(file);
    await expect.poll(() => page.getByRole('alert').last().textContent()).toMatch(/^Could not import .*\.dsx: .+/);
    await shot(page, 'list-import-refused');
    // The refused upload is the one console error Chromium logs here (a 4xx answer); nothing else went wrong.
    expect(pageErrors.splice(0)).toEqual([expect.stringMatching(/status of 4\d\d/)]);
    expect((await serve.call('listExperiments', {})).length).toBe(1);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }, 420_000);

  it('cancel stops a running run and marks it cancelled', async () => {
    const spec = tinySpec('UI test: cancel me', { totalSteps: 200_000 });
    const created = await serve.call('createExperiment', { spec });
    await page.goto(`${serve.origin}/#/experiments/${created.experimentId}`);
    const teacher = await rowOf(page, 'teacher');
    await until('the teacher to run', async () => (await teacher.getAttribute('data-status')) === 'running' && (await progressStep(page, 'teacher')) > 0, 90_000);
    await teacher.getByTestId('cancel-run').click();
    await until('the teacher to show cancelled', async () => (await teacher.getAttribute('data-status')) === 'cancelled', 30_000);
    const run = await serve.call('getRun', { runId: created.runIds[0] });
    expect(run.status).toBe('cancelled');
    // It stopped: no new curve points after cancelling, and it stays cancelled.
    await page.waitForTimeout(500);
    const points = await chartPoints(page);
    await page.waitForTimeout(1500);
    expect(await chartPoints(page)).toBe(points);
    expect((await serve.call('getRun', { runId: created.runIds[0] })).status).toBe('cancelled');
    await shot(page, 'monitor-cancelled');
  }, 180_000);

  it('a failed run shows its error', async () => {
    // A learning rate of 1e30 without gradient clipping diverges: the run fails with a NaN loss.
    const spec = tinySpec('UI test: diverges', { totalSteps: 600, learningStarts: 100, learningRate: 1e30, maxGradNorm: 0 });
    const created = await serve.call('createExperiment', { spec });
    await page.goto(`${serve.origin}/#/experiments/${created.experimentId}`);
    const teacher = await rowOf(page, 'teacher');
    await until('the teacher to fail', async () => (await teacher.getAttribute('data-status')) === 'failed', 120_000);
    await expect.poll(() => page.locator('[data-testid="run-error"]').first().textContent()).toMatch(/NaN/);
    await shot(page, 'monitor-failed');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});

if (missing) it.skip(`studio in Chromium: ${missing}`, () => {});
