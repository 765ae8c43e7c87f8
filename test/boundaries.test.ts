import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_VERSION } from '../core/version.ts';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js|mjs|svelte)$/.test(e.name) ? [p] : [];
  });
}

function imports(file: string): string[] {
  return importsOf(fs.readFileSync(file, 'utf8'));
}

function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)) {
    found.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return found;
}

/** What a renderer file imports that leaves renderer/ other than the API contract and transport, or is Node's. */
function rendererOffences(file: string, text: string): string[] {
  const rendererDir = path.join(root, 'renderer');
  const allowed = new Set([path.join(root, 'electron/api/contract.ts'), path.join(root, 'electron/api/transport.ts')]);
  return importsOf(text).filter((spec) => {
    if (/^node:|^(fs|path|child_process|worker_threads|better-sqlite3|electron)(\/|$)/.test(spec)) return true;
    if (!spec.startsWith('.')) return false;
    const target = path.resolve(path.dirname(file), spec);
    return !target.startsWith(rendererDir + path.sep) && !allowed.has(target);
  });
}

describe('module boundaries (STYLE.md §5)', () => {
  it('core/ imports neither electron, svelte, better-sqlite3, nor db/ electron/ renderer/', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(path.join(root, 'core'))) {
      for (const spec of imports(file)) {
        const forbidden = /^(electron|svelte|better-sqlite3)(\/|$)/.test(spec) || /(^|\/)\.\.\/(db|electron|renderer)(\/|$)/.test(spec);
        if (forbidden) offenders.push(`${path.relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('only db/ talks to SQLite: no other source folder imports better-sqlite3', () => {
    const offenders: string[] = [];
    for (const dir of ['core', 'electron', 'renderer']) {
      if (!fs.existsSync(path.join(root, dir))) continue;
      for (const file of sourceFiles(path.join(root, dir))) {
        if (imports(file).some((spec) => /^better-sqlite3(\/|$)/.test(spec))) offenders.push(path.relative(root, file));
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the boundary check sees imports (it would catch a violation)', () => {
    const sample = path.join(root, 'core', 'nn', 'tf.ts');
    expect(imports(sample)).toContain('@tensorflow/tfjs');
  });

  it('renderer/ imports from outside itself only the API contract and transport, and no Node built-in', () => {
    const bad: string[] = [];
    for (const f of sourceFiles(path.join(root, 'renderer'))) for (const o of rendererOffences(f, fs.readFileSync(f, 'utf8'))) bad.push(`${path.relative(root, f)} imports ${o}`);
    expect(bad).toEqual([]);
  });

  it("the renderer's bundle pulls no tfjs: what the API contract and transport import at run time (type-only imports erased) reaches neither @tensorflow nor core/nn", () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8').replace(/(?:import|export)\s+type\s[^;]*?from\s+['"][^'"]+['"]/g, '');
      for (const spec of importsOf(text)) {
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
        else packages.add(spec);
      }
    };
    for (const entry of ['electron/api/contract.ts', 'electron/api/transport.ts']) visit(path.join(root, entry));
    expect([...packages].filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
    expect([...seen].map((f) => path.relative(root, f)).filter((f) => f.startsWith('core/nn/'))).toEqual([]);
    expect(seen.has(path.join(root, 'core/distill/config.ts'))).toBe(true); // the walk does follow the contract into core/
  });

  it('the renderer check sees a violation (core/, db/, electron internals, Node built-ins) and allows the contract', () => {
    const file = path.join(root, 'renderer', 'views', 'X.svelte');
    const text = `<script lang="ts">
      import { x } from '../../core/envs/index.ts';
      import type { Db } from '../../db/open.ts';
      import { runner } from '../../electron/jobs/runner.ts';
      import fs from 'node:fs';
      import { ApiError } from '../../electron/api/contract.ts';
      import Ok from '../components/Ok.svelte';
    </script>`;
    expect(rendererOffences(file, text)).toEqual(['../../core/envs/index.ts', '../../db/open.ts', '../../electron/jobs/runner.ts', 'node:fs']);
  });

  it('APP_VERSION equals package.json version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(APP_VERSION).toBe(pkg.version);
  });
});
