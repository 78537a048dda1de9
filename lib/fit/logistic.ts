import { CholeskyDecomposition, Matrix } from "ml-matrix";

import { linearPredictors } from "../model/density";

/**
 * Multinomial logistic regression with soft labels and observation weights, the gate M-step of EM and the
 * gate fit of the reduced model. It maximizes the weighted cross-entropy
 *
 *   L(α) = Σ_i w_i Σ_k t_ik log π_k(x_i; α),   α_K = 0,
 *
 * over α_1..α_{K−1}. Rows of the targets t need not sum to 1; a row sum s_i acts as an extra weight.
 */
export interface LogisticProblem {
  /** Covariates, n × d row-major. */
  x: Float64Array;
  n: number;
  d: number;
  /** Number of classes (experts). */
  K: number;
  /** Soft labels t_ik ≥ 0, n × K row-major. */
  targets: Float64Array;
  /** Observation weights w_i ≥ 0, length n; all 1 when omitted. */
  weights?: Float64Array;
}

export type GateStepMethod = "newton" | "bohning";

export interface LogisticOptions {
  /** "newton" uses the exact Hessian; "bohning" the fixed bound ½(I − 11ᵀ/K) ⊗ Σ w x̃x̃ᵀ (one factorization). */
  method?: GateStepMethod;
  /** Maximum number of steps. Default 100. */
  maxIterations?: number;
  /** Stop when the relative change of the objective is below this. Default 1e-10. */
  tolerance?: number;
  /** Maximum number of step halvings per Newton step. Default 30. */
  maxHalvings?: number;
  /**
   * Rows used to estimate the Newton Hessian: every ⌈n / hessianRows⌉-th row, scaled up. Default 4096.
   * The Hessian only sets the direction of the step, and step halving keeps every step an ascent step.
   * So an estimate from a systematic subsample is enough, and it saves most of the cost for large n.
   */
  hessianRows?: number;
  /**
   * Newton steps that share one factored Hessian. Default 1, a fresh Hessian every step. With more, a step
   * that needs halving or fails to ascend gets a fresh Hessian first, so the objective still never decreases.
   */
  hessianReuse?: number;
}

/** Gate probabilities and objective at the starting gates, when the caller already has them (the E-step does). */
export interface LogisticState {
  /** π at the starting gates, n × K. */
  probabilities: Float64Array;
  /** L at the starting gates. */
  objective: number;
}

export interface LogisticResult {
  /** Fitted gates, (d+1) × K flattened row-major, last column 0. */
  gates: Float64Array;
  /** Final weighted cross-entropy L(α). */
  objective: number;
  iterations: number;
  converged: boolean;
}

/**
 * Computes the objective L(α) = Σ_i w_i Σ_k t_ik log π_ik for gates α ((d+1) × K flattened, last column 0).
 * Also leaves the gate probabilities π in `probabilities` (n × K) when given.
 */
export function logisticObjective(problem: LogisticProblem, gates: Float64Array, probabilities?: Float64Array): number {
  const { x, n, d, K, targets, weights } = problem;
  const eta = linearPredictors(gates, x, n, d, K, probabilities);

  // Per row: Σ_k t_ik log π_ik = Σ_k t_ik η_ik − s_i log Σ_l exp(η_il), with one exp per class.
  let objective = 0;
  for (let i = 0; i < n; i++) {
    const offset = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (eta[offset + k] > max) max = eta[offset + k];

    let weightedEta = 0;
    let rowSum = 0;
    let sumExp = 0;
    for (let k = 0; k < K; k++) {
      const t = targets[offset + k];
      const value = eta[offset + k];
      weightedEta += t * value;
      rowSum += t;
      const e = Math.exp(value - max);
      eta[offset + k] = e;
      sumExp += e;
    }

    objective += (weights ? weights[i] : 1) * (weightedEta - rowSum * (max + Math.log(sumExp)));
    for (let k = 0; k < K; k++) eta[offset + k] /= sumExp;
  }

  return objective;
}

