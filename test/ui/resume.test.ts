/**
 * Runs outlive the page but not the studio: when `serve` stops mid-run its running runs become interrupted;
 * the next studio on the same database shows them with Resume, and Resume continues them to the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, type Browser } from './browser.ts';
import { ensureRendererBuilt, shot, startServe, tinySpec, until, type Serve } from './harness.ts';

const missing = chromiumMissing();

describe.skipIf(missing !== null)('interrupted runs in Chromium', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ui-resume-'));
  const dbFile = path.join(dir, 'studio.db');
  let serve: Serve | null = null;
  let browser: Browser;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await launchChromium({ width: 1280, height: 800 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a run interrupted by the studio stopping shows Resume in the next studio, and Resume finishes it', async () => {
    serve = await startServe({ dbFile, jobs: 1 });
    const spec = tinySpec('UI test: interrupted', { totalSteps: 6000 }, []);
    const { experimentId, runIds } = await serve.call('createExperiment', { spec });
    await until('the teacher to train', async () => {
      const r = await serve!.call('getRun', { runId: runIds[0] });
      return r.status === 'running' && (r.progress?.step ?? 0) > 0;
    }, 90_000);
    await serve.stop();

    serve = await startServe({ dbFile, jobs: 1 });
    const page = await browser.context.newPage();
    await page.goto(`${serve.url}#/experiments/${experimentId}`);
    const row = page.locator('[data-testid="run-row"][data-role="teacher"]');
    await until('the teacher to show interrupted', async () => (await row.getAttribute('data-status')) === 'interrupted', 30_000);
    const resume = row.getByTestId('resume-run');
    await resume.waitFor();
    await shot(page, 'monitor-interrupted');
    await resume.click();
    await until('the resumed teacher to complete', async () => (await row.getAttribute('data-status')) === 'completed', 240_000, 500);
    expect((await serve.call('getRun', { runId: runIds[0] })).status).toBe('completed');
    await page.close();
  }, 420_000);
});

if (missing) it.skip(`interrupted runs in Chromium: ${missing}`, () => {});
