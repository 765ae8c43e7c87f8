/**
 * Debian's Chromium driven by playwright-core (never `npx playwright install`): headless, no sandbox (CI runs
 * as root), no GPU, no background traffic, a fresh profile per launch. Where /usr/bin/chromium is absent the
 * UI tests skip with a sentence, unless DISTILL_REQUIRE_CHROMIUM=1 (CI) makes that a failure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.DISTILL_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'];

/** null when Chromium is there; otherwise why the UI tests cannot run (they skip, or fail under CI). */
export function chromiumMissing(): string | null {
  if (fs.existsSync(CHROMIUM_PATH)) return null;
  const why = `Chromium not found at ${CHROMIUM_PATH}: the browser UI tests need Debian's chromium (apt-get install -y chromium)`;
  if (process.env.DISTILL_REQUIRE_CHROMIUM === '1') throw new Error(`${why}, and DISTILL_REQUIRE_CHROMIUM=1 requires them`);
  return why;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    deviceScaleFactor: 1,
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');
