import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";

import { alignedAverage } from "../lib/aggregate/aligned-average";
import { gaussianKL } from "../lib/aggregate/cost";
import { transportDivergence } from "../lib/aggregate/divergence";
import { fitReducedGates, gateStartFromPlan } from "../lib/aggregate/gates";
import { greedyMerge, mergeGreedily } from "../lib/aggregate/greedy-merge";
import { medoid } from "../lib/aggregate/medoid";
import { cloneReduced, reducedFromModel, reducedMeansAtSupport, stackLocalModels, type StackedMixture } from "../lib/aggregate/mixture";
import { runTransportMM } from "../lib/aggregate/mm";
import { assignPlan, createPlan, planFromGroups, planObjective, type TransportPlan } from "../lib/aggregate/plan";
import { reduceLocalModels, type StartName } from "../lib/aggregate/reduce";
import { randomGroupingStart } from "../lib/aggregate/starts";
import type { LocalModel, ReducedExperts } from "../lib/aggregate/types";
import { createUpdateWorkspace, updateExperts } from "../lib/aggregate/update";
import { readSupportPoints } from "../lib/aggregate/validate";
import { weightedAverage } from "../lib/aggregate/weighted-average";
import { canonicalize, permuteExperts } from "../lib/model/canonical";
import { sampleStandardNormal } from "../lib/model/sample";
import type { Dataset, MoEModel } from "../lib/model/types";
import { Random } from "../lib/random";

function assertClose(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: expected ${expected} ± ${tolerance} but got ${actual}`);
}

/** Asserts |actual − expected| ≤ tolerance entry by entry for two (d+1) × K arrays. */
function assertMatrixClose(actual: number[][], expected: number[][], tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: row count`);
  for (let j = 0; j < expected.length; j++) {
    assert.equal(actual[j].length, expected[j].length, `${label}: length of row ${j}`);
    for (let k = 0; k < expected[j].length; k++) assertClose(actual[j][k], expected[j][k], tolerance, `${label}[${j}][${k}]`);
  }
}

function assertModelClose(actual: MoEModel, expected: MoEModel, tolerance: { experts: number; gates: number }, label: string): void {
  assert.equal(actual.K, expected.K, `${label}: K`);
  assertMatrixClose(actual.experts, expected.experts, tolerance.experts, `${label} experts`);
  assertMatrixClose(actual.gates, expected.gates, tolerance.gates, `${label} gates`);
  actual.variances.forEach((variance, k) => assertClose(variance, expected.variances[k], tolerance.experts, `${label} variance ${k}`));
}

/** Largest absolute entry-wise difference between the experts of two models with the same shape. */
function maxExpertDifference(a: MoEModel, b: MoEModel): number {
  let max = 0;
  a.experts.forEach((row, j) => row.forEach((value, k) => (max = Math.max(max, Math.abs(value - b.experts[j][k])))));
  return max;
}

/** Locates the shared reference fixtures from the repository root, or at their usual place. */
function fixturesFolder(): string {
  const nearby = resolve(process.cwd(), "../shared/fixtures");
  return existsSync(nearby) ? nearby : "/work/shared/fixtures";
}

const FEATURES = ["x1", "x2", "x3"];

/** The four local models and the support points of the ot-small fixture (neutral JSON and a CSV with a header). */
function readOtFixture(): { localModels: LocalModel[]; support: Float64Array; expected: { objective: number; experts: number[][]; variances: number[]; gates: number[][] } } {
  const folder = resolve(fixturesFolder(), "ot-small");
  const localModels = [1, 2, 3, 4].map((m) => {
    const json = JSON.parse(readFileSync(resolve(folder, `local_${m}.json`), "utf8"));
    const model: MoEModel = { K: json.variances.length, d: 3, features: FEATURES.slice(), gates: json.gates, experts: json.experts, variances: json.variances };
    return { model, n: json.n as number };
  });

  const lines = readFileSync(resolve(folder, "support.csv"), "utf8").trim().split("\n");
  assert.deepEqual(lines[0].split(","), FEATURES, "support.csv header");
  const support = Float64Array.from(lines.slice(1).flatMap((line) => line.split(",").map(Number)));

  const expected = JSON.parse(readFileSync(resolve(folder, "expected.json"), "utf8"));
  return { localModels, support, expected };
}

