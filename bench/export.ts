/**
 * Latency of one greedy action at batch 1 (observation in, action out) for the runtimes a student can be
 * exported to: tfjs (the studio's backend), onnxruntime-node (public async API, and the synchronous native
 * session the studio's ONNX teachers use), the exported ES module, and the exported C header compiled with
 * cc -O2. CartPole-sized networks (4 → hidden → 2), 8-8 and 64-64.
 *
 * Each figure is the median over rounds of the mean time per call within a round (calls back to back, the
 * observation changing every call so that nothing can be hoisted).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileAndRun, findCCompiler } from '../core/io/c-compiler.ts';
import { cHeaderSource, jsModuleSource } from '../core/io/export-sources.ts';
import { encodeOnnxMlp } from '../core/io/onnx-format.ts';
import { OnnxQFunction, onnxRuntime, SESSION_OPTIONS } from '../core/io/onnx-runtime.ts';
import { currentBackend } from '../core/nn/backend.ts';
import { QNetwork } from '../core/nn/q-network.ts';
import { Rng } from '../core/util/rng.ts';

type Row = Record<string, string | number | null>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function perCallMicros(call: (obs: Float32Array) => unknown | Promise<unknown>, calls: number, rounds: number, isAsync = false): Promise<number> {
  const obs = Float32Array.from([0.01, -0.02, 0.03, 0.04]);
  const round = async () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      obs[0] = (i % 100) * 1e-3;
      if (isAsync) await call(obs);
      else call(obs);
    }
    return ((performance.now() - t0) * 1000) / calls;
  };
  for (let w = 0; w < 3; w++) await round(); // warm-up (JIT, tfjs kernel caches)
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) samples.push(await round());
  return median(samples);
}

function cMicros(header: string, calls: number, rounds: number): number {
  const program = `#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include ${JSON.stringify(header)}
int main(void) {
  float obs[4] = {0.01f, -0.02f, 0.03f, 0.04f};
  volatile int sink = 0;
  double best[${rounds}];
  int r, i;
  for (r = 0; r < ${rounds}; r++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < ${calls}; i++) {
      obs[0] = (float)(i % 100) * 1e-3f;
      sink += distill_act(obs);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    best[r] = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / ${calls};
  }
  for (r = 0; r < ${rounds}; r++) printf("%.6f\\n", best[r]);
  return sink < 0;
}
`;
  const out = compileAndRun(program, new Uint8Array(0), { flags: ['-O2', '-std=c99', '-Wall'] }).toString();
  return median(out.trim().split('\n').map(Number));
}

export async function benchExport(options: { quick: boolean }): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  const rows: Row[] = [];
  const rounds = options.quick ? 5 : 15;
  try {
    for (const hidden of [[8, 8], [64, 64]]) {
      const net = QNetwork.create({ inputSize: 4, hiddenSizes: hidden, outputSize: 2 }, new Rng(1));
      const values = net.getWeights();
      const info = { title: `bench ${hidden.join('-')}`, appVersion: 'bench', env: 'CartPole-v1' };
      const calls = options.quick ? 500 : 2000;
      const tfjs = await perCallMicros((o) => net.act(o, 1), calls, rounds);

      let ortAsync: number | null = null;
      let ortSync: number | null = null;
      let ortVersion = 'not installed';
      try {
        const rt = onnxRuntime();
        ortVersion = rt.version;
        const bytes = encodeOnnxMlp(net.spec, values, { docString: '', metadata: {}, producerVersion: 'bench' });
        const session = await rt.ort.InferenceSession.create(bytes, SESSION_OPTIONS);
        const Tensor = rt.Tensor;
        ortAsync = await perCallMicros((o) => session.run({ obs: new Tensor('float32', Float32Array.from(o), [1, 4]) }), calls, rounds, true);
        await session.release();
        const sync = OnnxQFunction.fromBytes(bytes, 'bench.onnx');
        ortSync = await perCallMicros((o) => sync.act(o, 1), calls * 5, rounds);
        sync.dispose();
      } catch (err) {
        ortVersion = (err as Error).message.split('\n')[0];
      }

      const modFile = path.join(dir, `student-${hidden.join('-')}.mjs`);
      fs.writeFileSync(modFile, jsModuleSource(net.spec, values, info));
      const mod = (await import(modFile)) as { act(o: Float32Array): number };
      const js = await perCallMicros((o) => mod.act(o), calls * 50, rounds);

      let c: number | null = null;
      if (findCCompiler()) {
        const header = path.join(dir, `student-${hidden.join('-')}.h`);
        fs.writeFileSync(header, cHeaderSource(net.spec, values, { ...info, name: 'distill' }));
        c = cMicros(header, options.quick ? 200_000 : 2_000_000, rounds);
      }
      rows.push({
        network: `4-${hidden.join('-')}-2`,
        params: net.paramCount,
        [`tfjs ${currentBackend()?.name ?? '?'} µs`]: tfjs,
        [`onnxruntime-node ${ortVersion} (InferenceSession.run, async) µs`]: ortAsync,
        'onnxruntime-node (native session, sync) µs': ortSync,
        'ES module (Node) µs': js,
        'C header, cc -O2 µs': c,
      });
      net.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
