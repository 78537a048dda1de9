import { accumulateHessianRow, hessianBlockSize } from "./logistic";

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Buffers of one EM run. One pass over the data per iteration fills all the statistics the M-step needs,
 * so the data are read once per iteration.
 */
export interface EMWorkspace {
  n: number;
  d: number;
  K: number;
  /** Entries of the packed upper triangle of x̃x̃ᵀ, (d+1)(d+2)/2. */
  triangle: number;
  /** Cached packed x̃_i x̃_iᵀ, n × triangle, or null for data too large to cache. */
  products: Float64Array | null;
  /** Responsibilities of this pass, n × K. */
  tau: Float64Array;
  /** Responsibilities of the previous accepted pass, n × K (swapped with tau by the caller). */
  previousTau: Float64Array;
  /** Gradient of the gate objective Σ τ log π at the pass's gates, (d+1) × (K−1) row-major. */
  gradient: Float64Array;
  /** Packed negative Hessian blocks of the gate objective (see accumulateHessianRow). */
  hessianBlocks: Float64Array;
  /** Σ_i τ_ik x̃_i x̃_iᵀ packed, K × triangle. */
  packedGrams: Float64Array;
  /** Σ_i τ_ik y_i x̃_i, K × (d+1). */
  rhs: Float64Array;
  /** Σ_i τ_ik, length K. */
  totals: Float64Array;
  /** Σ_i τ_ik y_i², length K. */
  responseSquares: Float64Array;
  scratch: { eta: Float64Array; mean: Float64Array; logGate: Float64Array; gate: Float64Array; xTilde: Float64Array; outer: Float64Array };
}

export function createEMWorkspace(n: number, d: number, K: number, products: Float64Array | null): EMWorkspace {
  const p = d + 1;
  const triangle = (p * (p + 1)) / 2;
  return {
    n,
    d,
    K,
    triangle,
    products,
    tau: new Float64Array(n * K),
    previousTau: new Float64Array(n * K),
    gradient: new Float64Array(p * (K - 1)),
    hessianBlocks: new Float64Array(hessianBlockSize(d, K)),
    packedGrams: new Float64Array(K * triangle),
    rhs: new Float64Array(K * p),
    totals: new Float64Array(K),
    responseSquares: new Float64Array(K),
    scratch: {
      eta: new Float64Array(K),
      mean: new Float64Array(K),
      logGate: new Float64Array(K),
      gate: new Float64Array(K),
      xTilde: new Float64Array(p),
      outer: new Float64Array(triangle),
    },
  };
}

export interface PassResult {
  /** Observed-data log-likelihood Σ_i log f(y_i | x_i) at the pass's parameters. */
  logLikelihood: number;
  /** Σ_i Σ_k τ_ik log π_ik with this pass's responsibilities: the gate objective the next gate step increases. */
  gateObjective: number;
  /** Σ_i Σ_k τ'_ik log π_ik with the previous pass's responsibilities τ', when requested; NaN otherwise. */
  previousGateObjective: number;
}

/**
 * Runs one pass of EM over the data at parameters (gates, experts, variances), each flattened (d+1) × K
 * row-major. The pass computes the responsibilities τ_ik by log-sum-exp and the log-likelihood. It also sums
 * the M-step statistics: the gradient of the gate objective, its negative Hessian on every
 * `hessianStride`-th row (none when 0), and the weighted normal equations of every expert.
 */