/** A 3-expert model with d = 2 and well separated experts. */
const TRUTH: MoEModel = {
  K: 3,
  d: 2,
  features: ["a", "b"],
  gates: [
    [0.5, -0.3, 0],
    [1.5, -1, 0],
    [-1, 2, 0],
  ],
  experts: [
    [-4, 0, 4],
    [1, -2, 0.5],
    [2, 1, -3],
  ],
  variances: [1, 0.5, 2],
};

/** Copies a model with N(0, sd²) noise on every gate and expert coefficient and on the log variances. */
function noisyCopy(model: MoEModel, sd: number, random: Random): MoEModel {
  const K = model.K;
  return {
    ...model,
    features: model.features.slice(),
    gates: model.gates.map((row) => row.map((value, k) => (k < K - 1 ? value + sd * random.normal() : 0))),
    experts: model.experts.map((row) => row.map((value) => value + sd * random.normal())),
    variances: model.variances.map((value) => value * Math.exp(sd * random.normal())),
  };
}

function standardNormalSupport(S: number, d: number, seed: number): Float64Array {
  return sampleStandardNormal(S, d, new Random(seed));
}

function mixtureOf(localModels: LocalModel[], support: Float64Array, d: number, features: string[]): StackedMixture {
  return stackLocalModels(localModels, readSupportPoints(support, d, features));
}

describe("OT reduction on the ot-small fixture", () => {
  const { localModels, support, expected } = readOtFixture();
  const result = reduceLocalModels(localModels, support, 3);

  it("reaches the expected objective", () => {
    // Tolerance 1e-6 on the mean over support points, as the fixture states.
    assertClose(result.diagnostics.objective, expected.objective, 1e-6, "objective T");
    assert.deepEqual(result.diagnostics.errors, []);
    assert.equal(result.diagnostics.converged, true);
  });

  it("matches the expected parameters", () => {
    // Experts and variances are exact minimizers of the same plan, so 1e-8 is rounding plus margin. Gates come
    // from an iterative Newton fit stopped at a relative change of 1e-10, so they get 1e-6.
    assertModelClose(result.model, { ...result.model, experts: expected.experts, gates: expected.gates, variances: expected.variances }, { experts: 1e-8, gates: 1e-6 }, "reduced model");
  });

  it("reports mass shares and tries", () => {
    const totalMass = result.diagnostics.massPerExpert.reduce((sum, value) => sum + value, 0);
    assertClose(totalMass, 1, 1e-12, "sum of mass shares");
    assert.deepEqual(result.diagnostics.emptyExperts, []);
    assert.deepEqual(result.diagnostics.tries.map((t) => t.start), ["kmeans", "aligned"]);
    assert.equal(result.diagnostics.objectivePerIteration.length, result.diagnostics.iterations + 1);
  });

  it("treats a support dataset with NaN responses as covariates only", () => {
    // `otmoe aggregate` and Gaussian support points pass responses that are all NaN.
    const S = support.length / 3;
    const dataset = { n: S, d: 3, features: FEATURES, x: support, y: new Float64Array(S).fill(NaN) };
    const fromDataset = reduceLocalModels(localModels, dataset, 3);
    assert.equal(fromDataset.diagnostics.objective, result.diagnostics.objective);
    assert.deepEqual(fromDataset.model.experts, result.model.experts);
    assert.throws(() => reduceLocalModels(localModels, dataset, 3, { gating: "posterior" }), /respons/);
  });

  it("gives the same optimum from every start", () => {
    for (const start of ["kmeans", "aligned", "greedy", "random"] as const) {
      const single = reduceLocalModels(localModels, support, 3, { starts: [start], seed: 3 });
      assertClose(single.diagnostics.objective, expected.objective, 1e-6, `objective from start "${start}"`);
    }
  });
});