/**
 * Computes the gradient g_k = Σ_i w_i (t_ik − s_i π_ik) x̃_i for k < K, with s_i = Σ_k t_ik.
 *
 * @returns (d+1) × (K−1) flattened row-major
 */
export function logisticGradient(problem: LogisticProblem, probabilities: Float64Array): Float64Array {
  const { x, n, d, K, targets, weights } = problem;
  const free = K - 1;
  const gradient = new Float64Array((d + 1) * free);
  const residual = new Float64Array(free);

  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    let rowSum = 0;
    for (let k = 0; k < K; k++) rowSum += targets[i * K + k];
    for (let k = 0; k < free; k++) residual[k] = w * (targets[i * K + k] - rowSum * probabilities[i * K + k]);

    for (let k = 0; k < free; k++) gradient[k] += residual[k];
    for (let j = 0; j < d; j++) {
      const xij = x[i * d + j];
      const offset = (j + 1) * free;
      for (let k = 0; k < free; k++) gradient[offset + k] += xij * residual[k];
    }
  }

  return gradient;
}

/**
 * Computes the negative Hessian −H of L, of size p × p with p = (d+1)(K−1) and parameter index a·(K−1) + k:
 * −H_(a,k),(b,l) = Σ_i w_i s_i π_ik (δ_kl − π_il) x̃_ia x̃_ib, over every `stride`-th row (scaled by stride).
 */
export function negativeHessian(problem: LogisticProblem, probabilities: Float64Array, stride: number): Matrix {
  const { x, n, d, K, targets, weights } = problem;
  const q = d + 1;
  const free = K - 1;
  const triangle = (q * (q + 1)) / 2;
  const pairs = (free * K) / 2;
  const capacity = Math.ceil(n / stride);

  // Pairs are summed four at a time below. Padded pairs have weight 0 and are not stored.
  const paddedPairs = 4 * Math.ceil(pairs / 4);
  // The used rows, column by column (x̃ with its leading 1), and each row's weight c_kl = w s π_k (δ_kl − π_l)
  // for every class pair k ≤ l < K−1, pair by pair.
  const columns = new Float64Array(q * capacity);
  const pairWeights = new Float64Array(paddedPairs * capacity);
  let rows = 0;
  for (let i = 0; i < n; i += stride) {
    let rowSum = 0;
    for (let k = 0; k < K; k++) rowSum += targets[i * K + k];
    const w = stride * (weights ? weights[i] : 1) * rowSum;
    if (w === 0) continue;

    columns[rows] = 1;
    for (let j = 0; j < d; j++) columns[(j + 1) * capacity + rows] = x[i * d + j];
    let pair = 0;
    for (let k = 0; k < free; k++) {
      const wpk = w * probabilities[i * K + k];
      for (let l = k; l < free; l++) pairWeights[pair++ * capacity + rows] = wpk * ((k === l ? 1 : 0) - probabilities[i * K + l]);
    }
    rows++;
  }

  // Block (k, l), entry (a, b) = Σ_i c_kl,i (x̃_ia x̃_ib): a dot product over the rows with its sum in a register,
  // about 1.6 times as fast in V8 as adding each row's outer product into the blocks. The products and the order
  // of the sum are those of accumulateHessianRow, so the rounding is the same.
  const blocks = new Float64Array(hessianBlockSize(d, K));
  const products = new Float64Array(rows);
  let u = 0;
  for (let a = 0; a < q; a++) {
    for (let b = a; b < q; b++) {
      for (let r = 0; r < rows; r++) products[r] = columns[a * capacity + r] * columns[b * capacity + r];

      // Four pairs at a time: four independent sums hide the latency of the additions.
      for (let pair = 0; pair < paddedPairs; pair += 4) {
        const o0 = pair * capacity;
        const o1 = o0 + capacity;
        const o2 = o1 + capacity;
        const o3 = o2 + capacity;
        let sum0 = 0;
        let sum1 = 0;
        let sum2 = 0;
        let sum3 = 0;
        for (let r = 0; r < rows; r++) {
          const product = products[r];
          sum0 += pairWeights[o0 + r] * product;
          sum1 += pairWeights[o1 + r] * product;
          sum2 += pairWeights[o2 + r] * product;
          sum3 += pairWeights[o3 + r] * product;
        }
        blocks[pair * triangle + u] = sum0;
        if (pair + 1 < pairs) blocks[(pair + 1) * triangle + u] = sum1;
        if (pair + 2 < pairs) blocks[(pair + 2) * triangle + u] = sum2;
        if (pair + 3 < pairs) blocks[(pair + 3) * triangle + u] = sum3;
      }
      u++;
    }
  }

  return assembleHessian(blocks, d, K);
}

