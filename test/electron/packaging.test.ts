/**
 * The packaging configuration (package.json "build", for electron-builder), checked here because the package
 * itself cannot be built on these machines (electron-builder downloads Electron and its tools):
 * - it passes electron-builder's own schema;
 * - the targets (AppImage and deb, dmg, nsis), the app id, product name, icons and categories are set;
 * - the files it packs include the host bundles and the built renderer, and nothing else of the sources;
 * - every package the bundles load at run time is a dependency (electron-builder packs dependencies only);
 * - every native addon (.node), shared library and .wasm file of those packages and their dependencies is
 *   unpacked from the asar (a .node cannot be dlopen()ed from inside an archive, nor the libraries it links);
 * - native dependencies are rebuilt for Electron's ABI when packaging (npmRebuild).
 */
import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { minimatch } from 'minimatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: JavaScript build tools, no types
import { buildHost } from '../../electron/tools/build.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
  build: {
    appId: string;
    productName: string;
    files: string[];
    asar: boolean;
    asarUnpack: string[];
    npmRebuild?: boolean;
    linux: { target: string[]; category: string; icon: string; desktop?: { entry?: Record<string, string> }; files?: string[] };
    mac: { target: string[]; category: string; icon: string; files?: string[] };
    win: { target: string[]; icon: string; files?: string[] };
  };
};
const build = pkg.build;
const out = path.join(root, `.test-dist-packaging-${process.pid}`);
let bundles: Record<string, string> = {};

beforeAll(async () => {
  await buildHost(out);
  for (const f of fs.readdirSync(out).filter((f) => /\.(mjs|cjs)$/.test(f))) bundles[f] = fs.readFileSync(path.join(out, f), 'utf8');
}, 120_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** Package names a bundle loads (static and dynamic imports, require), without Node built-ins. */
function loadedPackages(code: string): Set<string> {
  const names = new Set<string>();
  // A specifier is a package name (optionally scoped) and a subpath: nothing else may sit between the quotes.
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']((?:@[\w.-]+\/)?\w[\w.-]*(?:\/[\w.@-]+)*)["']/g)) {
    const spec = m[1];
    if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return names;
}

/** The installed folder of a package as Node resolves it from the app root (null when not installed). */
function packageDir(name: string, from = root): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/** The packages and all their (optional) dependencies, as installed: what electron-builder copies for them. */
function runtimeClosure(names: Iterable<string>): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (name: string, from: string) => {
    const dir = packageDir(name, from);
    if (!dir || seen.has(dir)) return;
    seen.set(dir, name);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) visit(dep, dir);
  };
  for (const n of names) visit(n, root);
  return seen;
}

