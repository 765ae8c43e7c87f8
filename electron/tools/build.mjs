// `npm run build`: bundles the host (Electron main, preload, job worker, CLI) with esbuild into dist/, so the
// packaged app runs plain JavaScript (tsx stays a development tool), then builds the renderer with the
// project's `build:renderer` script (Vite, into dist/renderer) when there is one.
//   node electron/tools/build.mjs [--host-only]
// Dependencies stay external (node_modules ships with the app): better-sqlite3's addon and tfjs's wasm files
// are loaded from their packages, as in development.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dist = path.join(root, 'dist');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  // The runner starts the bundled worker that sits beside the bundle that contains it.
  define: { __DISTILL_WORKER_FILE__: '"./worker.mjs"' },
  // Bundled CommonJS helpers may call require(); ESM has none.
  banner: { js: "import { createRequire as __distillCreateRequire } from 'node:module'; const require = __distillCreateRequire(import.meta.url);" },
};

/** Bundles into `out` (default dist/; it must sit under the app root, so that node_modules resolves). */
export async function buildHost(out = dist) {
  const started = performance.now();
  await Promise.all([
    esbuild.build({ ...node, entryPoints: [path.join(root, 'electron/main/main.ts')], outfile: path.join(out, 'main.mjs'), external: ['electron'] }),
    esbuild.build({ ...node, entryPoints: [path.join(root, 'electron/jobs/worker.ts')], outfile: path.join(out, 'worker.mjs') }),
    esbuild.build({ ...node, entryPoints: [path.join(root, 'electron/cli/main.ts')], outfile: path.join(out, 'cli.mjs') }),
    // The sandboxed preload can require nothing but electron: one CommonJS file with everything else inside.
    esbuild.build({ bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['electron'], logLevel: 'warning', sourcemap: 'inline', entryPoints: [path.join(root, 'electron/preload/preload.ts')], outfile: path.join(out, 'preload.cjs') }),
  ]);
  return (performance.now() - started) / 1000;
}

export function buildRenderer() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (!pkg.scripts?.['build:renderer']) return { built: false, reason: 'no build:renderer script in package.json' };
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build:renderer'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`the renderer build (npm run build:renderer) failed with exit code ${r.status}`);
  return { built: true };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seconds = await buildHost();
  console.log(`host bundled into ${path.relative(root, dist)}/ (main.mjs, preload.cjs, worker.mjs, cli.mjs) in ${seconds.toFixed(1)} s`);
  if (!process.argv.includes('--host-only')) {
    const renderer = buildRenderer();
    console.log(renderer.built ? `renderer built into ${path.relative(root, path.join(dist, 'renderer'))}/` : `renderer not built: ${renderer.reason}`);
  }
}