/** Length of the packed Hessian blocks: (K−1)K/2 class pairs, each an upper triangle of (d+1)(d+2)/2 entries. */
export function hessianBlockSize(d: number, K: number): number {
  return (((K - 1) * K) / 2) * (((d + 1) * (d + 2)) / 2);
}

/**
 * Adds one row's term w π_ik (δ_kl − π_il) x̃x̃ᵀ to the packed blocks (class pairs k ≤ l < K−1, each the
 * upper triangle of x̃x̃ᵀ, given packed in `outer` from `outerOffset`).
 */
export function accumulateHessianRow(blocks: Float64Array, outer: Float64Array, outerOffset: number, probabilities: Float64Array, probabilityOffset: number, w: number, K: number, triangle: number): void {
  const free = K - 1;
  let offset = 0;
  for (let k = 0; k < free; k++) {
    const pk = probabilities[probabilityOffset + k];
    const wpk = w * pk;
    for (let l = k; l < free; l++) {
      const c = wpk * ((k === l ? 1 : 0) - probabilities[probabilityOffset + l]);
      for (let u = 0; u < triangle; u++) blocks[offset + u] += c * outer[outerOffset + u];
      offset += triangle;
    }
  }
}

/** Unpacks the blocks of accumulateHessianRow into the full symmetric (d+1)(K−1) square matrix. */
export function assembleHessian(blocks: Float64Array, d: number, K: number): Matrix {
  const free = K - 1;
  const q = d + 1;
  const triangle = (q * (q + 1)) / 2;
  const p = q * free;
  const hessian = new Matrix(p, p);
  let pair = 0;
  for (let k = 0; k < free; k++) {
    for (let l = k; l < free; l++) {
      let t = 0;
      for (let a = 0; a < q; a++) {
        for (let b = a; b < q; b++) {
          const value = blocks[pair * triangle + t++];
          hessian.set(a * free + k, b * free + l, value);
          hessian.set(b * free + l, a * free + k, value);
          hessian.set(b * free + k, a * free + l, value);
          hessian.set(a * free + l, b * free + k, value);
        }
      }
      pair++;
    }
  }
  return hessian;
}

/** Cholesky factor of a symmetric positive semi-definite A, with a small ridge added if A is singular. */
export function factorSymmetric(a: Matrix): CholeskyDecomposition {
  const cholesky = new CholeskyDecomposition(a);
  if (cholesky.isPositiveDefinite()) return cholesky;

  const ridge = Math.max((1e-10 * Math.abs(a.trace())) / a.rows, 1e-12);
  return new CholeskyDecomposition(a.clone().add(Matrix.eye(a.rows).mul(ridge)));
}

/** Solves A z = b with the factor of A. */
export function solveWithFactor(factor: CholeskyDecomposition, b: Float64Array): Float64Array {
  return Float64Array.from(factor.solve(Matrix.columnVector(Array.from(b))).getColumn(0));
}

