import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { assignmentCost, solveAssignment } from "../lib/eval/assignment";
import { adjustedRandIndex, clusteringError, contingencyTable, matchLabels, randIndex } from "../lib/eval/clustering";
import { computeTestMetrics } from "../lib/eval/metrics";
import { parameterMse } from "../lib/eval/parameters";
import { modelPredictionErrors, predictionErrors, testLogLikelihood } from "../lib/eval/prediction";
import { permuteExperts } from "../lib/model/canonical";
import { predictLabels } from "../lib/model/density";
import { cloneModel, datasetFromRows, type MoEModel } from "../lib/model/types";
import { Random } from "../lib/random";

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance} but got ${actual}`);
}

/** Lists all permutations of 0..n−1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const result: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let position = 0; position <= rest.length; position++) {
      result.push([...rest.slice(0, position), n - 1, ...rest.slice(position)]);
    }
  }
  return result;
}

/** K = 2, d = 1 model with distinct intercepts, used by the parameter and metric tests. */
function twoExpertModel(): MoEModel {
  return {
    K: 2,
    d: 1,
    features: ["x1"],
    gates: [
      [1, 0],
      [2, 0],
    ],
    experts: [
      [-1, 1],
      [0.5, 0.5],
    ],
    variances: [1, 2],
  };
}

describe("solveAssignment", () => {
  it("finds the minimum of a square matrix", () => {
    // Permutation totals: identity 14, [2,1,0] 10, others 11 or 13.
    const cost = [
      [1, 2, 3],
      [2, 4, 6],
      [3, 6, 9],
    ];
    assert.deepEqual(solveAssignment(cost), [2, 1, 0]);
    assert.equal(assignmentCost(cost, [2, 1, 0]), 10);
  });

  it("assigns every row of a wide matrix", () => {
    assert.deepEqual(solveAssignment([
      [1, 2, 3],
      [2, 4, 6],
    ]), [1, 0]);
  });

  it("leaves rows of a tall matrix unassigned", () => {
    // Pairs of rows: (0,1) costs 4 at best, every other choice costs 5 or more.
    assert.deepEqual(solveAssignment([
      [1, 2],
      [2, 4],
      [3, 6],
    ]), [1, 0, -1]);
  });

  it("matches brute force on random matrices", () => {
    const rng = new Random(7);
    for (let trial = 0; trial < 20; trial++) {
      const size = 2 + (trial % 4);
      const cost = Array.from({ length: size }, () => Array.from({ length: size }, () => rng.integer(-20, 20)));
      const best = Math.min(...permutations(size).map((p) => assignmentCost(cost, p)));
      const assignment = solveAssignment(cost);
      assert.deepEqual([...assignment].sort(), Array.from({ length: size }, (_, k) => k), "not a permutation");
      assert.equal(assignmentCost(cost, assignment), best, `trial ${trial}`);
    }
  });

  it("handles empty and zero-column matrices", () => {
    assert.deepEqual(solveAssignment([]), []);
    assert.deepEqual(solveAssignment([[], []]), [-1, -1]);
  });

  it("rejects ragged rows and NaN", () => {
    assert.throws(() => solveAssignment([[1, 2], [3]]), /row 1 has 1 columns but row 0 has 2/);
    assert.throws(() => solveAssignment([[1, NaN]]), /entry \[0\]\[1\] is NaN/);
  });
});

describe("clustering metrics", () => {
  it("scores a relabeled partition as perfect", () => {
    const truth = [0, 0, 1, 1];
    const predicted = [1, 1, 0, 0];
    assert.equal(adjustedRandIndex(truth, predicted), 1);
    assert.equal(randIndex(truth, predicted), 1);
    assert.equal(clusteringError(truth, predicted), 0);
  });

  it("gives 8/33 and 2/3 on the standard six-point example", () => {
    // Contingency [[2,1,0],[0,1,2]]: Σ C(n_ab,2) = 2, row pairs 6, column pairs 3, T = 15.
    const truth = [0, 0, 0, 1, 1, 1];
    const predicted = [0, 0, 1, 1, 2, 2];
    assertClose(adjustedRandIndex(truth, predicted), 8 / 33, 1e-15, "ARI");
    assertClose(randIndex(truth, predicted), 2 / 3, 1e-15, "RI");
    assertClose(clusteringError(truth, predicted), 1 / 3, 1e-15, "clustering error");
  });

  it("gives 4/7 and 5/6 when one cluster is split", () => {
    // Only the pair (2, 3) disagrees: apart in the truth, together in the prediction.
    const truth = [0, 0, 1, 2];
    const predicted = [0, 0, 1, 1];
    assertClose(adjustedRandIndex(truth, predicted), 4 / 7, 1e-15, "ARI");
    assertClose(adjustedRandIndex(predicted, truth), 4 / 7, 1e-15, "ARI, arguments swapped");
    assertClose(randIndex(truth, predicted), 5 / 6, 1e-15, "RI");
    assertClose(clusteringError(truth, predicted), 1 / 4, 1e-15, "clustering error");
  });

  it("gives a negative ARI for crossed partitions", () => {
    // Σ C(n_ab,2) = 0, row and column pairs 2 each, T = 6: ARI = 2(0 − 4)/(24 − 8).
    assertClose(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5, 1e-15, "ARI");
    assertClose(randIndex([0, 0, 1, 1], [0, 1, 0, 1]), 2 / 6, 1e-15, "RI");
  });

  it("returns 1 for identical degenerate partitions", () => {
    assert.equal(adjustedRandIndex([5, 5, 5], [2, 2, 2]), 1);
    assert.equal(adjustedRandIndex([0, 1, 2], [2, 0, 1]), 1);
    assert.equal(adjustedRandIndex([3], [4]), 1);
    assert.equal(randIndex([3], [4]), 1);
  });

  it("counts unmatched clusters as errors", () => {
    assert.equal(clusteringError([0, 0, 0, 0], [0, 0, 1, 1]), 0.5);
    assert.equal(clusteringError([0, 0, 1, 1], [0, 0, 0, 0]), 0.5);
  });

  it("is zero for any relabeling of random labels", () => {
    const rng = new Random(3);
    const truth = Int32Array.from({ length: 200 }, () => rng.integer(0, 4));
    const relabel = [3, 0, 4, 1, 2];
    const predicted = Int32Array.from(truth, (label) => relabel[label] + 10);
    assert.equal(clusteringError(truth, predicted), 0);
    assert.equal(adjustedRandIndex(truth, predicted), 1);

    const matching = matchLabels(truth, predicted);
    for (let k = 0; k < 5; k++) assert.equal(matching.get(relabel[k] + 10), k);
  });

  it("builds the contingency table with sorted labels", () => {
    const table = contingencyTable([2, 2, -1], [7, 3, 3]);
    assert.deepEqual(table.rowLabels, [-1, 2]);
    assert.deepEqual(table.columnLabels, [3, 7]);
    assert.deepEqual(table.counts, [
      [1, 0],
      [1, 1],
    ]);
  });

  it("rejects mismatched lengths and non-integer labels", () => {
    assert.throws(() => adjustedRandIndex([0, 1], [0]), /different lengths \(2 and 1\)/);
    assert.throws(() => randIndex([0, 0.5], [0, 1]), /non-integer label 0.5 at position 1/);
  });
});

describe("prediction metrics", () => {
  it("computes RPE, RMSE, MAE and Pearson by hand", () => {
    // Residuals 0, −1, 1, 0; Σ y² = 30; centred y and ŷ: (−1.5, −.5, .5, 1.5) and (−1.5, .5, −.5, 1.5).
    const errors = predictionErrors([1, 2, 3, 4], [1, 3, 2, 4]);
    assertClose(errors.rpe, 2 / 30, 1e-15, "RPE");
    assertClose(errors.rmse, Math.sqrt(0.5), 1e-15, "RMSE");
    assertClose(errors.mae, 0.5, 1e-15, "MAE");
    assertClose(errors.pearson, 4 / 5, 1e-15, "Pearson");
  });

  it("returns NaN correlation for constant predictions", () => {
    assert.ok(Number.isNaN(predictionErrors([1, 2], [3, 3]).pearson));
  });

  it("rejects empty and mismatched inputs", () => {
    assert.throws(() => predictionErrors([], []), /empty \(n = 0\)/);
    assert.throws(() => predictionErrors([1, 2], [1]), /2 responses but 1 predictions/);
  });

  it("computes the test log-likelihood by hand", () => {
    // One expert y ~ N(1 + 2x, 4): residuals 0 and 2 at (x, y) = (0, 1) and (1, 5).
    const model: MoEModel = { K: 1, d: 1, features: ["x1"], gates: [[0], [0]], experts: [[1], [2]], variances: [4] };
    const data = datasetFromRows([[0], [1]], [1, 5]);
    const expected = -Math.log(8 * Math.PI) - 4 / 8;

    const result = testLogLikelihood(model, data);
    assertClose(result.sum, expected, 1e-12, "sum");
    assertClose(result.mean, expected / 2, 1e-12, "mean");
  });

  it("uses the gate-weighted mean as prediction", () => {
    // Gates 0 everywhere: π = (½, ½); expert means 0 and 2 at x = 0, and 1 and 5 at x = 1.
    const model: MoEModel = {
      K: 2,
      d: 1,
      features: ["x1"],
      gates: [
        [0, 0],
        [0, 0],
      ],
      experts: [
        [0, 2],
        [1, 3],
      ],
      variances: [1, 1],
    };
    const data = datasetFromRows([[0], [1]], [1, 4]);

    const errors = modelPredictionErrors(model, data);
    assertClose(errors.rmse, Math.sqrt(0.5), 1e-12, "RMSE of ŷ = (1, 3)");
    assertClose(errors.mae, 0.5, 1e-12, "MAE of ŷ = (1, 3)");
  });
});

describe("parameterMse", () => {
  it("is zero for a permuted copy", () => {
    const truth = twoExpertModel();
    const permuted = permuteExperts(truth, [1, 0]);
    const mse = parameterMse(permuted, truth);
    assert.equal(mse.gates, 0);
    assert.equal(mse.experts, 0);
    assert.equal(mse.variances, 0);
    assert.equal(mse.total, 0);
  });

  it("matches a hand computation", () => {
    // Differences 0.3 in one of 2 free gate entries, 0.2 in one of 4 expert entries, 0.4 in one of 2 variances.
    const truth = twoExpertModel();
    const fitted = cloneModel(truth);
    fitted.gates[1][0] += 0.3;
    fitted.experts[0][0] += 0.2;
    fitted.variances[1] += 0.4;

    for (const candidate of [fitted, permuteExperts(fitted, [1, 0])]) {
      const mse = parameterMse(candidate, truth);
      assertClose(mse.gates, 0.09 / 2, 1e-12, "gates");
      assertClose(mse.experts, 0.04 / 4, 1e-12, "experts");
      assertClose(mse.variances, 0.16 / 2, 1e-12, "variances");
      assertClose(mse.total, 0.29 / 8, 1e-12, "total");
    }
  });

  it("matches experts with tied intercepts", () => {
    // Equal intercepts and variances make the canonical order the stored order, so only matching aligns.
    const truth: MoEModel = {
      K: 3,
      d: 1,
      features: ["x1"],
      gates: [
        [0.5, -1, 0],
        [1, 2, 0],
      ],
      experts: [
        [0, 0, 0],
        [-4, 1, 6],
      ],
      variances: [3, 3, 3],
    };
    const permuted = permuteExperts(truth, [2, 0, 1]);
    assert.ok(parameterMse(permuted, truth, "canonical").experts > 1, "canonical order should not align these experts");

    const mse = parameterMse(permuted, truth, "matched");
    assertClose(mse.total, 0, 1e-24, "total");
    assertClose(mse.gates, 0, 1e-24, "gates");
  });

  it("rejects models of different shapes", () => {
    const other = { ...twoExpertModel(), K: 3 };
    assert.throws(() => parameterMse(other, twoExpertModel()), /K = 3, d = 1 but the true model has K = 2, d = 1/);
  });
});

describe("computeTestMetrics", () => {
  const model = twoExpertModel();
  const data = datasetFromRows([[-1], [-0.5], [0], [0.5], [1], [2]], [-2, -1, 0.5, 1, 1.5, 2]);

  it("agrees with the single metrics", () => {
    const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const metrics = computeTestMetrics(model, data, { labels, truth: model, labelRule: "posterior" });
    const predicted = predictLabels(model, data, "posterior");

    assert.equal(metrics.n, 6);
    assert.equal(metrics.logLikelihood, testLogLikelihood(model, data).sum);
    assert.equal(metrics.meanLogLikelihood, metrics.logLikelihood / 6);
    assert.deepEqual(
      [metrics.rpe, metrics.rmse, metrics.mae, metrics.pearson],
      Object.values(modelPredictionErrors(model, data)),
    );
    assert.equal(metrics.adjustedRandIndex, adjustedRandIndex(labels, predicted));
    assert.equal(metrics.randIndex, randIndex(labels, predicted));
    assert.equal(metrics.clusteringError, clusteringError(labels, predicted));
    assert.deepEqual(metrics.parameterMse, { gates: 0, experts: 0, variances: 0, total: 0 });
    assert.equal(metrics.transportDivergence, null);
  });

  it("leaves unavailable metrics null", () => {
    const metrics = computeTestMetrics(model, data);
    assert.equal(metrics.randIndex, null);
    assert.equal(metrics.adjustedRandIndex, null);
    assert.equal(metrics.clusteringError, null);
    assert.equal(metrics.parameterMse, null);
  });

  it("rejects a label vector of the wrong length", () => {
    assert.throws(() => computeTestMetrics(model, data, { labels: [0, 1] }), /2 true labels for 6 test points/);
  });
});