describe("OT reduction invariances", () => {
  const random = new Random(11);
  const support = standardNormalSupport(300, 2, 5);

  it("identical local models aggregate to that model", () => {
    const localModels = [1000, 2500, 400].map((n) => ({ model: TRUTH, n }));
    const result = reduceLocalModels(localModels, support, 3);

    assertModelClose(result.model, canonicalize(TRUTH), { experts: 1e-10, gates: 1e-6 }, "aggregate of identical models");
    assertClose(result.diagnostics.objective, 0, 1e-12, "objective T");
  });

  it("K = L reports no rise of T from 0", () => {
    // Every local expert becomes a reduced expert, so T = 0, and rounding must not be reported as a rise.
    const localModels = [0, 1].map(() => ({ model: noisyCopy(TRUTH, 0.3, random), n: 500 }));
    const result = reduceLocalModels(localModels, support, 6, { starts: ["kmeans"] });

    assertClose(result.diagnostics.objective, 0, 1e-12, "objective T");
    assert.deepEqual(result.diagnostics.errors, []);
  });

  it("a single machine aggregates to its own model", () => {
    const local = noisyCopy(TRUTH, 0.2, random);
    const result = reduceLocalModels([{ model: local, n: 500 }], support, 3);

    assertModelClose(result.model, canonicalize(local), { experts: 1e-10, gates: 1e-6 }, "aggregate of one machine");
  });

  it("permuting local experts changes nothing", () => {
    const localModels = [0, 1, 2, 3].map(() => ({ model: noisyCopy(TRUTH, 0.1, random), n: 800 }));
    const permuted = localModels.map((local, m) => ({ model: permuteExperts(local.model, [[2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0]][m]), n: local.n }));

    // Re-anchoring the gates of a permuted model subtracts another column, which changes the last bits only.
    const original = reduceLocalModels(localModels, support, 3);
    const shuffled = reduceLocalModels(permuted, support, 3);
    assertModelClose(shuffled.model, original.model, { experts: 1e-10, gates: 1e-8 }, "aggregate of permuted local models");
    assertClose(shuffled.diagnostics.objective, original.diagnostics.objective, 1e-14, "objective T");
  });

  it("helper threads give the same result", () => {
    const localModels = [0, 1, 2, 3, 4].map(() => ({ model: noisyCopy(TRUTH, 0.3, random), n: 600 }));
    const options = { starts: ["kmeans", "aligned", "random", "random"] as StartName[], seed: 4 };

    // Three helper threads take the last three tries, the calling thread the first.
    const single = reduceLocalModels(localModels, support, 3, { ...options, threads: 1 });
    const threaded = reduceLocalModels(localModels, support, 3, { ...options, threads: 4 });
    assert.deepEqual(threaded.model, single.model);
    assert.deepEqual(threaded.diagnostics.tries, single.diagnostics.tries);
    assert.deepEqual(threaded.diagnostics.objectivePerIteration, single.diagnostics.objectivePerIteration);
  });

  it("weighted averaging in raw order breaks on permuted copies", () => {
    // Two copies of one model with their experts labelled differently: the OT reduction recovers the model,
    // while averaging position by position mixes expert 0 of one copy with expert 2 of the other.
    const localModels = [
      { model: TRUTH, n: 1000 },
      { model: permuteExperts(TRUTH, [2, 0, 1]), n: 1000 },
    ];

    const raw = weightedAverage(localModels, support, 3, { order: "raw" });
    assert.ok(maxExpertDifference(raw.model, canonicalize(TRUTH)) > 1, "raw-order average should differ from the model by more than 1");
    assert.ok(raw.diagnostics.objective > 0.1, `raw-order average has T = ${raw.diagnostics.objective}, expected a large transport cost`);

    const reduced = reduceLocalModels(localModels, support, 3);
    assertModelClose(reduced.model, canonicalize(TRUTH), { experts: 1e-10, gates: 1e-6 }, "OT reduction of permuted copies");
  });
});

