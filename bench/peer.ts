/**
 * The PyTorch peer (`shared/bench/peer/torch_dqn.py`, kept outside this repository) run from the bench, so
 * that every ratio compares the two in one run on one machine. It needs Debian's python3-torch under
 * /usr/bin/python3 and, for meaningful speed, OpenBLAS: Debian torch links the reference BLAS (20–40× slower
 * sgemm) unless OpenBLAS is on the library path.
 *
 * Where things are looked up:
 * - the script: `--peer FILE`, else DISTILL_PEER, else `shared/bench/peer/torch_dqn.py` in the repository's
 *   folder or any folder above it;
 * - OpenBLAS: DISTILL_PEER_BLAS (a folder holding libblas.so.3), else `ob/usr/lib/x86_64-linux-gnu/
 *   openblas-pthread` next to the script (what its README's `dpkg -x` makes), else the system's
 *   /usr/lib/x86_64-linux-gnu/openblas-pthread (`apt-get install -y libopenblas0-pthread`).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PEER_PYTHON = '/usr/bin/python3';
export const PEER_INSTALL = 'apt-get install -y python3-torch libopenblas0-pthread';

export interface Peer {
  readonly script: string;
  /** Folder with OpenBLAS's libblas.so.3, or null (reference BLAS: the peer is then far slower than it should be). */
  readonly blasDir: string | null;
}

export type PeerLookup = { peer: Peer } | { missing: string };

export function findPeer(explicit?: string): PeerLookup {
  let script = explicit ?? process.env.DISTILL_PEER ?? null;
  if (!script) {
    for (let dir = path.resolve(import.meta.dirname, '..'); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'shared', 'bench', 'peer', 'torch_dqn.py');
      if (fs.existsSync(candidate)) {
        script = candidate;
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  if (!script || !fs.existsSync(script)) {
    return { missing: `the PyTorch peer script was not found (${script ?? 'shared/bench/peer/torch_dqn.py above the repository'}); pass --peer FILE or set DISTILL_PEER` };
  }
  try {
    execFileSync(PEER_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return { missing: `${PEER_PYTHON} cannot import torch; install it with: ${PEER_INSTALL}` };
  }
  const candidates = [
    process.env.DISTILL_PEER_BLAS,
    path.join(path.dirname(script), 'ob', 'usr', 'lib', 'x86_64-linux-gnu', 'openblas-pthread'),
    '/usr/lib/x86_64-linux-gnu/openblas-pthread',
  ];
  const blasDir = candidates.find((d) => d && fs.existsSync(path.join(d, 'libblas.so.3'))) ?? null;
  return { peer: { script, blasDir } };
}

/** Runs one peer mode to completion and returns its summary JSON. One thread, as our runs. */
export async function runPeer(peer: Peer, args: string[], options: { timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-peer-'));
  const out = path.join(dir, 'summary.json');
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  if (peer.blasDir) env.LD_LIBRARY_PATH = [peer.blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(PEER_PYTHON, [peer.script, ...args, '--threads', '1', '--out', out], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 30 * 60_000);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`peer ${args[0]} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      });
    });
    // The peer writes its summary twice into the file (a quirk of its finish()); the first object is it.
    const text = fs.readFileSync(out, 'utf8');
    return JSON.parse(firstJsonObject(text)) as Record<string, unknown>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function firstJsonObject(text: string): string {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(0, i + 1);
  }
  throw new Error('peer summary is not JSON');
}