/** Solves A z = b for a symmetric positive semi-definite A, adding a small ridge if A is singular. */
export function solveSymmetric(a: Matrix, b: Float64Array): Float64Array {
  return solveWithFactor(factorSymmetric(a), b);
}

/** Adds a step (d+1) × (K−1) scaled by `scale` to gates (d+1) × K, leaving the last column at 0. */
export function addStep(gates: Float64Array, step: Float64Array, scale: number, d: number, K: number): Float64Array {
  const next = gates.slice();
  const free = K - 1;
  for (let a = 0; a <= d; a++) {
    for (let k = 0; k < free; k++) next[a * K + k] += scale * step[a * free + k];
  }
  return next;
}

/**
 * Gate solver for one data set. It keeps the Böhning bound's factorization, so repeated calls factor it
 * only once.
 */
export class LogisticSolver {
  private bohningFactor: CholeskyDecomposition | null = null;

  constructor(private readonly problem: LogisticProblem) {}

  /** Replaces the soft labels, keeping covariates and weights (and so the Böhning factorization when row sums stay 1). */
  setTargets(targets: Float64Array): void {
    this.problem.targets = targets;
  }

  /**
   * Runs at most `options.maxIterations` ascent steps from `initial` ((d+1) × K flattened, last column 0).
   * Each Newton step is halved until the objective does not decrease, so L never decreases.
   */
  fit(initial: Float64Array, options: LogisticOptions = {}, state?: LogisticState): LogisticResult {
    const { n, K } = this.problem;
    const method = options.method ?? "newton";
    const maxIterations = options.maxIterations ?? 100;
    const tolerance = options.tolerance ?? 1e-10;
    const maxHalvings = options.maxHalvings ?? 30;
    const stride = Math.max(1, Math.ceil(n / (options.hessianRows ?? 4096)));
    const hessianReuse = options.hessianReuse ?? 1;
    let hessianFactor: CholeskyDecomposition | null = null;
    let hessianAge = 0;

    const probabilities = state ? state.probabilities.slice() : new Float64Array(n * K);
    const candidateProbabilities = new Float64Array(n * K);
    let gates: Float64Array = initial.slice();
    let objective = state ? state.objective : logisticObjective(this.problem, gates, probabilities);
    let iterations = 0;
    let converged = false;

    while (iterations < maxIterations && !converged) {
      iterations++;

      // Ascent direction: Newton (−H)⁻¹g with a fresh or a reused Hessian, or the Böhning bound B⁻¹g.
      const gradient = logisticGradient(this.problem, probabilities);
      const freshHessian = method === "newton" && (hessianFactor === null || hessianAge >= hessianReuse);
      if (freshHessian) {
        hessianFactor = factorSymmetric(negativeHessian(this.problem, probabilities, stride));
        hessianAge = 0;
      }
      hessianAge++;
      const step = method === "bohning" ? this.bohningStep(gradient) : solveWithFactor(hessianFactor as CholeskyDecomposition, gradient);

      // Step halving keeps the objective from decreasing; the Böhning step needs none in exact arithmetic.
      let scale = 1;
      let candidate = addStep(gates, step, scale, this.problem.d, K);
      let candidateObjective = logisticObjective(this.problem, candidate, candidateProbabilities);
      let halvings = 0;
      while (!(candidateObjective >= objective) && halvings < maxHalvings) {
        scale /= 2;
        halvings++;
        candidate = addStep(gates, step, scale, this.problem.d, K);
        candidateObjective = logisticObjective(this.problem, candidate, candidateProbabilities);
      }
      if (method === "newton" && !freshHessian && halvings > 0) {
        // The reused Hessian gave a poor direction: take this step again with a fresh one.
        hessianFactor = null;
        iterations--;
        continue;
      }
      if (!(candidateObjective >= objective)) {
        converged = true;
        break;
      }

      const change = candidateObjective - objective;
      gates = candidate;
      objective = candidateObjective;
      probabilities.set(candidateProbabilities);
      converged = change <= tolerance * Math.max(1, Math.abs(objective));
    }

    return { gates, objective, iterations, converged };
  }

