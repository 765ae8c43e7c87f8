/**
 * Losses of a Q-network's output on the host, for the fused engine: each returns the loss of one row and adds
 * its gradient ∂ℓ/∂q (times a weight) into that row of dQ. Rows are tiny (A actions), so these cost
 * microseconds per batch; the network-sized work stays in WebAssembly. The formulas are those of
 * core/nn/losses.ts and core/distill/losses.ts (tfjs, differentiated by the tape), derived by hand:
 *
 *   softmax-KL   ℓ = Σ_a p_T (log p_T − log p_S),  p_T = softmax(q_T/τ_T), p_S = softmax(q_S/τ_S)
 *                ∂ℓ/∂q_S = (p_S − p_T)/τ_S                                  (Rusu et al. 2016, Hinton et al. 2015)
 *   NLL          ℓ = −log softmax(q_S/τ_S)[argmax q_T],  ∂ℓ/∂q_S = (p_S − onehot)/τ_S
 *   MSE          ℓ = mean_a (q_S − q_T)²  (all actions)  or (q_S[a] − q_T[a])²  (taken action only)
 *   Huber (δ=1)  h(d) = d²/2 for |d| ≤ 1, |d| − 1/2 beyond;  h'(d) = clamp(d, −1, 1)
 *
 * `scale` multiplies a soft loss and its gradient (e.g. a τ-rescaled variant of the KL).
 */
export type SoftKind = 'kl' | 'mse' | 'nll';

export interface SoftLossSpec {
  readonly kind: SoftKind;
  /** Temperature of the teacher's softmax (kl). */
  readonly tauTeacher: number;
  /** Temperature of the student's softmax (kl, nll). */
  readonly tauStudent: number;
  /** mse: only the taken action's Q. */
  readonly takenOnly: boolean;
  /** Multiplies the loss and its gradient (1: as written above). */
  readonly scale: number;
}

const f32 = Math.fround;

/**
 * log-softmax of q[o .. o+A)/τ into out[0 .. A), in float32 and in tfjs's order of operations
 * (x/τ; x − max; log Σ exp; subtract). With a small τ the softmax saturates and p_S − p_T is a difference of
 * numbers within rounding of 1: computing it as tfjs does makes the two engines agree on which gradients
 * are exactly zero, which Adam (that divides by √v) would otherwise turn into full-size steps.
 */
function logSoftmax(q: ArrayLike<number>, o: number, A: number, tau: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < A; j++) {
    out[j] = f32(q[o + j] / tau);
    max = Math.max(max, out[j]);
  }
  let sum = 0;
  for (let j = 0; j < A; j++) {
    out[j] = f32(out[j] - max);
    sum = f32(sum + f32(Math.exp(out[j])));
  }
  const lse = f32(Math.log(sum));
  for (let j = 0; j < A; j++) out[j] = f32(out[j] - lse);
}

/** Scratch rows (actions rarely exceed a handful). */
let logPT = new Float64Array(8);
let logPS = new Float64Array(8);
let dy = new Float64Array(8);

/**
 * Adds ∂/∂q_S of a loss on log softmax(q_S/τ_S) into dq, given its gradient `dy` w.r.t. the log-softmax:
 * tfjs's logSoftmax gradient dy − (Σ dy)·softmax, then the division by τ.
 */
function backLogSoftmax(A: number, tau: number, dq: Float32Array, o: number): void {
  let sumDy = 0;
  for (let j = 0; j < A; j++) sumDy = f32(sumDy + dy[j]);
  for (let j = 0; j < A; j++) dq[o + j] += f32(f32(dy[j] - f32(sumDy * f32(Math.exp(logPS[j])))) / tau);
}

/**
 * Soft loss of row `i` (student q, teacher qT, both [B·A]); adds weight·∂ℓ/∂q into dq. Returns ℓ_i.
 */
export function softLossRow(spec: SoftLossSpec, q: Float32Array, qT: Float32Array, i: number, A: number, action: number, dq: Float32Array, weight: number): number {
  const o = i * A;
  const w = f32(weight * spec.scale);
  if (logPT.length < A) {
    logPT = new Float64Array(A);
    logPS = new Float64Array(A);
    dy = new Float64Array(A);
  }
  switch (spec.kind) {
    case 'mse': {
      if (spec.takenOnly) {
        const d = f32(q[o + action] - qT[o + action]);
        dq[o + action] += w * 2 * d;
        return spec.scale * d * d;
      }
      let l = 0;
      for (let j = 0; j < A; j++) {
        const d = f32(q[o + j] - qT[o + j]);
        l += d * d;
        dq[o + j] += (w * 2 * d) / A;
      }
      return (spec.scale * l) / A;
    }
    case 'kl': {
      logSoftmax(qT, o, A, spec.tauTeacher, logPT);
      logSoftmax(q, o, A, spec.tauStudent, logPS);
      let l = 0;
      for (let j = 0; j < A; j++) {
        const pT = f32(Math.exp(logPT[j]));
        l += pT * (logPT[j] - logPS[j]);
        dy[j] = -f32(w * pT); // ∂ℓ/∂log p_S = −p_T
      }
      backLogSoftmax(A, spec.tauStudent, dq, o);
      return spec.scale * l;
    }
    case 'nll': {
      let t = 0;
      for (let j = 1; j < A; j++) if (qT[o + j] > qT[o + t]) t = j;
      logSoftmax(q, o, A, spec.tauStudent, logPS);
      for (let j = 0; j < A; j++) dy[j] = j === t ? -w : 0; // ∂ℓ/∂log p_S = −onehot
      backLogSoftmax(A, spec.tauStudent, dq, o);
      return -spec.scale * logPS[t];
    }
  }
}

/**
 * Regression of q[i·A + a_i] on y_i, mean over the B rows: squared error or Huber. Adds weight·∂L/∂q into dq
 * and returns L (the batch mean).
 */
export function regressionLoss(kind: 'mse' | 'huber', q: Float32Array, y: ArrayLike<number>, actions: Int32Array, B: number, A: number, dq: Float32Array, weight: number): number {
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const k = i * A + actions[i];
    const d = f32(q[k] - y[i]);
    if (kind === 'huber') {
      const e = Math.abs(d);
      const quad = Math.min(e, 1);
      loss += 0.5 * quad * quad + (e - quad);
      dq[k] += (weight * f32(Math.sign(d) * quad)) / B;
    } else {
      loss += d * d;
      dq[k] += (weight * f32(2 * d)) / B;
    }
  }
  return loss / B;
}

/** y_i = r_i + γ·(1 − done_i)·max_a qNext[i, a], with float32 rounding at each step as tfjs. */
export function maxTdTargets(qNext: Float32Array, rewards: Float32Array, terminated: Float32Array, gamma: number, B: number, A: number, y: Float32Array): Float32Array {
  const g = f32(gamma);
  for (let i = 0; i < B; i++) {
    let m = qNext[i * A];
    for (let j = 1; j < A; j++) if (qNext[i * A + j] > m) m = qNext[i * A + j];
    y[i] = f32(rewards[i] + f32(g * f32(f32(1 - terminated[i]) * m)));
  }
  return y;
}
