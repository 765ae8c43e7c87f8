/** The machine's C compiler (`$CC`, else `cc`), used to check C exports by compiling and running them. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let found: string | null | undefined;

export function findCCompiler(): string | null {
  if (found !== undefined) return found;
  const candidate = process.env.CC && process.env.CC.trim() !== '' ? process.env.CC.trim() : 'cc';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  found = probe.status === 0 ? candidate : null;
  return found;
}

/**
 * Compiles `source` (a C file that may #include absolute paths) with `cc -O2 -std=c99` and strict warnings as
 * errors, runs it with `stdin`, and returns its stdout. Everything happens in a fresh temporary folder that is
 * removed afterwards.
 */
export function compileAndRun(source: string, stdin: Uint8Array, options: { flags?: string[]; args?: string[] } = {}): Buffer {
  const cc = findCCompiler();
  if (!cc) throw new Error('no C compiler found (set CC or install cc)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-cc-'));
  try {
    const src = path.join(dir, 'main.c');
    const exe = path.join(dir, 'main');
    fs.writeFileSync(src, source);
    const flags = options.flags ?? ['-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];
    const build = spawnSync(cc, [...flags, '-o', exe, src, '-lm'], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`${cc} failed (exit ${build.status}): ${(build.stderr || build.stdout || '').trim().slice(0, 2000)}`);
    const run = spawnSync(exe, options.args ?? [], { input: stdin, maxBuffer: 256 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`the compiled program failed (exit ${run.status}): ${run.stderr.toString().trim().slice(0, 2000)}`);
    return run.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