describe("MM algorithm", () => {
  const random = new Random(21);
  const support = standardNormalSupport(400, 2, 8);
  const localModels = [0, 1, 2, 3, 4].map((m) => ({ model: noisyCopy(TRUTH, 0.4, random), n: 300 + 100 * m }));
  const mixture = mixtureOf(localModels, support, 2, TRUTH.features);

  it("never increases T from a random start", () => {
    let longest = 0;
    for (let seed = 0; seed < 5; seed++) {
      const start = randomGroupingStart(mixture, 3, new Random(seed));
      const run = runTransportMM(mixture, start, { tolerance: 0 });
      const trace = run.objectivePerIteration;
      longest = Math.max(longest, trace.length);
      assert.deepEqual(run.errors, []);
      for (let t = 1; t < trace.length; t++) {
        assert.ok(trace[t] <= trace[t - 1] * (1 + 1e-12), `seed ${seed}: T rose from ${trace[t - 1]} to ${trace[t]} at iteration ${t}`);
      }
    }
    assert.ok(longest >= 4, `random starts should need several iterations, the longest run had ${longest - 1}`);
  });

  it("plan step picks the cheapest expert", () => {
    // K ≤ 8 runs the unrolled kernel and K > 8 the loop; both must give the cheapest expert, ties to the lowest index.
    const draw = new Random(30);
    for (let K = 1; K <= 10; K++) {
      const experts = Float64Array.from({ length: K * 3 }, () => 3 * draw.normal());
      const variances = Float64Array.from({ length: K }, () => Math.exp(draw.normal()));
      if (K >= 3) {
        experts.copyWithin(2 * 3, 0, 3);
        variances[2] = variances[0];
      }
      const reduced: ReducedExperts = { K, d: 2, experts, variances };
      const nu = reducedMeansAtSupport(mixture.support, mixture.S, reduced, new Float64Array(mixture.S * K));
      const plan = createPlan(mixture.S, mixture.L, K);
      const objective = assignPlan(mixture, reduced, nu, plan);

      let expected = 0;
      const mass = new Float64Array(mixture.S * K);
      for (let s = 0; s < mixture.S; s++) {
        for (let l = 0; l < mixture.L; l++) {
          const costs = Array.from({ length: K }, (_, k) => gaussianKL(mixture.means[s * mixture.L + l], mixture.variances[l], nu[s * K + k], variances[k]));
          const best = costs.indexOf(Math.min(...costs));
          assert.equal(plan.assignment[s * mixture.L + l], best, `K = ${K}, s = ${s}, l = ${l}`);
          expected += mixture.weights[s * mixture.L + l] * costs[best];
          mass[s * K + best] += mixture.weights[s * mixture.L + l];
        }
      }
      assertClose(objective, expected / mixture.S, 1e-12 * expected, `T for K = ${K}`);
      mass.forEach((value, t) => assertClose(plan.mass[t], value, 1e-12, `mass ${t} for K = ${K}`));
    }
  });

  it("update step zeroes the gradient for a fixed plan", () => {
    // The plan of a random start, before any update, so that it is not yet the final plan.
    const start = randomGroupingStart(mixture, 3, new Random(4));
    const plan = createPlan(mixture.S, mixture.L, 3);
    assignPlan(mixture, start, reducedMeansAtSupport(mixture.support, mixture.S, start, new Float64Array(mixture.S * 3)), plan);

    const updated = cloneReduced(start);
    updateExperts(mixture, plan, updated, new Float64Array(mixture.S * 3), createUpdateWorkspace(mixture.d, 3));

    // Elasticity |∂T/∂θ| · max(|θ|, 1) / T, by central differences: below 1e-6 at the update, not at a point 1 % away.
    assert.ok(maxElasticity(mixture, plan, updated) < 1e-6, `elasticity at the update is ${maxElasticity(mixture, plan, updated)}`);
    const moved = cloneReduced(updated);
    moved.experts[1] *= 1.01;
    moved.variances[0] *= 1.01;
    assert.ok(maxElasticity(mixture, plan, moved) > 1e-4, `elasticity 1 % away is ${maxElasticity(mixture, plan, moved)}`);
  });

  it("leaves an expert without mass as it was", () => {
    const start = randomGroupingStart(mixture, 3, new Random(1));
    start.experts[2 * 3] = 1e6;
    const run = runTransportMM(mixture, start);

    assert.deepEqual(run.emptyExperts, [2]);
    assert.deepEqual(Array.from(run.reduced.experts.subarray(6, 9)), Array.from(start.experts.subarray(6, 9)));
    assert.equal(run.reduced.variances[2], start.variances[2]);
    assert.deepEqual(run.errors, []);
  });
});

