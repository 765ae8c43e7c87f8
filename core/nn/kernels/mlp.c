/*
 * Dense-layer kernels for small MLP Q-networks, compiled to WebAssembly with 128-bit SIMD
 * (core/nn/kernels/build.sh). The JavaScript side (core/nn/fused/) lays out every tensor in this module's
 * linear memory and chains these kernels into a forward pass, a backward pass and an Adam step, so that one
 * training update costs a few dozen direct calls instead of hundreds of tfjs op dispatches.
 *
 * Layout: row-major float32 everywhere. A dense layer's weight W is [in, out] (as tfjs Dense layers), so
 *   forward   Z  = X · W + b             gemm_nn   (vectorised over out)
 *   backward  dW = Xᵀ · dZ               gemm_tn   (vectorised over out; no transpose is materialised)
 *             dX = dZ · Wᵀ               gemm_nt   (dot products, vectorised over out)
 * Narrow layers (out < 8, e.g. the 2 actions of CartPole) use the transposed forms instead; the JS side
 * picks the kernel per shape.
 *
 * No threads, no relaxed SIMD (no FMA): every result is a deterministic function of the inputs, the same on
 * every machine, and the order of each sum is fixed by the loop structure below.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef v128_t vf;

enum {
  ACCUMULATE = 1, /* C += result instead of C = result */
  RELU = 2,       /* C = max(C, 0) after the bias */
  MASK = 4,       /* C = 0 where mask <= 0 (the ReLU derivative of a layer's output), same layout as C */
};