  private bohningStep(gradient: Float64Array): Float64Array {
    if (!this.bohningFactor) this.bohningFactor = new CholeskyDecomposition(this.weightedGram());
    return bohningDirection(this.bohningFactor, gradient, this.problem.d, this.problem.K);
  }

  /** C = Σ_i w_i s_i x̃_i x̃_iᵀ, (d+1) × (d+1), with a tiny ridge if singular. */
  private weightedGram(): Matrix {
    const { x, n, d, K, targets, weights } = this.problem;
    const gram = Matrix.zeros(d + 1, d + 1);
    const xTilde = new Float64Array(d + 1);
    xTilde[0] = 1;

    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      for (let k = 0; k < K; k++) rowSum += targets[i * K + k];
      const w = (weights ? weights[i] : 1) * rowSum;
      for (let j = 0; j < d; j++) xTilde[j + 1] = x[i * d + j];
      for (let a = 0; a <= d; a++) for (let b = a; b <= d; b++) gram.set(a, b, gram.get(a, b) + w * xTilde[a] * xTilde[b]);
    }

    for (let a = 0; a <= d; a++) for (let b = 0; b < a; b++) gram.set(a, b, gram.get(b, a));
    if (!new CholeskyDecomposition(gram).isPositiveDefinite()) gram.add(Matrix.eye(d + 1).mul(1e-10 * Math.max(1, gram.trace())));
    return gram;
  }
}

/**
 * Fits a multinomial logistic regression to soft labels from `initial` gates (zeros when omitted).
 *
 * @returns gates as a flattened (d+1) × K Float64Array (last column 0; see unflatten), the final objective, iterations and convergence
 */
export function fitMultinomialLogistic(problem: LogisticProblem, options: LogisticOptions & { initial?: number[][] } = {}): LogisticResult {
  const { d, K } = problem;
  const initial = options.initial ? flattenAnchored(options.initial) : new Float64Array((d + 1) * K);
  return new LogisticSolver(problem).fit(initial, options);
}

/** Flattens (d+1) × K gates into the solver's layout, anchored on the last column (which becomes 0). */
export function flattenAnchored(gates: number[][]): Float64Array {
  const K = gates[0].length;
  const flat = new Float64Array(gates.length * K);
  gates.forEach((row, a) => row.forEach((value, k) => (flat[a * K + k] = value - row[K - 1])));
  return flat;
}

/** Converts flattened (d+1) × K gates to arrays of arrays. */
export function unflatten(flat: Float64Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(flat.subarray(r * cols, r * cols + cols)));
}

/**
 * Böhning step B⁻¹g with B = ½(I − 11ᵀ/K) ⊗ C, given the Cholesky factor of C = Σ_i w_i s_i x̃_i x̃_iᵀ,
 * using (½(I − 11ᵀ/K))⁻¹ = 2(I + 11ᵀ) on the K−1 free classes.
 *
 * @param gradient - (d+1) × (K−1) flattened row-major
 */
export function bohningDirection(factor: CholeskyDecomposition, gradient: Float64Array, d: number, K: number): Float64Array {
  const free = K - 1;

  // Mix the classes first: h_k = 2 (g_k + Σ_l g_l), for each covariate row a.
  const mixed = new Matrix(d + 1, free);
  for (let a = 0; a <= d; a++) {
    let total = 0;
    for (let k = 0; k < free; k++) total += gradient[a * free + k];
    for (let k = 0; k < free; k++) mixed.set(a, k, 2 * (gradient[a * free + k] + total));
  }

  const solved = factor.solve(mixed);
  const step = new Float64Array((d + 1) * free);
  for (let a = 0; a <= d; a++) for (let k = 0; k < free; k++) step[a * free + k] = solved.get(a, k);
  return step;
}