/** max over θ ∈ {β_kj, σ_k²} of |∂T/∂θ| · max(|θ|, 1) / T for a fixed plan, by central differences. */
function maxElasticity(mixture: StackedMixture, plan: TransportPlan, reduced: ReducedExperts): number {
  const means = new Float64Array(mixture.S * reduced.K);
  const objective = (candidate: ReducedExperts): number => planObjective(mixture, plan, candidate, reducedMeansAtSupport(mixture.support, mixture.S, candidate, means));
  const base = objective(reduced);
  let max = 0;

  const parameters: [Float64Array, number][] = [];
  for (let t = 0; t < reduced.experts.length; t++) parameters.push([reduced.experts, t]);
  for (let k = 0; k < reduced.K; k++) parameters.push([reduced.variances, k]);

  for (const [array, index] of parameters) {
    const value = array[index];
    const h = 1e-5 * Math.max(Math.abs(value), 1);
    const plus = cloneReduced(reduced);
    const minus = cloneReduced(reduced);
    (array === reduced.experts ? plus.experts : plus.variances)[index] = value + h;
    (array === reduced.experts ? minus.experts : minus.variances)[index] = value - h;
    const gradient = (objective(plus) - objective(minus)) / (2 * h);
    max = Math.max(max, (Math.abs(gradient) * Math.max(Math.abs(value), 1)) / base);
  }
  return max;
}

describe("transportation divergence", () => {
  const support = standardNormalSupport(50, 1, 2);
  const single = (intercept: number, variance: number): MoEModel => ({
    K: 1, d: 1, features: ["x"], gates: [[0], [0]], experts: [[intercept], [1]], variances: [variance],
  });

  it("matches the KL divergence worked by hand", () => {
    // N(x, 1) to N(1 + x, 2) at every x: ½ [log 2 + 1/2 + 1/2 − 1] = ½ log 2.
    assertClose(transportDivergence(single(0, 1), single(1, 2), support), 0.5 * Math.log(2), 1e-15, "D(A → B)");
    // Reverse: ½ [log(1/2) + 2 + 1 − 1] = 1 − ½ log 2.
    assertClose(transportDivergence(single(1, 2), single(0, 1), support), 1 - 0.5 * Math.log(2), 1e-15, "D(B → A)");
  });

  it("is zero when the target contains every source expert", () => {
    const wider: MoEModel = { K: 2, d: 1, features: ["x"], gates: [[0.3, 0], [1, 0]], experts: [[0, 5], [1, 1]], variances: [1, 3] };
    assert.equal(transportDivergence(single(0, 1), wider, support), 0);
    assert.ok(transportDivergence(wider, single(0, 1), support) > 0);
  });

  it("sums to the medoid criterion", () => {
    const random = new Random(3);
    const s2 = standardNormalSupport(200, 2, 9);
    const localModels = [0.05, 0.3, 0.1].map((sd, m) => ({ model: noisyCopy(TRUTH, sd, random), n: 500 + 250 * m }));
    const result = medoid(localModels, s2, 3);
    const total = localModels.reduce((sum, local) => sum + local.n, 0);

    localModels.forEach((candidate, m) => {
      const weighted = localModels.reduce((sum, other) => sum + (other.n / total) * transportDivergence(other.model, candidate.model, s2), 0);
      assertClose(result.diagnostics.tries[m].objective, weighted, 1e-12, `medoid criterion of machine ${m}`);
    });

    const best = result.diagnostics.tries.reduce((b, t, m) => (t.objective < result.diagnostics.tries[b].objective ? m : b), 0);
    assert.deepEqual(result.model, canonicalize(localModels[best].model));
  });
});