/** Native addons, shared libraries and WebAssembly modules under a folder. */
function nativeFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p); // nested packages are visited as packages of their own
      } else if (/\.(node|wasm|dylib|dll)$|\.so(\.\d+)*$/.test(e.name)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

const unpacked = (rel: string) => build.asarUnpack.some((g) => minimatch(rel, g, { dot: true }));
const packed = (rel: string) => {
  let included = false;
  for (const g of build.files) {
    if (g.startsWith('!')) {
      if (minimatch(rel, g.slice(1), { dot: true })) included = false;
    } else if (minimatch(rel, g, { dot: true })) included = true;
  }
  return included;
};

describe('electron-builder configuration', () => {
  it('passes electron-builder’s own schema (26.x, not 26.0.x), with `npm run dist` to build it', async () => {
    expect(pkg.devDependencies['electron-builder']).toMatch(/^[~^]?26\.(?!0\.)\d+\.\d+$/);
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: (c: unknown, log: unknown) => Promise<void> };
    await expect(validateConfiguration(build, { isEnabled: false, add: () => {} })).resolves.toBeUndefined();
    // the schema catches a misspelt option (the check above can fail)
    await expect(validateConfiguration({ ...build, asarUnpak: [] }, { isEnabled: false, add: () => {} })).rejects.toThrow(/asarUnpak/);
    expect(pkg.scripts.dist).toMatch(/^npm run build && electron-builder/);
  });

  it('builds AppImage and deb, dmg and nsis, as org.distillstudio.app "Distill Studio" with icons and categories', () => {
    expect(build.appId).toBe('org.distillstudio.app');
    expect(build.productName).toBe('Distill Studio');
    expect(build.linux.target).toEqual(['AppImage', 'deb']);
    expect(build.mac.target).toEqual(['dmg']);
    expect(build.win.target).toEqual(['nsis']);
    expect(build.linux.category).toBe('Development');
    expect(build.linux.desktop?.entry?.Categories).toBe('Development;Science;');
    expect(build.mac.category).toBe('public.app-category.developer-tools');
    // Icons: one PNG per size for Linux (electron-builder reads NxN.png from the folder), 512 px for macOS and Windows.
    const pngSize = (file: string) => {
      const b = fs.readFileSync(path.join(root, file));
      expect(b.subarray(1, 4).toString()).toBe('PNG');
      return [b.readUInt32BE(16), b.readUInt32BE(20)];
    };
    for (const size of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(`${build.linux.icon}/${size}x${size}.png`)).toEqual([size, size]);
    expect(pngSize(build.mac.icon)).toEqual([512, 512]);
    expect(pngSize(build.win.icon)).toEqual([512, 512]);
    expect(fs.existsSync(path.join(root, 'build/icon.svg'))).toBe(true);
  });

  it('packs the host bundles, the built renderer and package.json, and no sources', () => {
    expect(pkg.main).toBe('dist/main.mjs');
    for (const f of ['dist/main.mjs', 'dist/preload.cjs', 'dist/worker.mjs', 'dist/cli.mjs', 'dist/renderer/index.html', 'dist/renderer/assets/index-abc123.js', 'dist/renderer/assets/index-abc123.css', 'package.json']) expect(packed(f), f).toBe(true);
    for (const f of ['electron/main/main.ts', 'core/nn/q-network.ts', 'renderer/App.svelte', 'test/ui/part2.test.ts', 'dist/.renderer-build.lock', 'bench/run.ts', 'node_modules/.bin/vite']) expect(packed(f), f).toBe(false);
    expect(Object.keys(bundles).sort()).toEqual(['cli.mjs', 'main.mjs', 'preload.cjs', 'worker.mjs']);
    // The bundled main starts the worker that sits beside it (inside the archive: Electron ≥ 18 reads asar in workers).
    expect(bundles['main.mjs']).toMatch(/["']\.\/worker\.mjs["']/);
  });

  it('every package the app loads at run time is a dependency, not a devDependency', () => {
    const runtime = new Set<string>();
    for (const f of ['main.mjs', 'worker.mjs', 'preload.cjs']) for (const n of loadedPackages(bundles[f])) runtime.add(n);
    runtime.delete('electron'); // provided by the runtime itself
    expect([...runtime]).toEqual(expect.arrayContaining(['better-sqlite3', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'zod']));
    const shipped = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)]);
    expect([...runtime].filter((n) => !shipped.has(n))).toEqual([]);
    // the CLI bundle (browser mode's serve, shipped in dist/) loads shipped packages too
    expect([...loadedPackages(bundles['cli.mjs'])].filter((n) => n !== 'electron' && !shipped.has(n))).toEqual([]);
  });

  it('unpacks every native addon, shared library and .wasm file of the packages loaded at run time', () => {
    const names = new Set<string>();
    for (const code of Object.values(bundles)) for (const n of loadedPackages(code)) if (n !== 'electron') names.add(n);
    for (const n of Object.keys(pkg.optionalDependencies)) names.add(n);
    const closure = runtimeClosure(names);
    const natives = [...closure.keys()].flatMap(nativeFiles).map((f) => path.relative(root, f).split(path.sep).join('/'));
    // What this machine has installed: better-sqlite3's addon, tfjs's wasm binaries, onnxruntime's addons and libraries.
    expect(natives).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm']));
    if (packageDir('onnxruntime-node')) expect(natives.some((f) => /^node_modules\/onnxruntime-node\/bin\/.*\/libonnxruntime\./.test(f))).toBe(true);
    expect(natives.filter((f) => !unpacked(f))).toEqual([]);
    // The native tfjs packages (optional; their install downloads libtensorflow, absent here): addon and library unpacked.
    for (const n of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
      expect(Object.keys(pkg.optionalDependencies)).toContain(n);
      expect(unpacked(`node_modules/${n}/lib/napi-v8/tfjs_binding.node`), n).toBe(true);
      expect(unpacked(`node_modules/${n}/deps/lib/libtensorflow.so.2`), n).toBe(true);
    }
    // The fused kernels are compiled into the bundle (base64), not a file to unpack.
    expect(bundles['worker.mjs']).toMatch(/AGFzbQ/); // "\0asm" in base64
  });

  it('ships onnxruntime’s binaries for the target platform only (the others are ~220 MB)', () => {
    // node_modules files are packed unless a pattern of the root or of the platform excludes them.
    const shipsOn = (platform: 'linux' | 'mac' | 'win', rel: string) => ![...build.files, ...(build[platform].files ?? [])].some((g) => g.startsWith('!') && minimatch(rel, g.slice(1), { dot: true }));
    const ort = (os: string, file: string) => `node_modules/onnxruntime-node/bin/napi-v6/${os}/x64/${file}`;
    const own = { linux: 'linux', mac: 'darwin', win: 'win32' } as const;
    for (const platform of ['linux', 'mac', 'win'] as const) {
      for (const os of ['linux', 'darwin', 'win32']) expect(shipsOn(platform, ort(os, 'onnxruntime_binding.node')), `${platform} ships ${os}`).toBe(os === own[platform]);
    }
    expect(shipsOn('linux', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
  });

  it('rebuilds native dependencies for Electron’s ABI when packaging', () => {
    expect(build.npmRebuild).not.toBe(false);
    expect(pkg.scripts['dist:deps']).toBe('electron-builder install-app-deps');
    expect(Object.keys(pkg.devDependencies)).toContain('@electron/rebuild');
    expect(build.asar).toBe(true);
  });
});