INLINE vf ld(const float *p) { return wasm_v128_load(p); }
INLINE void st(float *p, vf x) { wasm_v128_store(p, x); }
INLINE vf splat(float x) { return wasm_f32x4_splat(x); }
INLINE vf mad(vf acc, vf a, vf b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

/* Applies bias (already in the accumulator), accumulate, ReLU and mask to 4 outputs at c, then stores. */
INLINE void finish4(float *c, vf x, const float *mask, int flags) {
  if (flags & ACCUMULATE) x = wasm_f32x4_add(x, ld(c));
  if (flags & RELU) x = wasm_f32x4_max(x, wasm_f32x4_splat(0.0f));
  if (flags & MASK) x = wasm_v128_and(x, wasm_f32x4_gt(ld(mask), wasm_f32x4_splat(0.0f)));
  st(c, x);
}

INLINE float finish1(const float *c, float x, const float *mask, int flags) {
  if (flags & ACCUMULATE) x += *c;
  if ((flags & RELU) && !(x > 0.0f)) x = 0.0f;
  if ((flags & MASK) && !(*mask > 0.0f)) x = 0.0f;
  return x;
}

/*
 * C[M,N] = A·B (+ bias) with A's element (m, k) at A[m·sm + k·sk] and B [K,N] row-major (ldb = N).
 * Register tile: 4 rows × 8 columns (8 accumulators); the column loop is outermost so that the K×8 panel of
 * B stays in L1 while the rows of A stream past it. Each output is Σ_k in increasing k, bias first.
 */
INLINE void gemm_bcast(int M, int N, int K, const float *A, int sm, int sk, const float *B, const float *bias,
                       float *C, const float *mask, int flags) {
  const vf zero = wasm_f32x4_splat(0.0f);
  int n = 0;
  for (; n + 8 <= N; n += 8) {
    const vf bias0 = bias ? ld(bias + n) : zero;
    const vf bias1 = bias ? ld(bias + n + 4) : zero;
    int m = 0;
    for (; m + 4 <= M; m += 4) {
      vf c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
      const float *a = A + m * sm;
      const float *b = B + n;
      for (int k = 0; k < K; k++, a += sk, b += N) {
        const vf b0 = ld(b), b1 = ld(b + 4);
        vf x = splat(a[0]);
        c00 = mad(c00, x, b0);
        c01 = mad(c01, x, b1);
        x = splat(a[sm]);
        c10 = mad(c10, x, b0);
        c11 = mad(c11, x, b1);
        x = splat(a[2 * sm]);
        c20 = mad(c20, x, b0);
        c21 = mad(c21, x, b1);
        x = splat(a[3 * sm]);
        c30 = mad(c30, x, b0);
        c31 = mad(c31, x, b1);
      }
      float *c = C + m * N + n;
      const float *q = mask + m * N + n;
      finish4(c, c00, q, flags);
      finish4(c + 4, c01, q + 4, flags);
      finish4(c + N, c10, q + N, flags);
      finish4(c + N + 4, c11, q + N + 4, flags);
      finish4(c + 2 * N, c20, q + 2 * N, flags);
      finish4(c + 2 * N + 4, c21, q + 2 * N + 4, flags);
      finish4(c + 3 * N, c30, q + 3 * N, flags);
      finish4(c + 3 * N + 4, c31, q + 3 * N + 4, flags);
    }
    for (; m < M; m++) {
      vf c0 = bias0, c1 = bias1;
      const float *a = A + m * sm;
      const float *b = B + n;
      for (int k = 0; k < K; k++, a += sk, b += N) {
        const vf x = splat(a[0]);
        c0 = mad(c0, x, ld(b));
        c1 = mad(c1, x, ld(b + 4));
      }
      finish4(C + m * N + n, c0, mask + m * N + n, flags);
      finish4(C + m * N + n + 4, c1, mask + m * N + n + 4, flags);
    }
  }
  for (; n + 4 <= N; n += 4) {
    const vf bias0 = bias ? ld(bias + n) : zero;
    for (int m = 0; m < M; m++) {
      vf c0 = bias0;
      const float *a = A + m * sm;
      const float *b = B + n;
      for (int k = 0; k < K; k++, a += sk, b += N) c0 = mad(c0, splat(a[0]), ld(b));
      finish4(C + m * N + n, c0, mask + m * N + n, flags);
    }
  }
  for (; n < N; n++) {
    for (int m = 0; m < M; m++) {
      float s = bias ? bias[n] : 0.0f;
      const float *a = A + m * sm;
      for (int k = 0; k < K; k++, a += sk) s += a[0] * B[k * N + n];
      C[m * N + n] = finish1(C + m * N + n, s, mask + m * N + n, flags);
    }
  }
}

/* C[M,N] = A[M,K] · B[K,N] (+ bias[N]); bias may be 0. */
EXPORT(gemm_nn)
void gemm_nn(int M, int N, int K, const float *A, const float *B, const float *bias, float *C, const float *mask, int flags) {
  gemm_bcast(M, N, K, A, K, 1, B, bias, C, mask, flags);
}

/* C[M,N] = Aᵀ · B with A stored [K,M] and B [K,N]: the weight gradient Xᵀ·dZ without a transpose. */
EXPORT(gemm_tn)
void gemm_tn(int M, int N, int K, const float *A, const float *B, const float *bias, float *C, const float *mask, int flags) {
  gemm_bcast(M, N, K, A, 1, M, B, bias, C, mask, flags);
}

/* [Σa, Σb, Σc, Σd] of four vectors. */
INLINE vf hsum4x4(vf a, vf b, vf c, vf d) {
  const vf ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const vf cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

INLINE float hsum(vf a) {
  const vf t = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
  return wasm_f32x4_extract_lane(t, 0) + wasm_f32x4_extract_lane(t, 1);
}

/*
 * C[M,N] = A[M,K] · B[N,K]ᵀ (+ bias[N]): dot products of rows, vectorised over K (lanes hold k ≡ 0..3 mod 4,
 * summed pairwise at the end, then the K mod 4 tail in order). Tile: 2 rows of A × 4 rows of B.
 */
EXPORT(gemm_nt)
void gemm_nt(int M, int N, int K, const float *A, const float *B, const float *bias, float *C, const float *mask, int flags) {
  const int K4 = K & ~3;
  int n = 0;
  for (; n + 4 <= N; n += 4) {
    const float *b0 = B + n * K, *b1 = b0 + K, *b2 = b1 + K, *b3 = b2 + K;
    const vf bias4 = bias ? ld(bias + n) : wasm_f32x4_splat(0.0f);
    int m = 0;
    for (; m + 2 <= M; m += 2) {
      const float *a0 = A + m * K, *a1 = a0 + K;
      vf s00 = wasm_f32x4_splat(0.0f), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int k = 0; k < K4; k += 4) {
        const vf x0 = ld(a0 + k), x1 = ld(a1 + k);
        const vf y0 = ld(b0 + k), y1 = ld(b1 + k), y2 = ld(b2 + k), y3 = ld(b3 + k);
        s00 = mad(s00, x0, y0);
        s01 = mad(s01, x0, y1);
        s02 = mad(s02, x0, y2);
        s03 = mad(s03, x0, y3);
        s10 = mad(s10, x1, y0);
        s11 = mad(s11, x1, y1);
        s12 = mad(s12, x1, y2);
        s13 = mad(s13, x1, y3);
      }
      vf r0 = hsum4x4(s00, s01, s02, s03);
      vf r1 = hsum4x4(s10, s11, s12, s13);
      if (K4 < K) {
        float t0[4], t1[4];
        st(t0, r0);
        st(t1, r1);
        for (int k = K4; k < K; k++) {
          t0[0] += a0[k] * b0[k];
          t0[1] += a0[k] * b1[k];
          t0[2] += a0[k] * b2[k];
          t0[3] += a0[k] * b3[k];
          t1[0] += a1[k] * b0[k];
          t1[1] += a1[k] * b1[k];
          t1[2] += a1[k] * b2[k];
          t1[3] += a1[k] * b3[k];
        }
        r0 = ld(t0);
        r1 = ld(t1);
      }
      finish4(C + m * N + n, wasm_f32x4_add(r0, bias4), mask + m * N + n, flags);
      finish4(C + (m + 1) * N + n, wasm_f32x4_add(r1, bias4), mask + (m + 1) * N + n, flags);
    }
    for (; m < M; m++) {
      const float *a0 = A + m * K;
      vf s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      for (int k = 0; k < K4; k += 4) {
        const vf x0 = ld(a0 + k);
        s0 = mad(s0, x0, ld(b0 + k));
        s1 = mad(s1, x0, ld(b1 + k));
        s2 = mad(s2, x0, ld(b2 + k));
        s3 = mad(s3, x0, ld(b3 + k));
      }
      vf r0 = hsum4x4(s0, s1, s2, s3);
      if (K4 < K) {
        float t0[4];
        st(t0, r0);
        for (int k = K4; k < K; k++) {
          t0[0] += a0[k] * b0[k];
          t0[1] += a0[k] * b1[k];
          t0[2] += a0[k] * b2[k];
          t0[3] += a0[k] * b3[k];
        }
        r0 = ld(t0);
      }
      finish4(C + m * N + n, wasm_f32x4_add(r0, bias4), mask + m * N + n, flags);
    }
  }
  /* Remaining rows of B (narrow outputs, e.g. 2 actions): 4 rows of A at a time against one row of B. */
  for (; n < N; n++) {
    const float *b0 = B + n * K;
    const float bn = bias ? bias[n] : 0.0f;
    int m = 0;
    for (; m + 4 <= M; m += 4) {
      const float *a0 = A + m * K, *a1 = a0 + K, *a2 = a1 + K, *a3 = a2 + K;
      vf s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      for (int k = 0; k < K4; k += 4) {
        const vf y = ld(b0 + k);
        s0 = mad(s0, ld(a0 + k), y);
        s1 = mad(s1, ld(a1 + k), y);
        s2 = mad(s2, ld(a2 + k), y);
        s3 = mad(s3, ld(a3 + k), y);
      }
      float t[4];
      st(t, hsum4x4(s0, s1, s2, s3));
      for (int k = K4; k < K; k++) {
        t[0] += a0[k] * b0[k];
        t[1] += a1[k] * b0[k];
        t[2] += a2[k] * b0[k];
        t[3] += a3[k] * b0[k];
      }
      for (int r = 0; r < 4; r++) C[(m + r) * N + n] = finish1(C + (m + r) * N + n, t[r] + bn, mask + (m + r) * N + n, flags);
    }
    for (; m < M; m++) {
      const float *a0 = A + m * K;
      vf s0 = wasm_f32x4_splat(0.0f);
      for (int k = 0; k < K4; k += 4) s0 = mad(s0, ld(a0 + k), ld(b0 + k));
      float t = hsum(s0);
      for (int k = K4; k < K; k++) t += a0[k] * b0[k];
      C[m * N + n] = finish1(C + m * N + n, t + bn, mask + m * N + n, flags);
    }
  }
}

/* out[N] (+)= Σ_m X[m, n]: the bias gradient, rows summed in order. */
EXPORT(colsum)
void colsum(int M, int N, const float *X, float *out, int flags) {
  int n = 0;
  for (; n + 4 <= N; n += 4) {
    vf s = wasm_f32x4_splat(0.0f);
    for (int m = 0; m < M; m++) s = wasm_f32x4_add(s, ld(X + m * N + n));
    if (flags & ACCUMULATE) s = wasm_f32x4_add(s, ld(out + n));
    st(out + n, s);
  }
  for (; n < N; n++) {
    float s = 0.0f;
    for (int m = 0; m < M; m++) s += X[m * N + n];
    out[n] = (flags & ACCUMULATE) ? s + out[n] : s;
  }
}

/* Bt[N,M] = B[M,N]ᵀ. */
EXPORT(transpose)
void transpose(int M, int N, const float *B, float *Bt) {
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) Bt[n * M + m] = B[m * N + n];
}