describe("aggregation baselines", () => {
  const random = new Random(31);
  const support = standardNormalSupport(300, 2, 12);
  const localModels = [0, 1, 2, 3].map((m) => ({ model: permuteExperts(noisyCopy(TRUTH, 0.05, random), [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]][m]), n: 600 }));

  it("aligned averaging undoes the labelling", () => {
    const result = alignedAverage(localModels, support, 3);
    const canonical = weightedAverage(localModels, support, 3);

    assert.ok(maxExpertDifference(result.model, canonicalize(TRUTH)) < 0.2, "aligned average close to the truth");
    assertModelClose(result.model, canonical.model, { experts: 1e-12, gates: 1e-12 }, "aligned vs canonical average");
  });

  it("greedy merging of identical models returns the model", () => {
    const result = greedyMerge([{ model: TRUTH, n: 10 }, { model: TRUTH, n: 30 }], support, 3);
    assertModelClose(result.model, canonicalize(TRUTH), { experts: 1e-10, gates: 1e-6 }, "greedy merge");
  });

  it("greedy objective equals the T of its grouping", () => {
    const mixture = mixtureOf(localModels, support, 2, TRUTH.features);
    const merging = mergeGreedily(mixture, 2);
    const plan = planFromGroups(mixture, merging.groups, 2);
    const means = reducedMeansAtSupport(mixture.support, mixture.S, merging.reduced, new Float64Array(mixture.S * 2));

    assertClose(merging.objective, planObjective(mixture, plan, merging.reduced, means), 1e-12, "sum of merge costs");
    assert.equal(new Set(merging.groups).size, 2);
  });

  it("the OT reduction is at least as good as every baseline", () => {
    const reduced = reduceLocalModels(localModels, support, 3, { starts: ["kmeans", "aligned", "greedy"] });
    for (const baseline of [weightedAverage(localModels, support, 3), alignedAverage(localModels, support, 3), medoid(localModels, support, 3), greedyMerge(localModels, support, 3)]) {
      assert.ok(reduced.diagnostics.objective <= baseline.diagnostics.objective + 1e-12, `T ${reduced.diagnostics.objective} vs baseline ${baseline.diagnostics.objective}`);
    }
  });

  it("machines with different K reduce to K experts", () => {
    // Each machine has only two of the three experts, so K_m = 2 and L = 6.
    const partial = [[0, 1], [1, 2], [0, 2]].map((keep) => {
      const model = TRUTH;
      const sub: MoEModel = {
        K: 2, d: 2, features: model.features.slice(),
        gates: model.gates.map((row) => [row[keep[0]] - row[keep[1]], 0]),
        experts: model.experts.map((row) => keep.map((k) => row[k])),
        variances: keep.map((k) => model.variances[k]),
      };
      return { model: sub, n: 1000 };
    });

    const result = reduceLocalModels(partial, support, 3);
    assert.ok(result.diagnostics.warnings.some((w) => w.includes("Aligned-average start skipped")));
    assertMatrixClose(result.model.experts, canonicalize(TRUTH).experts, 1e-10, "experts from partial machines");
    assert.throws(() => weightedAverage(partial, support, 3), /machine 1 has K_m = 2/);
  });
});

describe("reduced gate fit", () => {
  const random = new Random(43);
  const support = standardNormalSupport(400, 2, 14);
  const localModels = [0, 1, 2, 3].map((m) => ({ model: permuteExperts(noisyCopy(TRUTH, 0.05, random), [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]][m]), n: 500 + 100 * m }));
  const mixture = mixtureOf(localModels, support, 2, TRUTH.features);
  const run = runTransportMM(mixture, randomGroupingStart(mixture, 3, new Random(2)));
  const points = readSupportPoints(support, 2, TRUTH.features);

  it("starts from the matched local gates", () => {
    const start = gateStartFromPlan(mixture, run.plan);
    assert.ok(start, "every machine maps one to one here");

    // Each reduced expert's gate start is the λ-weighted mean of the local gates matched to it, anchored on expert 2.
    const target = canonicalize(TRUTH);
    const reference = reducedFromModel(target);
    const order = Array.from({ length: 3 }, (_, k) => {
      const distances = [0, 1, 2].map((b) => Math.abs(run.reduced.experts[k * 3] - reference.experts[b * 3]));
      return distances.indexOf(Math.min(...distances));
    });
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < 3; k++) {
        const expected = target.gates[j][order[k]] - target.gates[j][order[2]];
        assertClose(start[j][k], expected, 0.25, `start[${j}][${k}]`);
      }
    }
  });

  it("reaches the same gates from that start", () => {
    const fromZero = fitReducedGates(points, run.plan.mass, run.reduced);
    const fromStart = fitReducedGates(points, run.plan.mass, run.reduced, { initial: gateStartFromPlan(mixture, run.plan) });

    assert.ok(fromStart.converged, "fit from the start converged");
    assert.ok(fromZero.converged, "fit from 0 converged");
    assert.ok(fromStart.iterations < fromZero.iterations, `${fromStart.iterations} Newton steps from the start, ${fromZero.iterations} from 0`);
    assertMatrixClose(fromStart.gates, fromZero.gates, 1e-5, "gates");
  });

  it("ignores a start worse than zero gates", () => {
    const start = gateStartFromPlan(mixture, run.plan) as number[][];
    const absurd = start.map((row) => row.map((value) => -1000 * value));
    const fromZero = fitReducedGates(points, run.plan.mass, run.reduced);
    const fromAbsurd = fitReducedGates(points, run.plan.mass, run.reduced, { initial: absurd });

    assert.equal(fromAbsurd.iterations, fromZero.iterations);
    assert.deepEqual(fromAbsurd.gates, fromZero.gates);
  });

  it("has no start without a one-to-one machine", () => {
    const single = mixtureOf([{ model: TRUTH, n: 100 }], support, 2, TRUTH.features);
    const plan = createPlan(single.S, single.L, 3);
    assert.equal(gateStartFromPlan(single, plan), undefined);
  });
});