export function emPass(
  workspace: EMWorkspace,
  x: Float64Array,
  y: Float64Array,
  gates: Float64Array,
  experts: Float64Array,
  variances: ArrayLike<number>,
  hessianStride: number,
  withPrevious: boolean,
): PassResult {
  const { n, d, K, triangle, products, tau, previousTau, gradient, hessianBlocks, packedGrams, rhs, totals, responseSquares } = workspace;
  const { eta, mean, logGate, gate, xTilde, outer } = workspace.scratch;
  const p = d + 1;
  const free = K - 1;
  gradient.fill(0);
  hessianBlocks.fill(0);
  packedGrams.fill(0);
  rhs.fill(0);
  totals.fill(0);
  responseSquares.fill(0);

  const halfLogVar = new Float64Array(K);
  const halfInvVar = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    halfLogVar[k] = 0.5 * (LOG_2PI + Math.log(variances[k]));
    halfInvVar[k] = 0.5 / variances[k];
  }

  let logLikelihood = 0;
  let gateObjective = 0;
  let previousGateObjective = withPrevious ? 0 : NaN;
  // Products of the per-row normalizers Σ exp(a_k − max) and Z_i over a block of at most 16 rows.
  let densityProduct = 1;
  let gateProduct = 1;
  xTilde[0] = 1;

  for (let i = 0; i < n; i++) {
    const rowK = i * K;
    const yi = y[i];

    // Linear predictors of gates η_k = α_kᵀx̃ and experts μ_k = β_kᵀx̃.
    for (let k = 0; k < K; k++) {
      eta[k] = gates[k];
      mean[k] = experts[k];
    }
    for (let j = 0; j < d; j++) {
      const xij = x[i * d + j];
      xTilde[j + 1] = xij;
      const offset = (j + 1) * K;
      for (let k = 0; k < K; k++) {
        eta[k] += xij * gates[offset + k];
        mean[k] += xij * experts[offset + k];
      }
    }

    // Gates: π_k = exp(η_k − m) / Σ_l exp(η_l − m) with m = max_l η_l, so log π_k = (η_k − m) − log Z_i.
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (eta[k] > max) max = eta[k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const shifted = eta[k] - max;
      logGate[k] = shifted;
      const e = Math.exp(shifted);
      gate[k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) gate[k] /= sum;

    // E-step: τ_k ∝ π_k N(y; μ_k, σ_k²). The common log Z_i cancels in τ, so the joint uses η_k − m, and
    // log f(y | x) = max_k a_k + log Σ_k exp(a_k − max) − log Z_i.
    let jointMax = -Infinity;
    for (let k = 0; k < K; k++) {
      const r = yi - mean[k];
      const value = logGate[k] - halfLogVar[k] - r * r * halfInvVar[k];
      tau[rowK + k] = value;
      if (value > jointMax) jointMax = value;
    }
    let jointSum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(tau[rowK + k] - jointMax);
      tau[rowK + k] = e;
      jointSum += e;
    }

    // Σ_k τ_k log π_k = Σ_k τ_k (η_k − m) − log Z_i, as Σ_k τ_k = 1; likewise for the previous τ'.
    let shiftedObjective = 0;
    for (let k = 0; k < K; k++) {
      const t = tau[rowK + k] / jointSum;
      tau[rowK + k] = t;
      shiftedObjective += t * logGate[k];
    }
    if (withPrevious) for (let k = 0; k < K; k++) previousGateObjective += previousTau[rowK + k] * logGate[k];

    // Both normalizers lie in [1, K], so their logarithms are taken once per block of rows, from products.
    logLikelihood += jointMax;
    gateObjective += shiftedObjective;
    densityProduct *= jointSum;
    gateProduct *= sum;
    if ((i & 15) === 15 || i === n - 1) {
      const logGateNorms = Math.log(gateProduct);
      logLikelihood += Math.log(densityProduct) - logGateNorms;
      gateObjective -= logGateNorms;
      if (withPrevious) previousGateObjective -= logGateNorms;
      densityProduct = 1;
      gateProduct = 1;
    }

    // Gate gradient: g_k += (τ_k − π_k) x̃ for the K−1 free classes.
    for (let k = 0; k < free; k++) {
      const residual = tau[rowK + k] - gate[k];
      for (let a = 0; a < p; a++) gradient[a * free + k] += residual * xTilde[a];
    }

    // Packed x̃x̃ᵀ: from the cache, or computed here.
    let source: Float64Array = outer;
    let sourceOffset = 0;
    if (products) {
      source = products;
      sourceOffset = i * triangle;
    } else {
      let t = 0;
      for (let a = 0; a < p; a++) for (let b = a; b < p; b++) outer[t++] = xTilde[a] * xTilde[b];
    }

    // Expert normal equations: Σ τ_k x̃x̃ᵀ, Σ τ_k y x̃, Σ τ_k, Σ τ_k y².
    for (let k = 0; k < K; k++) {
      const w = tau[rowK + k];
      totals[k] += w;
      responseSquares[k] += w * yi * yi;
      const wy = w * yi;
      for (let a = 0; a < p; a++) rhs[k * p + a] += wy * xTilde[a];
    }

    // Two experts per sweep over the packed x̃x̃ᵀ, which halves its loads (the hottest loop of EM).
    let k = 0;
    for (; k + 1 < K; k += 2) {
      const w0 = tau[rowK + k];
      const w1 = tau[rowK + k + 1];
      const offset0 = k * triangle;
      const offset1 = offset0 + triangle;
      for (let u = 0; u < triangle; u++) {
        const value = source[sourceOffset + u];
        packedGrams[offset0 + u] += w0 * value;
        packedGrams[offset1 + u] += w1 * value;
      }
    }
    if (k < K) {
      const w = tau[rowK + k];
      const offset = k * triangle;
      for (let u = 0; u < triangle; u++) packedGrams[offset + u] += w * source[sourceOffset + u];
    }

    // Negative Hessian of the gate objective on a systematic subsample, scaled up by the stride.
    if (hessianStride > 0 && i % hessianStride === 0) accumulateHessianRow(hessianBlocks, source, sourceOffset, gate, 0, hessianStride, K, triangle);
  }

  return { logLikelihood, gateObjective, previousGateObjective };
}

/** Unpacks the packed Gram triangle of expert k into a full (d+1) × (d+1) row-major matrix. */
export function unpackGram(workspace: EMWorkspace, k: number, out: Float64Array): Float64Array {
  const p = workspace.d + 1;
  let t = k * workspace.triangle;
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      const value = workspace.packedGrams[t++];
      out[a * p + b] = value;
      out[b * p + a] = value;
    }
  }
  return out;
}
