import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The renderer talks to the host through the StudioApi only (STYLE.md §5): it imports nothing from core/,
 * db/ or the rest of electron/ but the contract and the transport description, and no Node built-in.
 */
const root = path.resolve(import.meta.dirname, '../..');
const rendererDir = path.join(root, 'renderer');
const ALLOWED = new Set([path.join(root, 'electron/api/contract.ts'), path.join(root, 'electron/api/transport.ts')]);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js|mjs|svelte)$/.test(e.name) ? [p] : [];
  });
}

function imports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)) {
    found.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return found;
}

/** What a file imports that leaves renderer/ other than the contract, or is a Node built-in. */
function offences(file: string, text: string): string[] {
  const out: string[] = [];
  for (const spec of imports(text)) {
    if (/^node:|^(fs|path|child_process|worker_threads|better-sqlite3|electron)(\/|$)/.test(spec)) out.push(spec);
    else if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(rendererDir + path.sep) && !ALLOWED.has(target)) out.push(spec);
    }
  }
  return out;
}

describe('renderer boundaries', () => {
  it('renderer/ imports only the API contract and transport from outside itself', () => {
    const bad: string[] = [];
    for (const f of sourceFiles(rendererDir)) for (const o of offences(f, fs.readFileSync(f, 'utf8'))) bad.push(`${path.relative(root, f)} imports ${o}`);
    expect(bad).toEqual([]);
  });

  it('the check sees a violation (core/, db/, electron internals, Node built-ins) and allows the contract', () => {
    const f = path.join(rendererDir, 'views', 'X.svelte');
    const text = `<script lang="ts">
      import { x } from '../../core/envs/index.ts';
      import type { Db } from '../../db/open.ts';
      import { runner } from '../../electron/jobs/runner.ts';
      import fs from 'node:fs';
      import { ApiError } from '../../electron/api/contract.ts';
      import Ok from '../components/Ok.svelte';
    </script>`;
    expect(offences(f, text)).toEqual(['../../core/envs/index.ts', '../../db/open.ts', '../../electron/jobs/runner.ts', 'node:fs']);
  });
});
