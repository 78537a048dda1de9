import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { gateProbabilities } from "../lib/model/density";
import type { Dataset } from "../lib/model/types";
import {
  IMBALANCE_PROFILES,
  generateD1,
  generateD2,
  generateD3,
  type ImbalanceDesign,
  type ImbalanceProfile,
} from "../lib/simulate/designs";

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance} but got ${actual}`);
}

/** Share of each label 0..K−1. */
function labelShares(labels: Int32Array, K: number): number[] {
  const counts = new Array<number>(K).fill(0);
  for (const label of labels) counts[label] += 1;
  return counts.map((count) => count / labels.length);
}

/** Column means of an n × K row-major array. */
function columnMeans(values: Float64Array, n: number, K: number): number[] {
  const means = new Array<number>(K).fill(0);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) means[k] += values[i * K + k] / n;
  return means;
}

/** Residuals y_i − β_zᵀx̃_i of each point under the expert of its label. */
function expertResiduals(design: { data: Dataset; labels: Int32Array; truth: { experts: number[][] } }): Float64Array {
  const { data, labels, truth } = design;
  const residuals = new Float64Array(data.n);
  for (let i = 0; i < data.n; i++) {
    let mean = truth.experts[0][labels[i]];
    for (let j = 0; j < data.d; j++) mean += truth.experts[j + 1][labels[i]] * data.x[i * data.d + j];
    residuals[i] = data.y[i] - mean;
  }
  return residuals;
}

/** Bayes posterior P(z = k | x) ∝ π_k exp(−½‖x − μ_k‖²) of row i, computed in log space. */
function bayesPosterior(design: ImbalanceDesign, i: number): number[] {
  const { d } = design.data;
  const logWeights = design.classMeans.map((mean, k) => {
    let squaredDistance = 0;
    for (let j = 0; j < d; j++) squaredDistance += (design.data.x[i * d + j] - mean[j]) ** 2;
    return Math.log(design.proportions[k]) - 0.5 * squaredDistance;
  });
  const max = Math.max(...logWeights);
  const total = logWeights.reduce((sum, value) => sum + Math.exp(value - max), 0);
  return logWeights.map((value) => Math.exp(value - max) / total);
}

describe("design D1", () => {
  const n = 6000;
  const K = 3;
  const d = 4;
  const design = generateD1({ n, K, d, seed: 11 });
  const { truth, data } = design;

  it("draws parameters of the stated form", () => {
    assert.deepEqual(truth.experts[0], [-5, 0, 5]);
    for (let j = 1; j <= d; j++) {
      for (const value of truth.experts[j]) assert.ok(Number.isInteger(value) && value >= -5 && value <= 5, `slope ${value}`);
    }
    for (const variance of truth.variances) assert.ok(variance === 4 || variance === 5, `variance ${variance}`);
    for (const row of truth.gates) {
      assert.equal(row[K - 1], 0);
      for (const value of row) assert.ok(Number.isInteger(value) && value >= -5 && value <= 5, `gate ${value}`);
    }
    for (const mean of design.clusterMeans.flat()) assert.ok(Number.isInteger(mean) && mean >= -4 && mean <= 4, `cluster mean ${mean}`);
  });

  it("standardizes the covariates", () => {
    for (let j = 0; j < d; j++) {
      let mean = 0;
      let squares = 0;
      for (let i = 0; i < n; i++) {
        mean += data.x[i * d + j] / n;
        squares += data.x[i * d + j] ** 2 / n;
      }
      assertClose(mean, 0, 1e-12, `column ${j} mean`);
      assertClose(squares - mean * mean, 1, 1e-12, `column ${j} variance`);
    }
  });

  it("draws equal-size clusters with 4^−|i−j| correlation", () => {
    assert.deepEqual(labelShares(design.clusters, K), [1 / 3, 1 / 3, 1 / 3]);

    // Standardizing scales columns, so within-cluster correlations stay ρ^|i−j| = 1/4 and 1/16.
    const rows = Array.from({ length: n }, (_, i) => i).filter((i) => design.clusters[i] === 0);
    const correlation = (a: number, b: number): number => {
      const va = rows.map((i) => data.x[i * d + a]);
      const vb = rows.map((i) => data.x[i * d + b]);
      const ma = va.reduce((s, v) => s + v, 0) / va.length;
      const mb = vb.reduce((s, v) => s + v, 0) / vb.length;
      let cov = 0;
      let sa = 0;
      let sb = 0;
      for (let r = 0; r < va.length; r++) {
        cov += (va[r] - ma) * (vb[r] - mb);
        sa += (va[r] - ma) ** 2;
        sb += (vb[r] - mb) ** 2;
      }
      return cov / Math.sqrt(sa * sb);
    };
    const tolerance = 4 / Math.sqrt(rows.length);
    assertClose(correlation(0, 1), 0.25, tolerance, "lag-1 correlation");
    assertClose(correlation(1, 3), 0.0625, tolerance, "lag-2 correlation");
  });

  it("draws labels from the true gate", () => {
    const meanGate = columnMeans(gateProbabilities(truth, data.x, n), n, K);
    const shares = labelShares(design.labels, K);
    for (let k = 0; k < K; k++) {
      assertClose(shares[k], meanGate[k], 4 * Math.sqrt(meanGate[k] * (1 - meanGate[k]) / n), `label ${k} share`);
    }
  });

  it("draws responses with the expert variances", () => {
    const residuals = expertResiduals(design);
    for (let k = 0; k < K; k++) {
      const own = residuals.filter((_, i) => design.labels[i] === k);
      const variance = own.reduce((s, r) => s + r * r, 0) / own.length;
      const sigma2 = truth.variances[k];
      assertClose(variance, sigma2, 4 * sigma2 * Math.sqrt(2 / own.length), `expert ${k} residual variance`);
    }
  });

  it("reproduces a draw from its seed", () => {
    const again = generateD1({ n, K, d, seed: 11 });
    assert.deepEqual(again.data.y, data.y);
    assert.deepEqual(again.truth, truth);
    assert.notDeepEqual(generateD1({ n, K, d, seed: 12 }).data.y, data.y);
  });

  it("rejects invalid options", () => {
    assert.throws(() => generateD1({ n: 1, K, d, seed: 1 }), /n must be an integer ≥ 2 but got 1/);
    assert.throws(() => generateD1({ n, K: 0, d, seed: 1 }), /K must be an integer ≥ 1 but got 0/);
    assert.throws(() => generateD1({ n, K, d: 2.5, seed: 1 }), /d must be an integer ≥ 1 but got 2.5/);
  });
});

describe("design D2", () => {
  const n = 20000;

  for (const profile of Object.keys(IMBALANCE_PROFILES) as ImbalanceProfile[]) {
    it(`matches the ${profile} class shares`, () => {
      const design = generateD2({ n, profile, seed: `d2-${profile}` });
      const shares = labelShares(design.labels, 5);
      const meanGate = columnMeans(gateProbabilities(design.truth, design.data.x, n), n, 5);

      IMBALANCE_PROFILES[profile].forEach((p, k) => {
        const tolerance = 4 * Math.sqrt((p * (1 - p)) / n);
        assertClose(shares[k], p, tolerance, `class ${k} share`);
        assertClose(meanGate[k], p, tolerance, `class ${k} mean gate probability`);
      });
    });
  }

  const design = generateD2({ n: 2000, profile: "severe", seed: 5 });
  const { truth } = design;

  it("has gates equal to the Bayes posterior", () => {
    const gates = gateProbabilities(truth, design.data.x, design.data.n);
    for (const i of [0, 1, 17, 999, 1999]) {
      const posterior = bayesPosterior(design, i);
      for (let k = 0; k < 5; k++) assertClose(gates[i * 5 + k], posterior[k], 1e-10, `row ${i}, class ${k}`);
    }
  });

  it("draws parameters of the stated form", () => {
    assert.equal(truth.K, 5);
    assert.equal(truth.d, 20);
    assert.deepEqual(truth.experts[0], [0, 0, 0, 0, 0]);
    assert.deepEqual(truth.variances, [3, 3, 3, 3, 3]);
    for (let k = 0; k < 5; k++) {
      let squaredDistance = 0;
      for (let j = 1; j <= 20; j++) {
        const slope = truth.experts[j][k];
        assert.ok(Number.isInteger(slope), `slope ${slope} not an integer`);
        assert.ok(Math.abs(slope) <= 10, `slope ${slope} outside [−10, 10]`);
        if (k > 0) squaredDistance += (slope - truth.experts[j][k - 1]) ** 2;
      }
      if (k > 0) assert.ok(Math.sqrt(squaredDistance) >= 2, `experts ${k - 1} and ${k} too close`);
    }
    for (const value of design.classMeans.flat()) {
      const multiple = value / 0.28;
      assertClose(multiple, Math.round(multiple), 1e-12, `class mean ${value} as a multiple of 0.28`);
      assert.ok(Math.abs(Math.round(multiple)) <= 2, `class mean ${value}`);
    }
    for (const row of truth.gates) assert.equal(row[4], 0);
  });

  it("draws responses with variance 3", () => {
    const residuals = expertResiduals(design);
    const variance = residuals.reduce((s, r) => s + r * r, 0) / residuals.length;
    assertClose(variance, 3, 4 * 3 * Math.sqrt(2 / residuals.length), "residual variance");
  });

  it("keeps the truth under a fixed parameter seed", () => {
    const first = generateD2({ n: 50, seed: 1, parameterSeed: 99 });
    const second = generateD2({ n: 50, seed: 2, parameterSeed: 99 });
    assert.deepEqual(first.truth, second.truth);
    assert.notDeepEqual(first.data.x, second.data.x);
    assert.notDeepEqual(generateD2({ n: 50, seed: 1 }).truth, generateD2({ n: 50, seed: 2 }).truth);
  });

  it("rejects an unknown profile", () => {
    assert.throws(() => generateD2({ n: 10, seed: 1, profile: "extreme" as ImbalanceProfile }), /Unknown imbalance profile "extreme"/);
  });
});

describe("design D3", () => {
  const design = generateD3({ n: 16 * 1500 + 3, profile: "moderate", seed: 8, parameterSeed: 4 });

  it("gives each machine experts s, s+1, s+2 mod 5", () => {
    assert.equal(design.machines.length, 16);
    design.machines.forEach((machine, m) => {
      const s = m % 5;
      assert.deepEqual(machine.experts, [s, (s + 1) % 5, (s + 2) % 5]);
      for (const label of machine.labels) assert.ok(machine.experts.includes(label), `machine ${m} has label ${label}`);
      assert.equal(machine.data.n, m < 3 ? 1501 : 1500);
    });
  });

  it("renormalises the proportions on each machine", () => {
    // Machines 3 and 8 both see experts 3, 4, 0, so their labels pool into one sample of 3000.
    const pooled = new Int32Array([...design.machines[3].labels, ...design.machines[8].labels]);
    const shares = labelShares(pooled, 5);
    const proportions = IMBALANCE_PROFILES.moderate;
    const total = proportions[3] + proportions[4] + proportions[0];
    for (const k of [3, 4, 0]) {
      const p = proportions[k] / total;
      assertClose(shares[k], p, 4 * Math.sqrt((p * (1 - p)) / pooled.length), `expert ${k} share`);
    }
  });

  it("shares the D2 truth and class means", () => {
    const d2 = generateD2({ n: 10, profile: "moderate", seed: 0, parameterSeed: 4 });
    assert.deepEqual(design.truth, d2.truth);
    assert.deepEqual(design.classMeans, d2.classMeans);
  });

  it("draws covariates around the class means", () => {
    // Mean of x_j − μ_zj over one machine: 0 ± 4/√n_m.
    const machine = design.machines[0];
    const { n, d, x } = machine.data;
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += (x[i * d + j] - design.classMeans[machine.labels[i]][j]) / n;
      assertClose(mean, 0, 4 / Math.sqrt(n), `covariate ${j}`);
    }
  });

  it("rejects fewer points than machines", () => {
    assert.throws(() => generateD3({ n: 10, machines: 16, seed: 1 }), /n must be an integer ≥ 16 but got 10/);
  });
});