/* Σ x², lanes k ≡ 0..3 mod 4 summed separately, then pairwise, then the tail. */
EXPORT(sumsq)
float sumsq(const float *x, int n) {
  vf s = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const vf v = ld(x + i);
    s = mad(s, v, v);
  }
  float t = hsum(s);
  for (; i < n; i++) t += x[i] * x[i];
  return t;
}

/*
 * Adam (Kingma & Ba 2015) on a flat parameter vector, in tfjs's order of operations except that the two
 * bias corrections are multiplications by their reciprocals (one division and one square root per element
 * instead of three divisions; within an ulp of tfjs's form):
 *   g ← g·scale (global-norm clipping factor, 1 without clipping)
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr · (m·ibc1) / (√(v·ibc2) + ε),  ibc_i = 1 / (1 − β_i^t)
 */
EXPORT(adam)
void adam(float *p, const float *g, float *m, float *v, int n, float scale, float lr, float beta1, float beta2,
          float ibc1, float ibc2, float eps) {
  const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  const vf vscale = splat(scale), vb1 = splat(beta1), vb2 = splat(beta2), vc1 = splat(c1), vc2 = splat(c2);
  const vf vibc1 = splat(ibc1), vibc2 = splat(ibc2), veps = splat(eps), vnlr = splat(-lr);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const vf gi = wasm_f32x4_mul(ld(g + i), vscale);
    const vf mi = wasm_f32x4_add(wasm_f32x4_mul(ld(m + i), vb1), wasm_f32x4_mul(gi, vc1));
    const vf vi = wasm_f32x4_add(wasm_f32x4_mul(ld(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vc2));
    st(m + i, mi);
    st(v + i, vi);
    const vf step = wasm_f32x4_div(wasm_f32x4_mul(mi, vibc1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vi, vibc2)), veps));
    st(p + i, wasm_f32x4_add(wasm_f32x4_mul(step, vnlr), ld(p + i)));
  }
  for (; i < n; i++) {
    const float gi = g[i] * scale;
    const float mi = m[i] * beta1 + gi * c1;
    const float vi = v[i] * beta2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    p[i] = ((mi * ibc1) / (__builtin_sqrtf(vi * ibc2) + eps)) * -lr + p[i];
  }
}

/* dst ← τ·src + (1−τ)·dst (Polyak averaging of a target network; τ = 1 is a copy). */
EXPORT(polyak)
void polyak(float *dst, const float *src, int n, float tau) {
  const float keep = 1.0f - tau;
  const vf vt = splat(tau), vk = splat(keep);
  int i = 0;
  for (; i + 4 <= n; i += 4) st(dst + i, wasm_f32x4_add(wasm_f32x4_mul(ld(src + i), vt), wasm_f32x4_mul(ld(dst + i), vk)));
  for (; i < n; i++) dst[i] = src[i] * tau + dst[i] * keep;
}
