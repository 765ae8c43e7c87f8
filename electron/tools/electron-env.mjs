// The Electron binary and a better-sqlite3 addon for Electron's ABI, obtained on demand (npm start, the launch
// test). Neither can come from `npm ci` alone: electron fetches its binary on first use (not as an install
// script, so npm 11's allowScripts has nothing to approve), and better-sqlite3 in node_modules is built for
// Node's ABI, which the CLI and the tests need. The Electron build of the addon goes to
// .electron-native/<electron version>/ and DISTILL_SQLITE_BINDING points the app at it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const electronDir = path.join(root, 'node_modules', 'electron');

export function electronVersion() {
  return JSON.parse(fs.readFileSync(path.join(electronDir, 'package.json'), 'utf8')).version;
}

/** The Electron executable if it is on disk, else null (never downloads). */
export function electronBinary() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const name = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8') : 'electron';
    const file = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name);
    return fs.existsSync(file) ? file : null;
  }
  if (!fs.existsSync(pathFile)) return null;
  const file = path.join(electronDir, 'dist', fs.readFileSync(pathFile, 'utf8'));
  return fs.existsSync(file) ? file : null;
}

/**
 * Runs electron's own install script (it downloads the binary). Returns the binary, or why it failed in one
 * line. DISTILL_ELECTRON_DOWNLOAD=0 forbids the download (tests, metered connections).
 */
export function fetchElectron({ timeoutMs = 300_000 } = {}) {
  if (process.env.DISTILL_ELECTRON_DOWNLOAD === '0') return { binary: null, reason: 'downloading it is disabled (DISTILL_ELECTRON_DOWNLOAD=0)' };
  const r = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { cwd: electronDir, encoding: 'utf8', timeout: timeoutMs });
  const binary = electronBinary();
  if (binary) return { binary };
  const output = `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
  const reason = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|getaddrinfo|network|fetch failed/i.test(output) ? 'no internet access to download it' : (r.error?.message ?? output.trim().split('\n').find((l) => /error/i.test(l)) ?? `exit code ${r.status}`);
  return { binary: null, reason };
}

/** Where the Electron build of better-sqlite3 lives. */
export function electronSqlitePath(version = electronVersion()) {
  return path.join(root, '.electron-native', version, 'better_sqlite3.node');
}

/**
 * Builds better-sqlite3 for Electron's ABI with @electron/rebuild (a prebuilt binary or node-gyp with Electron's
 * headers: both need internet), in a scratch copy so that node_modules keeps Node's build. Returns the addon's
 * path, or why it could not.
 */
export async function ensureElectronSqlite(version = electronVersion()) {
  const target = electronSqlitePath(version);
  if (fs.existsSync(target)) return { file: target };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-electron-sqlite-'));
  try {
    const moduleDir = path.join(scratch, 'node_modules', 'better-sqlite3');
    fs.cpSync(path.join(root, 'node_modules', 'better-sqlite3'), moduleDir, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) });
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'electron-sqlite-scratch', version: '0.0.0', dependencies: { 'better-sqlite3': '*' } }));
    const { rebuild } = await import('@electron/rebuild');
    await rebuild({ buildPath: scratch, electronVersion: version, onlyModules: ['better-sqlite3'], force: true });
    const built = path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node');
    if (!fs.existsSync(built)) return { file: null, reason: `@electron/rebuild produced no ${built}` };
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(built, target);
    return { file: target };
  } catch (err) {
    const message = String(err?.message ?? err).split('\n')[0];
    return { file: null, reason: /ENOTFOUND|EAI_AGAIN|getaddrinfo|network/i.test(message) ? 'no internet access to fetch Electron headers or a prebuilt addon' : message };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
