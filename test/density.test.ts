import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { canonicalize, canonicalOrder, permuteExperts } from "../lib/model/canonical";
import {
  evaluate,
  gateProbabilities,
  linearPredictors,
  logGateProbabilities,
  logLikelihood,
  predictLabels,
  predictMean,
  responsibilities,
} from "../lib/model/density";
import { datasetFromRows, type MoEModel } from "../lib/model/types";
import { Random } from "../lib/random";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance} but got ${actual}`);
}

/**
 * K = 2, d = 1 model whose numbers come out round by hand:
 *   gates   η_1(x) = ln 3 + ln 3 · x, η_2 = 0, so π_1(0) = 3/4, π_1(1) = 9/10, π_1(−1) = 1/2;
 *   experts μ_1(x) = x, μ_2(x) = 2 − x;
 *   variances σ_1² = 1, σ_2² = 4.
 */
function handModel(): MoEModel {
  return {
    K: 2,
    d: 1,
    features: ["x"],
    gates: [
      [Math.log(3), 0],
      [Math.log(3), 0],
    ],
    experts: [
      [0, 2],
      [1, -1],
    ],
    variances: [1, 4],
  };
}

/** Builds the three points of the hand computations: (x, y) = (1, 3), (0, 2.5), (−1, −1). */
function handData() {
  return datasetFromRows([[1], [0], [-1]], [3, 2.5, -1], ["x"]);
}

/** K = 3, d = 2 model with arbitrary non-round values, for the invariance tests. */
function threeExpertModel(): MoEModel {
  return {
    K: 3,
    d: 2,
    features: ["x1", "x2"],
    gates: [
      [0.4, -1.3, 0],
      [1.7, 0.2, 0],
      [-0.6, 0.9, 0],
    ],
    experts: [
      [2.5, -1.5, 0.3],
      [1.1, -0.4, 2.2],
      [-0.7, 1.9, 0.5],
    ],
    variances: [0.8, 1.6, 0.3],
  };
}

function randomData(n: number, seed: number) {
  const random = new Random(seed);
  const rows = Array.from({ length: n }, () => [2 * random.normal(), 2 * random.normal()]);
  const y = Array.from({ length: n }, () => 3 * random.normal());
  return datasetFromRows(rows, y, ["x1", "x2"]);
}

describe("linearPredictors", () => {
  it("matches a hand computation for two rows and three columns", () => {
    // η_ik = c_0k + x_i1 c_1k + x_i2 c_2k with c = [[1, 0, −1], [2, 1, 0], [0, 3, 1]] (rows: intercept, x_1, x_2).
    const coef = Float64Array.from([1, 0, -1, 2, 1, 0, 0, 3, 1]);
    const x = Float64Array.from([1, 2, -1, 0.5]);
    assert.deepEqual(Array.from(linearPredictors(coef, x, 2, 2, 3)), [3, 7, 1, -1, 0.5, -0.5]);
  });

  it("equals a plain loop bit for bit", () => {
    const random = new Random(5);
    for (const [n, d, K] of [[1, 1, 1], [2, 0, 3], [3, 4, 1], [7, 3, 5], [8, 6, 4], [9, 20, 13]]) {
      const x = Float64Array.from({ length: n * d }, () => random.normal());
      const coef = Float64Array.from({ length: (d + 1) * K }, () => random.normal());
      const expected = new Float64Array(n * K);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < K; k++) {
          let sum = coef[k];
          for (let j = 0; j < d; j++) sum += x[i * d + j] * coef[(j + 1) * K + k];
          expected[i * K + k] = sum;
        }
      }
      assert.deepEqual(linearPredictors(coef, x, n, d, K), expected, `n = ${n}, d = ${d}, K = ${K}`);
    }
  });
});

describe("gate probabilities", () => {
  it("match the softmax worked by hand for K = 2", () => {
    const x = Float64Array.from([0, 1, -1]);
    const pi = gateProbabilities(handModel(), x, 3);

    // x = 0: exp(ln 3) / (exp(ln 3) + 1) = 3/4.
    assertClose(pi[0], 0.75, 1e-15, "π_1(0)");
    assertClose(pi[1], 0.25, 1e-15, "π_2(0)");
    // x = 1: exp(2 ln 3) / (9 + 1) = 9/10.
    assertClose(pi[2], 0.9, 1e-15, "π_1(1)");
    assertClose(pi[3], 0.1, 1e-15, "π_2(1)");
    // x = −1: η_1 = 0 = η_2, so 1/2 each.
    assertClose(pi[4], 0.5, 1e-15, "π_1(−1)");
    assertClose(pi[5], 0.5, 1e-15, "π_2(−1)");
  });

  it("stay finite for linear predictors of 1000", () => {
    const model = handModel();
    model.gates = [
      [1000, 0],
      [0, 0],
    ];
    const logPi = logGateProbabilities(model, Float64Array.from([0]), 1);

    // log π_1 = 1000 − log(e^1000 + 1) = −log(1 + e^−1000), which is 0 in float64, and log π_2 = −1000 up to the same rounding.
    assertClose(logPi[0], 0, 1e-15, "log π_1");
    assertClose(logPi[1], -1000, 1e-12, "log π_2");
  });
});

describe("log-density", () => {
  it("matches the hand computation at three points", () => {
    const { logDensity, logLikelihood: total } = evaluate(handModel(), handData());

    // (1, 3): both experts have mean 1, residual 2.
    //   log f = −½ log 2π + log(0.9 e^(−4/2) + 0.1 · ½ · e^(−4/8)) = −½ log 2π + log(0.9 e^−2 + 0.05 e^−0.5) ≈ −2.8019696
    const first = -HALF_LOG_2PI + Math.log(0.9 * Math.exp(-2) + 0.05 * Math.exp(-0.5));
    assertClose(first, -2.80196964797491, 1e-12, "hand value at (1, 3)");
    assertClose(logDensity[0], first, 1e-12, "log f(3 | 1)");

    // (0, 2.5): means 0 and 2, residuals 2.5 and 0.5.
    //   log f = −½ log 2π + log(0.75 e^(−3.125) + 0.25 · ½ · e^(−0.03125))
    const second = -HALF_LOG_2PI + Math.log(0.75 * Math.exp(-3.125) + 0.125 * Math.exp(-0.03125));
    assertClose(logDensity[1], second, 1e-12, "log f(2.5 | 0)");

    // (−1, −1): means −1 and 3, residuals 0 and −4.
    //   log f = −½ log 2π + log(0.5 + 0.5 · ½ · e^(−16/8)) = −½ log 2π + log 0.5 + log(1 + e^−2 / 2)
    const third = -HALF_LOG_2PI + Math.log(0.5) + Math.log(1 + Math.exp(-2) / 2);
    assertClose(logDensity[2], third, 1e-12, "log f(−1 | −1)");

    assertClose(total, first + second + third, 1e-12, "log-likelihood");
    assertClose(logLikelihood(handModel(), handData()), first + second + third, 1e-12, "logLikelihood()");
  });

  it("stays finite far in the tail", () => {
    const data = datasetFromRows([[1]], [1e4], ["x"]);
    const value = evaluate(handModel(), data).logDensity[0];

    // Both experts have residual 9999, and expert 2 (σ² = 4) dominates by a factor e^(9999²·3/8), so
    //   log f = log 0.1 − ½ log 2π − log 2 − 9999²/8 up to a relative 1e-15.
    const expected = Math.log(0.1) - HALF_LOG_2PI - Math.log(2) - (9999 * 9999) / 8;
    assert.ok(Number.isFinite(value), `log f is ${value}`);
    assertClose(value, expected, 1e-15 * Math.abs(expected) * 10, "tail log f");
  });
});

describe("responsibilities", () => {
  it("match the hand computation", () => {
    const tau = responsibilities(handModel(), handData());

    // (1, 3): τ_1 = 0.9 e^−2 / (0.9 e^−2 + 0.05 e^−0.5) = 0.9 / (0.9 + 0.05 e^1.5) ≈ 0.80065159
    assertClose(tau[0], 0.9 / (0.9 + 0.05 * Math.exp(1.5)), 1e-14, "τ_1 at (1, 3)");
    assertClose(tau[0], 0.8006515855496319, 1e-14, "τ_1 at (1, 3), decimal");
    // (0, 2.5): τ_1 = 0.75 e^−3.125 / (0.75 e^−3.125 + 0.125 e^−0.03125) = 1 / (1 + e^3.09375 / 6) ≈ 0.21383020
    assertClose(tau[2], 0.21383020449464218, 1e-14, "τ_1 at (0, 2.5)");
    // (−1, −1): τ_1 = 0.5 / (0.5 + 0.25 e^−2) = 1 / (1 + e^−2 / 2) ≈ 0.93662106
    assertClose(tau[4], 0.9366210616669624, 1e-14, "τ_1 at (−1, −1)");

    for (let i = 0; i < 3; i++) assertClose(tau[2 * i] + tau[2 * i + 1], 1, 1e-15, `row ${i} sum`);
  });
});

describe("predictMean", () => {
  it("is the gate-weighted mean of the experts", () => {
    const mean = predictMean(handModel(), Float64Array.from([1, 0, -1]), 3);

    // x = 1: 0.9 · 1 + 0.1 · 1 = 1.  x = 0: 0.75 · 0 + 0.25 · 2 = 0.5.  x = −1: 0.5 · (−1) + 0.5 · 3 = 1.
    assertClose(mean[0], 1, 1e-15, "ŷ(1)");
    assertClose(mean[1], 0.5, 1e-15, "ŷ(0)");
    assertClose(mean[2], 1, 1e-15, "ŷ(−1)");
  });
});

describe("predictLabels", () => {
  it("differs between gate and posterior rules", () => {
    const data = handData();

    // Gate MAP: π_1 = 0.9, 0.75 and the tie 0.5 = 0.5, which goes to the lowest index.
    assert.deepEqual(Array.from(predictLabels(handModel(), data, "gate")), [0, 0, 0]);
    assert.deepEqual(Array.from(predictLabels(handModel(), data)), [0, 0, 0], "gate is the default rule");

    // Posterior MAP: τ_1 ≈ 0.80, 0.21, 0.94 (see the responsibilities test), so the second point goes to expert 2.
    assert.deepEqual(Array.from(predictLabels(handModel(), data, "posterior")), [0, 1, 0]);
  });
});

describe("permuteExperts", () => {
  const model = threeExpertModel();
  const data = randomData(50, 7);
  const order = [2, 0, 1];
  const permuted = permuteExperts(model, order);
  const K = 3;

  it("keeps the last gate column at 0", () => {
    for (let j = 0; j <= model.d; j++) assert.equal(permuted.gates[j][K - 1], 0, `gates[${j}][${K - 1}]`);
  });

  it("moves experts and variances", () => {
    for (let k = 0; k < K; k++) {
      assert.equal(permuted.variances[k], model.variances[order[k]], `variance ${k}`);
      for (let j = 0; j <= model.d; j++) assert.equal(permuted.experts[j][k], model.experts[j][order[k]], `experts[${j}][${k}]`);
    }
  });

  it("changes no log-density", () => {
    const before = evaluate(model, data).logDensity;
    const after = evaluate(permuted, data).logDensity;
    for (let i = 0; i < data.n; i++) assertClose(after[i], before[i], 1e-12, `log f at row ${i}`);
  });

  it("changes no predicted mean", () => {
    const before = predictMean(model, data.x, data.n);
    const after = predictMean(permuted, data.x, data.n);
    for (let i = 0; i < data.n; i++) assertClose(after[i], before[i], 1e-12, `ŷ at row ${i}`);
  });

  it("permutes gates, responsibilities and labels", () => {
    const piBefore = gateProbabilities(model, data.x, data.n);
    const piAfter = gateProbabilities(permuted, data.x, data.n);
    const tauBefore = responsibilities(model, data);
    const tauAfter = responsibilities(permuted, data);
    for (let i = 0; i < data.n; i++) {
      for (let k = 0; k < K; k++) {
        assertClose(piAfter[i * K + k], piBefore[i * K + order[k]], 1e-12, `π at row ${i}, expert ${k}`);
        assertClose(tauAfter[i * K + k], tauBefore[i * K + order[k]], 1e-12, `τ at row ${i}, expert ${k}`);
      }
    }

    // New expert k is old expert order[k], so an old label l becomes the k with order[k] = l.
    const inverse = [1, 2, 0];
    const labelsBefore = predictLabels(model, data, "posterior");
    const labelsAfter = predictLabels(permuted, data, "posterior");
    for (let i = 0; i < data.n; i++) assert.equal(labelsAfter[i], inverse[labelsBefore[i]], `posterior label at row ${i}`);
  });

  it("rejects a non-permutation", () => {
    assert.throws(() => permuteExperts(model, [0, 0, 1]), /permutation of 0\.\.2/);
    assert.throws(() => permuteExperts(model, [0, 1]), /permutation of 0\.\.2/);
  });
});

describe("canonicalize", () => {
  /** Intercepts 3, −1, 3: the tie between experts 0 and 2 is broken by variance (2 > 1). */
  function tiedModel(): MoEModel {
    return {
      K: 3,
      d: 1,
      features: ["x"],
      gates: [
        [0.5, -2, 0],
        [1.5, 0.25, 0],
      ],
      experts: [
        [3, -1, 3],
        [1, 2, -4],
      ],
      variances: [2, 5, 1],
    };
  }

  it("sorts by intercept, ties by variance", () => {
    const model = tiedModel();
    assert.deepEqual(canonicalOrder(model), [1, 2, 0]);

    const canonical = canonicalize(model);
    assert.deepEqual(canonical.experts, [
      [-1, 3, 3],
      [2, -4, 1],
    ]);
    assert.deepEqual(canonical.variances, [5, 1, 2]);
  });

  it("re-anchors gates on the new last expert", () => {
    const canonical = canonicalize(tiedModel());

    // The new order is (old 1, old 2, old 0), so old column 0 = (0.5, 1.5) is subtracted from each column:
    //   old 1: (−2 − 0.5, 0.25 − 1.5) = (−2.5, −1.25),  old 2: (0 − 0.5, 0 − 1.5) = (−0.5, −1.5),  old 0: (0, 0).
    assert.deepEqual(canonical.gates, [
      [-2.5, -0.5, 0],
      [-1.25, -1.5, 0],
    ]);
  });

  it("changes no log-likelihood", () => {
    const model = tiedModel();
    const data = datasetFromRows([[-1], [0], [0.5], [2]], [1, -2, 3.5, 0], ["x"]);
    assertClose(logLikelihood(canonicalize(model), data), logLikelihood(model, data), 1e-12, "log-likelihood");
  });

  it("is idempotent", () => {
    const once = canonicalize(threeExpertModel());
    assert.deepEqual(canonicalize(once), once);
  });
});
