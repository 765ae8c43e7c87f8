/**
 * The WebAssembly kernels (core/nn/kernels/mlp.c) against plain float64 loops, on shapes that hit every
 * tile and tail of the SIMD code; the heap allocator; and the committed build product against its source.
 */
import { describe, expect, it } from 'vitest';
import { CLANG_FLAGS, clangVersion, compileKernels, sourceDigest } from '../../../core/nn/kernels/build.ts';
import { KERNELS_COMPILER, KERNELS_SOURCE_SHA256, KERNELS_WASM_BASE64 } from '../../../core/nn/kernels/mlp-wasm.ts';
import { ACCUMULATE, MASK, RELU, wasmHeap, type Block } from '../../../core/nn/fused/wasm.ts';
import { Rng } from '../../../core/util/rng.ts';

const heap = wasmHeap();
const rng = new Rng(7);

function block(values: number[] | Float32Array): Block {
  const b = heap.alloc(values.length);
  b.view.set(values);
  return b;
}
const random = (n: number) => Array.from({ length: n }, () => rng.uniform(-1, 1));

/** max |a − b| / max(1, |b|). */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return e;
}

const SHAPES: [number, number, number][] = [];
for (const M of [1, 3, 4, 5, 9]) for (const N of [1, 2, 3, 4, 7, 8, 9, 17]) for (const K of [1, 3, 4, 6, 13]) SHAPES.push([M, N, K]);

describe('fused kernels', () => {
  it.each(['nn', 'tn', 'nt'] as const)('gemm_%s equals the float64 product on every tile and tail, with bias, ReLU, accumulate and mask', (kind) => {
    for (const [M, N, K] of SHAPES) {
      for (const flags of [0, RELU, ACCUMULATE, MASK, RELU | MASK]) {
        // Logical operands: A [M,K], B [K,N]; stored as the kernel wants them.
        const a = random(M * K);
        const b = random(K * N);
        const bias = random(N);
        const c0 = random(M * N);
        const mask = random(M * N);
        const storedA = kind === 'tn' ? transpose(a, M, K) : a; // [K,M]
        const storedB = kind === 'nt' ? transpose(b, K, N) : b; // [N,K]
        const A = block(storedA);
        const B = block(storedB);
        const bi = block(bias);
        const C = block(c0);
        const Q = block(mask);
        heap.k[`gemm_${kind}`](M, N, K, A.ptr, B.ptr, bi.ptr, C.ptr, Q.ptr, flags);
        const want = new Float64Array(M * N);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let s = bias[n];
            for (let k = 0; k < K; k++) s += a[m * K + k] * b[k * N + n];
            if (flags & ACCUMULATE) s += c0[m * N + n];
            if (flags & RELU) s = Math.max(s, 0);
            if (flags & MASK && !(mask[m * N + n] > 0)) s = 0;
            want[m * N + n] = s;
          }
        }
        expect(maxRelErr(C.view, want), `gemm_${kind} M=${M} N=${N} K=${K} flags=${flags}`).toBeLessThan(1e-5);
        for (const x of [A, B, bi, C, Q]) x.free();
      }
    }
  });

  it('gemm without bias (pointer 0) adds nothing', () => {
    const A = block([1, 2, 3, 4, 5, 6]); // [2,3]
    const B = block([1, 0, 0, 1, 1, 1]); // [3,2]
    const C = heap.alloc(4);
    heap.k.gemm_nn(2, 2, 3, A.ptr, B.ptr, 0, C.ptr, 0, 0);
    expect(Array.from(C.view)).toEqual([4, 5, 10, 11]);
    for (const x of [A, B, C]) x.free();
  });

  it('colsum, transpose, sumsq and polyak', () => {
    const X = block([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]); // [3,5]
    const out = block([100, 100, 100, 100, 100]);
    heap.k.colsum(3, 5, X.ptr, out.ptr, 0);
    expect(Array.from(out.view)).toEqual([18, 21, 24, 27, 30]);
    heap.k.colsum(3, 5, X.ptr, out.ptr, ACCUMULATE);
    expect(Array.from(out.view)).toEqual([36, 42, 48, 54, 60]);
    const T = heap.alloc(15);
    heap.k.transpose(3, 5, X.ptr, T.ptr);
    expect(Array.from(T.view)).toEqual([1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14, 5, 10, 15]);
    expect(heap.k.sumsq(X.ptr, 15)).toBe(1240);
    expect(heap.k.sumsq(X.ptr, 3)).toBe(14);
    const dst = block([0, 0, 0, 0, 0, 8]);
    const src = block([4, 8, 12, 16, 20, 24]);
    heap.k.polyak(dst.ptr, src.ptr, 6, 0.25);
    expect(Array.from(dst.view)).toEqual([1, 2, 3, 4, 5, 12]);
    for (const x of [X, out, T, dst, src]) x.free();
  });

  it('adam follows Kingma & Ba with bias correction and a gradient scale, on vector lanes and the tail', () => {
    const n = 7;
    const p0 = random(n);
    const g = random(n);
    const P = block(p0);
    const G = block(g);
    const Mo = heap.alloc(n);
    const V = heap.alloc(n);
    const [b1, b2, lr, eps, scale] = [0.9, 0.999, 0.01, 1e-8, 0.5];
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    const p = Float64Array.from(p0);
    for (let t = 1; t <= 3; t++) {
      heap.k.adam(P.ptr, G.ptr, Mo.ptr, V.ptr, n, scale, lr, b1, b2, 1 / (1 - b1 ** t), 1 / (1 - b2 ** t), eps);
      for (let i = 0; i < n; i++) {
        const gi = g[i] * scale;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
      }
    }
    expect(maxRelErr(P.view, p)).toBeLessThan(1e-6);
    expect(maxRelErr(Mo.view, m)).toBeLessThan(1e-6);
    expect(maxRelErr(V.view, v)).toBeLessThan(1e-6);
    for (const x of [P, G, Mo, V]) x.free();
  });
});

