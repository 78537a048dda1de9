import { linearPredictors } from "../model/density";

const LOG_2PI = Math.log(2 * Math.PI);

/** Work arrays of one EM run, each n × K row-major, reused across iterations. */
export interface EStepBuffers {
  /** log π_k(x_i) at the current gates. */
  logGate: Float64Array;
  /** π_k(x_i) at the current gates. */
  gate: Float64Array;
  /** Responsibilities τ_ik. */
  tau: Float64Array;
  /** Scratch for expert means β_kᵀx̃_i. */
  means: Float64Array;
}

export function allocateEStepBuffers(n: number, K: number): EStepBuffers {
  return { logGate: new Float64Array(n * K), gate: new Float64Array(n * K), tau: new Float64Array(n * K), means: new Float64Array(n * K) };
}

/**
 * E-step fused into two passes over the data: gate log-probabilities and probabilities, then the
 * responsibilities τ_ik = π_ik N(y_i; β_kᵀx̃_i, σ_k²) / f(y_i | x_i), each by one log-sum-exp per row.
 *
 * @param gates - (d+1) × K flattened row-major, last column 0
 * @param experts - (d+1) × K flattened row-major
 * @returns the observed-data log-likelihood Σ_i log f(y_i | x_i)
 */
export function fusedEStep(x: Float64Array, y: Float64Array, n: number, d: number, K: number, gates: Float64Array, experts: Float64Array, variances: readonly number[], buffers: EStepBuffers): number {
  const { logGate, gate, tau, means } = buffers;
  linearPredictors(gates, x, n, d, K, logGate);
  linearPredictors(experts, x, n, d, K, means);

  const halfLogVar = variances.map((v) => 0.5 * (LOG_2PI + Math.log(v)));
  const halfInvVar = variances.map((v) => 0.5 / v);
  let logLikelihood = 0;

  for (let i = 0; i < n; i++) {
    const offset = i * K;

    // Gates: log π_ik = η_ik − log Σ_l exp(η_il).
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (logGate[offset + k] > max) max = logGate[offset + k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(logGate[offset + k] - max);
      gate[offset + k] = e;
      sum += e;
    }
    const logNorm = max + Math.log(sum);
    for (let k = 0; k < K; k++) {
      logGate[offset + k] -= logNorm;
      gate[offset + k] /= sum;
    }

    // Joint: log π_ik − ½ log(2π σ_k²) − (y_i − μ_ik)² / (2σ_k²), then normalized.
    let jointMax = -Infinity;
    for (let k = 0; k < K; k++) {
      const r = y[i] - means[offset + k];
      const value = logGate[offset + k] - halfLogVar[k] - r * r * halfInvVar[k];
      tau[offset + k] = value;
      if (value > jointMax) jointMax = value;
    }
    let jointSum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(tau[offset + k] - jointMax);
      tau[offset + k] = e;
      jointSum += e;
    }
    for (let k = 0; k < K; k++) tau[offset + k] /= jointSum;
    logLikelihood += jointMax + Math.log(jointSum);
  }

  return logLikelihood;
}
