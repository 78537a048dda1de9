/**
 * Computes the cost of moving a Gaussian expert onto another at a covariate x, the Kullback–Leibler divergence
 * between the two conditional densities N(y; μ_l, σ_l²) and N(y; μ_k, σ_k²), with μ = βᵀx̃ the expert means at x:
 *
 *   c_lk(x) = KL(N(μ_l, σ_l²) ‖ N(μ_k, σ_k²)) = ½ [ log(σ_k² / σ_l²) + σ_l² / σ_k² + (μ_k − μ_l)² / σ_k² − 1 ]   (nats).
 *
 * It is 0 exactly when the two experts agree at x and is not symmetric.
 */
export function gaussianKL(meanFrom: number, varianceFrom: number, meanTo: number, varianceTo: number): number {
  const difference = meanTo - meanFrom;
  const value = 0.5 * (Math.log(varianceTo / varianceFrom) + (varianceFrom + difference * difference) / varianceTo - 1);

  // The divergence is ≥ 0; rounding can leave −1e-17 when the experts coincide.
  return value > 0 ? value : 0;
}
