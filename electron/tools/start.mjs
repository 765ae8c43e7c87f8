// `npm start`: builds what the app needs, then launches the Electron app; where Electron cannot run (no binary
// and no way to download it, as on the build machines, or no better-sqlite3 for its ABI), says so in one line
// and starts browser mode instead, printing the URL. Extra arguments go to `serve` in browser mode.
//   DISTILL_SKIP_BUILD=1 npm start     reuse the existing dist/
//   DISTILL_BROWSER=1 npm start        browser mode without trying Electron
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildHost, buildRenderer, dist, root } from './build.mjs';
import { electronBinary, ensureElectronSqlite, fetchElectron } from './electron-env.mjs';

const say = (line) => process.stderr.write(`distill-studio: ${line}\n`);

if (process.env.DISTILL_SKIP_BUILD !== '1') {
  await buildHost();
  const renderer = buildRenderer();
  if (!renderer.built) say(`the user interface was not built (${renderer.reason})`);
}

async function electronLaunch() {
  if (process.env.DISTILL_BROWSER === '1') return { reason: 'DISTILL_BROWSER=1' };
  let binary = electronBinary();
  if (!binary) {
    const fetched = fetchElectron();
    if (!fetched.binary) return { reason: `the Electron binary is not installed and could not be downloaded (${fetched.reason})` };
    binary = fetched.binary;
  }
  const sqlite = await ensureElectronSqlite();
  if (!sqlite.file) return { reason: `better-sqlite3 could not be built for Electron (${sqlite.reason})` };
  return { binary, env: { DISTILL_SQLITE_BINDING: sqlite.file } };
}

function run(command, args, env = {}) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  // Ctrl-C reaches the child through the terminal; a SIGTERM sent to us is passed on.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const launch = await electronLaunch();
if (launch.binary) {
  run(launch.binary, [root], launch.env);
} else {
  const open = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.platform === 'darwin' || process.platform === 'win32');
  say(`starting browser mode: ${launch.reason}.`);
  run(process.execPath, [path.join(dist, 'cli.mjs'), 'serve', ...(open ? ['--open'] : []), ...process.argv.slice(2)]);
}
