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

/**
 * Mass-weighted cost between two sets of experts over the support points:
 *
 *   C_ab = Σ_s u_a(x_s) c_ab(x_s) / Σ_s u_a(x_s),
 *
 * the mean cost of moving source expert a onto target expert b where a carries mass u_a.
 *
 * @param sourceMeans - S × A row-major, μ_as = β_aᵀ x̃_s
 * @param sourceVariances - length A
 * @param sourceMass - S × A row-major, u_a(x_s) ≥ 0 (e.g. the source gate probabilities)
 * @param targetMeans - S × B row-major
 * @param targetVariances - length B
 * @returns A × B array of arrays; a row whose mass is 0 everywhere uses equal weights over the support points
 */
export function expertCostMatrix(
  sourceMeans: Float64Array,
  sourceVariances: ArrayLike<number>,
  sourceMass: Float64Array,
  targetMeans: Float64Array,
  targetVariances: ArrayLike<number>,
  S: number,
): number[][] {
  const A = sourceVariances.length;
  const B = targetVariances.length;
  const cost = Array.from({ length: A }, () => new Array<number>(B).fill(0));
  const logTarget = Float64Array.from(targetVariances, Math.log);
  const inverseTarget = Float64Array.from(targetVariances, (variance) => 1 / variance);
  const row = new Float64Array(B);

  for (let a = 0; a < A; a++) {
    let total = 0;
    for (let s = 0; s < S; s++) total += sourceMass[s * A + a];
    const varianceA = sourceVariances[a];
    const logA = Math.log(varianceA);
    row.fill(0);

    // Σ_s u_a(x_s) c_ab(x_s) with the logarithms taken once per expert, not per support point.
    for (let s = 0; s < S; s++) {
      const u = total > 0 ? sourceMass[s * A + a] / total : 1 / S;
      if (u === 0) continue;
      const mean = sourceMeans[s * A + a];
      for (let b = 0; b < B; b++) {
        const difference = targetMeans[s * B + b] - mean;
        const value = 0.5 * (logTarget[b] - logA + (varianceA + difference * difference) * inverseTarget[b] - 1);
        if (value > 0) row[b] += u * value;
      }
    }
    for (let b = 0; b < B; b++) cost[a][b] = row[b];
  }

  return cost;
}