describe("posterior gating", () => {
  it("needs responses and changes the gates", () => {
    const random = new Random(41);
    const localModels = [0, 1, 2].map(() => ({ model: noisyCopy(TRUTH, 0.1, random), n: 500 }));
    const x = standardNormalSupport(300, 2, 13);
    const y = Float64Array.from({ length: 300 }, () => 3 * random.normal());
    const data: Dataset = { n: 300, d: 2, features: TRUTH.features.slice(), x, y };

    assert.throws(() => reduceLocalModels(localModels, x, 3, { gating: "posterior" }), /needs responses/);
    const posterior = reduceLocalModels(localModels, data, 3, { gating: "posterior" });
    const supportOnly = reduceLocalModels(localModels, data, 3);
    assert.deepEqual(posterior.model.experts, supportOnly.model.experts);
    assert.ok(maxGateDifference(posterior.model, supportOnly.model) > 1e-3, "posterior targets should move the gates");
  });
});

function maxGateDifference(a: MoEModel, b: MoEModel): number {
  let max = 0;
  a.gates.forEach((row, j) => row.forEach((value, k) => (max = Math.max(max, Math.abs(value - b.gates[j][k])))));
  return max;
}

describe("aggregation input errors", () => {
  const support = standardNormalSupport(20, 2, 1);
  const local = { model: TRUTH, n: 100 };

  it("rejects a different d", () => {
    const other: MoEModel = { K: 1, d: 1, features: ["a"], gates: [[0], [0]], experts: [[0], [1]], variances: [1] };
    assert.throws(() => reduceLocalModels([local, { model: other, n: 100 }], support, 2), /Machine 2 has d = 1 covariates but machine 1 has d = 2/);
  });

  it("rejects different feature names", () => {
    const renamed = { model: { ...TRUTH, features: ["a", "c"] }, n: 100 };
    assert.throws(() => reduceLocalModels([local, renamed], support, 2), /Machine 2 has features \[a, c\] but machine 1 has \[a, b\]/);
  });

  it("rejects K above the number of local experts", () => {
    assert.throws(() => reduceLocalModels([local, local], support, 7), /K = 7 .* L = 6/);
  });

  it("rejects an empty support", () => {
    assert.throws(() => reduceLocalModels([local], new Float64Array(0), 3), /support is empty/);
  });

  it("rejects NaN in the support", () => {
    const bad = support.slice();
    bad[5 * 2 + 1] = NaN;
    assert.throws(() => reduceLocalModels([local], bad, 3), /Support point 5 .* NaN in column 1 \('b'\)/);
  });

  it("rejects a non-positive sample size", () => {
    assert.throws(() => reduceLocalModels([local, { model: TRUTH, n: 0 }], support, 3), /Machine 2 has n = 0/);
  });

  it("rejects unknown options", () => {
    assert.throws(() => reduceLocalModels([local], support, 3, { starts: ["best" as never] }), /Unknown start "best"/);
    assert.throws(() => reduceLocalModels([local], support, 3, { maxIterations: 0 }), /maxIterations must be a positive integer/);
    assert.throws(() => reduceLocalModels([local], support, 3, { threads: 0 }), /threads must be a whole number >= 1 but got 0/);
  });
});
