import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  fitMultinomialLogistic,
  LogisticSolver,
  logisticGradient,
  logisticObjective,
  negativeHessian,
  type GateStepMethod,
  type LogisticProblem,
} from "../lib/fit/logistic";
import { linearPredictors, logSoftmaxRows } from "../lib/model/density";
import { Random } from "../lib/random";

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance} but got ${actual}`);
}

/** Solves A z = b by Gaussian elimination with partial pivoting (A is p × p, row-major arrays). */
function solveLinear(matrix: number[][], rhs: number[]): number[] {
  const p = rhs.length;
  const a = matrix.map((row, r) => [...row, rhs[r]]);
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = c + 1; r < p; r++) {
      const factor = a[r][c] / a[c][c];
      for (let k = c; k <= p; k++) a[r][k] -= factor * a[c][k];
    }
  }
  const z = new Array<number>(p).fill(0);
  for (let r = p - 1; r >= 0; r--) {
    let value = a[r][p];
    for (let k = r + 1; k < p; k++) value -= a[r][k] * z[k];
    z[r] = value / a[r][r];
  }
  return z;
}

/** Adds a step laid out (d+1) × (K−1) to gates laid out (d+1) × K. */
function addStep(gates: Float64Array, step: ArrayLike<number>, d: number, K: number): Float64Array {
  const next = gates.slice();
  for (let a = 0; a <= d; a++) for (let k = 0; k < K - 1; k++) next[a * K + k] += step[a * (K - 1) + k];
  return next;
}

/** Draws a problem with standard normal covariates and soft labels from a flat Dirichlet. */
function softProblem(n: number, d: number, K: number, seed: number): LogisticProblem {
  const random = new Random(seed);
  const x = Float64Array.from({ length: n * d }, () => random.normal());
  const targets = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let k = 0; k < K; k++) {
      targets[i * K + k] = -Math.log(1 - random.uniform());
      total += targets[i * K + k];
    }
    for (let k = 0; k < K; k++) targets[i * K + k] /= total;
  }
  return { x, n, d, K, targets };
}

/** Draws gates laid out (d+1) × K with entries uniform in [−scale, scale] and the last column 0. */
function randomGates(d: number, K: number, scale: number, seed: number): Float64Array {
  const random = new Random(seed);
  const gates = new Float64Array((d + 1) * K);
  for (let a = 0; a <= d; a++) for (let k = 0; k < K - 1; k++) gates[a * K + k] = scale * (2 * random.uniform() - 1);
  return gates;
}

function probabilitiesAt(problem: LogisticProblem, gates: Float64Array): Float64Array {
  const probabilities = new Float64Array(problem.n * problem.K);
  logisticObjective(problem, gates, probabilities);
  return probabilities;
}

/**
 * Binary case worked by hand: x = (−1, 0, 1, 2), class-1 indicator (0, 1, 0, 1), so the class-2 targets are
 * (1, 0, 1, 0). With K = 2 the free gate (a_0, a_1) of class 1 is a binary logistic regression.
 */
function binaryProblem(): LogisticProblem {
  return {
    x: Float64Array.from([-1, 0, 1, 2]),
    n: 4,
    d: 1,
    K: 2,
    targets: Float64Array.from([0, 1, 1, 0, 0, 1, 1, 0]),
  };
}

describe("logistic objective and gradient", () => {
  it("match the hand values at zero gates", () => {
    const problem = binaryProblem();
    const gates = new Float64Array(4);
    const probabilities = new Float64Array(8);

    // π = ½ everywhere, so L = 4 log ½.
    assertClose(logisticObjective(problem, gates, probabilities), 4 * Math.log(0.5), 1e-15, "L(0)");
    for (let t = 0; t < 8; t++) assertClose(probabilities[t], 0.5, 1e-15, `π[${t}]`);

    // g = Σ_i (t_i1 − ½) x̃_i, with intercept (−½ + ½ − ½ + ½) = 0 and slope (½ + 0 − ½ + 1) = 1.
    const gradient = logisticGradient(problem, probabilities);
    assert.deepEqual(Array.from(gradient), [0, 1]);
  });

  it("gradient matches central differences for K = 3", () => {
    const problem = softProblem(25, 2, 3, 11);
    problem.weights = Float64Array.from({ length: 25 }, (_, i) => 0.5 + (i % 4));
    const { d, K } = problem;
    const gates = randomGates(d, K, 1, 12);
    const gradient = logisticGradient(problem, probabilitiesAt(problem, gates));
    const h = 1e-5;

    for (let a = 0; a <= d; a++) {
      for (let k = 0; k < K - 1; k++) {
        const plus = gates.slice();
        const minus = gates.slice();
        plus[a * K + k] += h;
        minus[a * K + k] -= h;
        const numeric = (logisticObjective(problem, plus) - logisticObjective(problem, minus)) / (2 * h);
        const analytic = gradient[a * (K - 1) + k];
        assertClose(analytic, numeric, 1e-6 * Math.max(1, Math.abs(numeric)), `∂L/∂α[${a}][${k}]`);
      }
    }
  });
});

describe("one gate step", () => {
  it("newton step from zero matches the hand step", () => {
    // −H = Σ_i π(1 − π) x̃ x̃ᵀ = ¼ [[4, 2], [2, 6]] = [[1, ½], [½, 3/2]], det 5/4,
    // so (−H)⁻¹ g = (4/5) [[3/2, −½], [−½, 1]] (0, 1)ᵀ = (−0.4, 0.8).
    // The objective rises from 4 log ½ ≈ −2.7726 to −2 log(1 + e^−1.2) − 2 log(1 + e^0.4) ≈ −2.3526, so no halving.
    const result = fitMultinomialLogistic(binaryProblem(), { method: "newton", maxIterations: 1 });
    const expected = [-0.4, 0, 0.8, 0];
    for (let t = 0; t < 4; t++) assertClose(result.gates[t], expected[t], 1e-14, `gates[${t}]`);
    assertClose(result.objective, -2 * Math.log(1 + Math.exp(-1.2)) - 2 * Math.log(1 + Math.exp(0.4)), 1e-14, "L after the step");
    assert.equal(result.iterations, 1);
  });

  it("newton step halving rescues an overshoot", () => {
    // From (a_0, a_1) = (0, −10) three of the four points have saturated probabilities, so −H is tiny and the
    // full Newton step overshoots. The step is computed here, and L at it must be below L at the start (≈ −30.69).
    const problem = binaryProblem();
    const start = Float64Array.from([0, 0, -10, 0]);
    let g0 = 0;
    let g1 = 0;
    let h00 = 0;
    let h01 = 0;
    let h11 = 0;
    for (let i = 0; i < 4; i++) {
      const x = problem.x[i];
      const pi = 1 / (1 + Math.exp(10 * x));
      const t = problem.targets[2 * i];
      g0 += t - pi;
      g1 += (t - pi) * x;
      h00 += pi * (1 - pi);
      h01 += pi * (1 - pi) * x;
      h11 += pi * (1 - pi) * x * x;
    }
    const det = h00 * h11 - h01 * h01;
    const fullStep = Float64Array.from([(h11 * g0 - h01 * g1) / det, 0, -10 + (h00 * g1 - h01 * g0) / det, 0]);
    const startObjective = logisticObjective(problem, start);
    assert.ok(logisticObjective(problem, fullStep) < startObjective, "the full Newton step must overshoot here");

    const one = new LogisticSolver(problem).fit(start, { method: "newton", maxIterations: 1 });
    assert.ok(one.objective > startObjective, `one halved step went from ${startObjective} to ${one.objective}`);

    // The maximum from this start equals the maximum from zero, where no step overshoots.
    const far = new LogisticSolver(problem).fit(start, { method: "newton", maxIterations: 100, tolerance: 1e-15 });
    const near = fitMultinomialLogistic(problem, { method: "newton", maxIterations: 100, tolerance: 1e-15 });
    assertClose(far.objective, near.objective, 1e-12, "maximum of L");
    for (let t = 0; t < 4; t++) assertClose(far.gates[t], near.gates[t], 1e-6, `gates[${t}]`);
  });

  it("bohning step equals newton for K = 2 at zero", () => {
    // At π = ½ the bound ½(1 − ½) Σ x̃ x̃ᵀ = ¼ Σ x̃ x̃ᵀ is the exact negative Hessian, so the steps coincide.
    const result = fitMultinomialLogistic(binaryProblem(), { method: "bohning", maxIterations: 1 });
    const expected = [-0.4, 0, 0.8, 0];
    for (let t = 0; t < 4; t++) assertClose(result.gates[t], expected[t], 1e-14, `gates[${t}]`);
  });

  it("newton step for K = 3 matches a finite-difference Hessian", () => {
    const problem = softProblem(40, 2, 3, 21);
    const { d, K } = problem;
    const p = (d + 1) * (K - 1);
    const gates = randomGates(d, K, 0.5, 22);
    const gradient = logisticGradient(problem, probabilitiesAt(problem, gates));

    // −H column by column: −(g(α + h e_b) − g(α − h e_b)) / 2h.
    const h = 1e-5;
    const negativeHessian = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let b = 0; b < p; b++) {
      const unit = new Array<number>(p).fill(0);
      unit[b] = h;
      const plus = addStep(gates, unit, d, K);
      unit[b] = -h;
      const minus = addStep(gates, unit, d, K);
      const gPlus = logisticGradient(problem, probabilitiesAt(problem, plus));
      const gMinus = logisticGradient(problem, probabilitiesAt(problem, minus));
      for (let a = 0; a < p; a++) negativeHessian[a][b] = -(gPlus[a] - gMinus[a]) / (2 * h);
    }
    const expected = addStep(gates, solveLinear(negativeHessian, Array.from(gradient)), d, K);
    assert.ok(logisticObjective(problem, expected) > logisticObjective(problem, gates), "the full Newton step must be an ascent step here");

    const result = new LogisticSolver(problem).fit(gates, { method: "newton", maxIterations: 1 });
    for (let t = 0; t < expected.length; t++) assertClose(result.gates[t], expected[t], 1e-7, `gates[${t}]`);
  });

  it("negative Hessian matches finite differences for K = 2, 4, 6", () => {
    // K = 4 and 6 have 6 and 15 class pairs, which the Hessian sums in groups of four with padding.
    for (const K of [2, 4, 6]) {
      const problem = softProblem(30, 2, K, 40 + K);
      problem.weights = Float64Array.from({ length: 30 }, (_, i) => (i === 7 ? 0 : 1 + (i % 3)));
      const { d } = problem;
      const p = (d + 1) * (K - 1);
      const gates = randomGates(d, K, 0.5, 50 + K);
      const hessian = negativeHessian(problem, probabilitiesAt(problem, gates), 1);

      const h = 1e-5;
      for (let b = 0; b < p; b++) {
        const unit = new Array<number>(p).fill(0);
        unit[b] = h;
        const gPlus = logisticGradient(problem, probabilitiesAt(problem, addStep(gates, unit, d, K)));
        unit[b] = -h;
        const gMinus = logisticGradient(problem, probabilitiesAt(problem, addStep(gates, unit, d, K)));
        for (let a = 0; a < p; a++) assertClose(hessian.get(a, b), -(gPlus[a] - gMinus[a]) / (2 * h), 1e-6, `K = ${K}, −H[${a}][${b}]`);
      }
    }
  });

  it("bohning step for K = 3 matches the bound solved here", () => {
    const problem = softProblem(40, 2, 3, 31);
    problem.weights = Float64Array.from({ length: 40 }, (_, i) => 1 + (i % 3));
    const { x, n, d, K, weights } = problem;
    const free = K - 1;
    const p = (d + 1) * free;
    const gates = randomGates(d, K, 0.5, 32);
    const gradient = logisticGradient(problem, probabilitiesAt(problem, gates));

    // C = Σ_i w_i x̃_i x̃_iᵀ because the targets sum to 1 per row, and B_(a,k),(b,l) = ½ (δ_kl − 1/K) C_ab.
    const gram = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xTilde = [1, ...Array.from(x.subarray(i * d, i * d + d))];
      for (let a = 0; a <= d; a++) for (let b = 0; b <= d; b++) gram[a][b] += weights![i] * xTilde[a] * xTilde[b];
    }
    const bound = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let a = 0; a <= d; a++) {
      for (let b = 0; b <= d; b++) {
        for (let k = 0; k < free; k++) {
          for (let l = 0; l < free; l++) bound[a * free + k][b * free + l] = 0.5 * ((k === l ? 1 : 0) - 1 / K) * gram[a][b];
        }
      }
    }
    const expected = addStep(gates, solveLinear(bound, Array.from(gradient)), d, K);

    const result = new LogisticSolver(problem).fit(gates, { method: "bohning", maxIterations: 1 });
    for (let t = 0; t < expected.length; t++) assertClose(result.gates[t], expected[t], 1e-10, `gates[${t}]`);
  });
});

describe("objective across steps", () => {
  for (const method of ["newton", "bohning"] as GateStepMethod[]) {
    it(`never decreases with ${method} steps`, () => {
      const problem = softProblem(60, 2, 4, 41);
      const solver = new LogisticSolver(problem);

      // A start far from the maximum, where a full Newton step can overshoot.
      let gates: Float64Array = new Float64Array((problem.d + 1) * problem.K);
      for (let a = 0; a <= problem.d; a++) for (let k = 0; k < problem.K - 1; k++) gates[a * problem.K + k] = 4 * (k + 1) * (a % 2 === 0 ? 1 : -1);
      let previous = logisticObjective(problem, gates);

      for (let step = 0; step < 40; step++) {
        const result = solver.fit(gates, { method, maxIterations: 1 });
        assert.ok(result.objective >= previous, `step ${step}: L went from ${previous} to ${result.objective}`);
        assertClose(logisticObjective(problem, result.gates), result.objective, 1e-9 * Math.abs(result.objective), `reported L at step ${step}`);
        gates = result.gates;
        previous = result.objective;
      }
    });
  }

  it("newton and bohning reach the same maximum", () => {
    const problem = softProblem(60, 2, 4, 51);
    const newton = fitMultinomialLogistic(problem, { method: "newton", maxIterations: 100, tolerance: 1e-15 });
    const bohning = fitMultinomialLogistic(problem, { method: "bohning", maxIterations: 5000, tolerance: 1e-15 });
    assertClose(bohning.objective, newton.objective, 1e-9 * Math.abs(newton.objective), "maximum of L");

    const probabilities = probabilitiesAt(problem, newton.gates);
    const gradient = logisticGradient(problem, probabilities);
    // The objective is flat to rounding once |g| is about 1e-8 (a change of about g² / |H| ≈ 1e-16), so 1e-6 is loose.
    for (let t = 0; t < gradient.length; t++) assertClose(gradient[t], 0, 1e-6, `gradient[${t}] at the Newton maximum`);
  });

  it("a reused Hessian reaches the same maximum", () => {
    const problem = softProblem(200, 3, 4, 61);
    const fresh = fitMultinomialLogistic(problem, { method: "newton", maxIterations: 100, tolerance: 1e-15 });
    const reused = fitMultinomialLogistic(problem, { method: "newton", maxIterations: 100, tolerance: 1e-15, hessianReuse: 3 });
    assertClose(reused.objective, fresh.objective, 1e-10 * Math.abs(fresh.objective), "maximum of L");
    assert.ok(reused.converged, `no convergence in ${reused.iterations} steps`);

    // Step by step from a far start, every step with a three-step-old Hessian, L never decreases.
    const solver = new LogisticSolver(problem);
    let gates: Float64Array = new Float64Array((problem.d + 1) * problem.K);
    for (let a = 0; a <= problem.d; a++) for (let k = 0; k < problem.K - 1; k++) gates[a * problem.K + k] = 3;
    let previous = logisticObjective(problem, gates);
    for (let step = 0; step < 10; step++) {
      const result = solver.fit(gates, { method: "newton", maxIterations: 3, hessianReuse: 3 });
      assert.ok(result.objective >= previous, `step ${step}: L went from ${previous} to ${result.objective}`);
      gates = result.gates;
      previous = result.objective;
    }
  });
});

describe("soft labels and weights", () => {
  const fitOptions = { method: "newton" as const, maxIterations: 200, tolerance: 1e-15 };

  it("weight 2 equals a duplicated row", () => {
    const base = softProblem(15, 2, 3, 61);
    const { n, d, K } = base;
    const weighted: LogisticProblem = { ...base, weights: Float64Array.from({ length: n }, (_, i) => (i === 0 ? 2 : 1)) };

    const x = new Float64Array((n + 1) * d);
    x.set(base.x.subarray(0, d), 0);
    x.set(base.x, d);
    const targets = new Float64Array((n + 1) * K);
    targets.set(base.targets.subarray(0, K), 0);
    targets.set(base.targets, K);
    const duplicated: LogisticProblem = { x, n: n + 1, d, K, targets };

    const a = fitMultinomialLogistic(weighted, fitOptions);
    const b = fitMultinomialLogistic(duplicated, fitOptions);
    assertClose(a.objective, b.objective, 1e-10 * Math.abs(b.objective), "objective");
    for (let t = 0; t < a.gates.length; t++) assertClose(a.gates[t], b.gates[t], 1e-8, `gates[${t}]`);
  });

  it("weight 0 equals a removed row", () => {
    const base = softProblem(15, 2, 3, 62);
    const { n, d, K } = base;
    const weighted: LogisticProblem = { ...base, weights: Float64Array.from({ length: n }, (_, i) => (i === 3 ? 0 : 1)) };
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => i !== 3);
    const removed: LogisticProblem = {
      x: Float64Array.from(keep.flatMap((i) => Array.from(base.x.subarray(i * d, i * d + d)))),
      n: n - 1,
      d,
      K,
      targets: Float64Array.from(keep.flatMap((i) => Array.from(base.targets.subarray(i * K, i * K + K)))),
    };

    const a = fitMultinomialLogistic(weighted, fitOptions);
    const b = fitMultinomialLogistic(removed, fitOptions);
    for (let t = 0; t < a.gates.length; t++) assertClose(a.gates[t], b.gates[t], 1e-8, `gates[${t}]`);
  });

  it("soft labels equal weighted hard labels", () => {
    // Row i with soft labels t_i equals K copies of the row, copy k with the hard label k and weight t_ik.
    const soft = softProblem(15, 2, 3, 63);
    const { n, d, K } = soft;
    const x = new Float64Array(n * K * d);
    const targets = new Float64Array(n * K * K);
    const weights = new Float64Array(n * K);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        const row = i * K + k;
        x.set(soft.x.subarray(i * d, i * d + d), row * d);
        targets[row * K + k] = 1;
        weights[row] = soft.targets[i * K + k];
      }
    }
    const hard: LogisticProblem = { x, n: n * K, d, K, targets, weights };

    const a = fitMultinomialLogistic(soft, fitOptions);
    const b = fitMultinomialLogistic(hard, fitOptions);
    assertClose(a.objective, b.objective, 1e-10 * Math.abs(b.objective), "objective");
    for (let t = 0; t < a.gates.length; t++) assertClose(a.gates[t], b.gates[t], 1e-8, `gates[${t}]`);
  });

  it("targets scaled by 2 equal weight 2", () => {
    const base = softProblem(15, 2, 3, 64);
    const scaled: LogisticProblem = { ...base, targets: base.targets.map((t) => 2 * t) };
    const weighted: LogisticProblem = { ...base, weights: new Float64Array(base.n).fill(2) };

    const a = fitMultinomialLogistic(scaled, fitOptions);
    const b = fitMultinomialLogistic(weighted, fitOptions);
    assertClose(a.objective, b.objective, 1e-10 * Math.abs(b.objective), "objective");
    for (let t = 0; t < a.gates.length; t++) assertClose(a.gates[t], b.gates[t], 1e-8, `gates[${t}]`);
  });
});

describe("recovery of known gates", () => {
  // True gates, (d+1) × K = 3 × 3 flattened row-major, last column 0.
  const trueGates = Float64Array.from([0.5, -0.5, 0, 1.5, -1, 0, -1, 1, 0]);
  const n = 20000;
  const d = 2;
  const K = 3;
  const random = new Random(71);
  const x = Float64Array.from({ length: n * d }, () => random.normal());
  const probabilities = logSoftmaxRows(linearPredictors(trueGates, x, n, d, K), n, K).map(Math.exp);

  it("recovers gates from sampled hard labels", () => {
    const targets = new Float64Array(n * K);
    for (let i = 0; i < n; i++) targets[i * K + random.categorical(probabilities, i * K, K)] = 1;

    // With n = 20 000 the standard errors of the coefficients are about 0.02–0.03 (inverse Fisher information
    // at these gates), so 0.15 is about five standard errors.
    for (const method of ["newton", "bohning"] as GateStepMethod[]) {
      const result = fitMultinomialLogistic({ x, n, d, K, targets }, { method, maxIterations: method === "newton" ? 50 : 2000, tolerance: 1e-13 });
      for (let t = 0; t < trueGates.length; t++) assertClose(result.gates[t], trueGates[t], 0.15, `${method} gates[${t}]`);
    }
  });

  it("recovers gates exactly from the true probabilities", () => {
    // With soft labels t = π(α*) the gradient Σ_i (π_i(α*) − π_i(α)) x̃_i vanishes at α*, the unique maximum.
    const result = fitMultinomialLogistic({ x, n, d, K, targets: probabilities }, { method: "newton", maxIterations: 50, tolerance: 1e-15 });
    for (let t = 0; t < trueGates.length; t++) assertClose(result.gates[t], trueGates[t], 1e-6, `gates[${t}]`);
  });
});