describe('fused heap', () => {
  it('reuses freed ranges, coalesces neighbours and keeps views valid when memory grows', () => {
    const before = heap.liveBytes;
    const a = heap.alloc(10);
    const b = heap.alloc(10);
    const c = heap.alloc(10);
    a.free();
    b.free();
    const d = heap.alloc(20); // fits in the coalesced a+b range
    expect(d.ptr).toBe(a.ptr);
    c.view.set([1, 2, 3]);
    const big = heap.alloc(4 << 20); // 16 MiB: grows the memory
    expect(Array.from(c.view.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(big.view.length).toBe(4 << 20);
    expect(big.view[123]).toBe(0);
    for (const x of [big, c, d]) x.free();
    const e = heap.alloc(10); // the lowest free range: d's (and a's) old one
    expect(e.ptr).toBe(a.ptr);
    d.free(); // d had that range before: a second free of d must not release e
    expect(heap.liveBytes).toBe(before + 48);
    e.free();
    expect(heap.liveBytes).toBe(before);
  });
});

describe('kernel build', () => {
  it('the committed module was built from mlp.c with the recorded flags', () => {
    expect(KERNELS_SOURCE_SHA256, 'mlp.c or its flags changed: run `npm run build:kernels` and commit core/nn/kernels/mlp-wasm.ts').toBe(sourceDigest());
    expect(CLANG_FLAGS).toContain('-msimd128');
  });

  const clang = clangVersion();
  it.skipIf(clang !== KERNELS_COMPILER)(`rebuilding with ${KERNELS_COMPILER} reproduces the committed bytes`, () => {
    expect(Buffer.from(compileKernels()).toString('base64')).toBe(KERNELS_WASM_BASE64);
  });
});

function transpose(x: number[], rows: number, cols: number): number[] {
  const t = new Array<number>(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
}
