// Renders build/icon.svg into the PNGs electron-builder packs (build/icons/NxN.png: Linux takes the folder, macOS
// and Windows the 512 px one, which electron-builder converts to .icns/.ico), with Debian's Chromium through
// playwright-core.
// The PNGs are committed; run this only after changing the SVG:  node electron/tools/make-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const svg = fs.readFileSync(path.join(root, 'build/icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.DISTILL_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  const render = async (size, file) => {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg style="display:block;width:${size}px;height:${size}px" `)}</body></html>`);
    await page.screenshot({ path: file, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  };
  for (const size of [16, 32, 48, 64, 128, 256, 512]) await render(size, path.join(root, `build/icons/${size}x${size}.png`));
  console.log('wrote build/icons/{16…512}x{16…512}.png');
} finally {
  await browser.close();
}
