import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { gammaDraw } from "../lib/distributed/sizes";
import {
  checkPartition,
  distinctGroups,
  leaveGroupsOut,
  sampleGroups,
  sizesFromProportions,
  splitByGroup,
  splitByProportions,
  splitCovariateShift,
  splitEqual,
  splitRandomSizes,
  trainTestSplit,
  type MachineSplit,
} from "../lib/distributed/split";
import { datasetFromRows } from "../lib/model/types";
import { Random } from "../lib/random";

function sizes(parts: MachineSplit): number[] {
  return parts.map((part) => part.length);
}

function isAscending(values: Int32Array): boolean {
  for (let r = 1; r < values.length; r++) if (values[r] <= values[r - 1]) return false;
  return true;
}

/** Draws a data set of n rows with d covariates from N(0, 1) and responses 0. */
function normalData(n: number, d: number, seed: number) {
  const rng = new Random(seed);
  const rows = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
  return datasetFromRows(rows, new Array<number>(n).fill(0));
}

describe("splitEqual", () => {
  it("makes sizes that differ by at most 1", () => {
    const parts = splitEqual(103, 10, 1);
    assert.deepEqual(sizes(parts), [11, 11, 11, 10, 10, 10, 10, 10, 10, 10]);
    checkPartition(parts, 103);
    for (const part of parts) assert.ok(isAscending(part), "part not sorted");
  });

  it("reproduces a split from its seed", () => {
    assert.deepEqual(splitEqual(50, 4, "a"), splitEqual(50, 4, "a"));
    assert.notDeepEqual(splitEqual(50, 4, "a"), splitEqual(50, 4, "b"));
  });

  it("accepts one point per machine", () => {
    const parts = splitEqual(3, 3, 0);
    assert.deepEqual(sizes(parts), [1, 1, 1]);
    checkPartition(parts, 3);
  });

  it("rejects M < 1 and M > n", () => {
    assert.throws(() => splitEqual(10, 0, 1), /M must be a positive integer but got 0/);
    assert.throws(() => splitEqual(10, 11, 1), /M = 11 exceeds the number of points n = 10/);
    assert.throws(() => splitEqual(0, 1, 1), /n must be a positive integer but got 0/);
  });
});

describe("splitByProportions", () => {
  it("rounds the cumulative shares", () => {
    assert.deepEqual(sizes(splitByProportions(100, [0.2, 0.3, 0.5], 1)), [20, 30, 50]);
    // Cumulative shares 2.5, 5, 10 round to 3, 5, 10.
    assert.deepEqual(sizesFromProportions(10, [1, 1, 2]), [3, 2, 5]);
    checkPartition(splitByProportions(57, [3, 1, 1, 2], 9), 57);
  });

  it("rejects an empty machine and a bad proportion", () => {
    assert.throws(() => splitByProportions(10, [0.01, 1], 1), /Machine 0 gets no point: proportion 0.01 of n = 10/);
    assert.throws(() => splitByProportions(10, [1, -1], 1), /machine 1 must be a positive number but got -1/);
  });
});

describe("splitRandomSizes", () => {
  it("covers all points with the minimum size", () => {
    const parts = splitRandomSizes(500, 8, 3, 0.3, 5);
    checkPartition(parts, 500);
    for (const size of sizes(parts)) assert.ok(size >= 5, `size ${size}`);
    assert.deepEqual(splitRandomSizes(500, 8, 3, 0.3, 5), parts);
  });

  it("gives unequal sizes for a small concentration", () => {
    const spread = (concentration: number) => {
      const s = sizes(splitRandomSizes(10000, 10, 4, concentration));
      return Math.max(...s) - Math.min(...s);
    };
    assert.ok(spread(0.2) > 2000, `spread ${spread(0.2)} at concentration 0.2`);
    assert.ok(spread(1e4) < 200, `spread ${spread(1e4)} at concentration 1e4`);
  });

  it("rejects a bad concentration or minimum size", () => {
    assert.throws(() => splitRandomSizes(10, 2, 1, 0), /concentration must be a positive number but got 0/);
    assert.throws(() => splitRandomSizes(10, 4, 1, 1, 3), /integer in \[1, n\/M\] = \[1, 2\] but got 3/);
  });

  it("draws gamma variates with mean equal to the shape", () => {
    const rng = new Random(12);
    const count = 20000;
    for (const shape of [0.3, 1, 4.5]) {
      const draws = Array.from({ length: count }, () => gammaDraw(rng, shape));
      const mean = draws.reduce((s, g) => s + g, 0) / count;
      assert.ok(Math.abs(mean - shape) < 4 * Math.sqrt(shape / count), `shape ${shape}: mean ${mean}`);
      assert.ok(draws.every((g) => g >= 0), `shape ${shape}: negative draw`);
    }
  });
});

describe("splitByGroup", () => {
  it("puts each group on its own machine", () => {
    const groups = [3, 1, 3, 2, 1];
    assert.deepEqual(distinctGroups(groups), [1, 2, 3]);
    assert.deepEqual(splitByGroup(groups).map((part) => Array.from(part)), [[1, 4], [3], [0, 2]]);
  });

  it("rejects non-integer ids and empty input", () => {
    assert.throws(() => splitByGroup([1, 2.5]), /Group id at row 1 must be an integer but got 2.5/);
    assert.throws(() => splitByGroup([]), /n must be a positive integer but got 0/);
  });
});

describe("splitCovariateShift", () => {
  const data = normalData(400, 3, 2);

  it("gives sorted slabs without mixing", () => {
    const parts = splitCovariateShift(data, 4, { seed: 1, direction: "first" });
    assert.deepEqual(sizes(parts), [100, 100, 100, 100]);
    checkPartition(parts, 400);

    const first = (i: number) => data.x[i * 3];
    for (let m = 0; m < 3; m++) {
      const upper = Math.max(...Array.from(parts[m], first));
      const lower = Math.min(...Array.from(parts[m + 1], first));
      assert.ok(upper <= lower, `machine ${m} reaches ${upper} above machine ${m + 1}'s ${lower}`);
    }
  });

  it("shrinks the shift as mixing grows", () => {
    const rangeOfMeans = (mixing: number) => {
      const parts = splitCovariateShift(data, 4, { seed: 5, mixing, direction: "first" });
      checkPartition(parts, 400);
      const means = parts.map((part) => Array.from(part, (i) => data.x[i * 3]).reduce((s, v) => s + v, 0) / part.length);
      return Math.max(...means) - Math.min(...means);
    };
    assert.ok(rangeOfMeans(0) > rangeOfMeans(0.5), "mixing 0.5 should shift less than 0");
    assert.ok(rangeOfMeans(0.5) > rangeOfMeans(1), "mixing 1 should shift less than 0.5");
  });

  it("reproduces a split from its seed", () => {
    const options = { seed: 3, mixing: 0.3 };
    assert.deepEqual(splitCovariateShift(data, 5, options), splitCovariateShift(data, 5, options));
    assert.notDeepEqual(splitCovariateShift(data, 5, options), splitCovariateShift(data, 5, { ...options, seed: 4 }));
  });

  it("rejects a mixing fraction outside [0, 1]", () => {
    assert.throws(() => splitCovariateShift(data, 4, { seed: 1, mixing: 1.5 }), /Mixing fraction must be in \[0, 1\] but got 1.5/);
    assert.throws(() => splitCovariateShift(data, 401, { seed: 1 }), /M = 401 exceeds the number of points n = 400/);
  });
});

describe("checkPartition", () => {
  it("names overlap, gaps, empty parts and bad indices", () => {
    assert.throws(() => checkPartition([Int32Array.of(0, 1), Int32Array.of(1, 2)], 3), /Row 1 is in machines 0 and 1/);
    assert.throws(() => checkPartition([Int32Array.of(0), Int32Array.of(2)], 3), /Row 1 is in no machine/);
    assert.throws(() => checkPartition([Int32Array.of(0, 1), new Int32Array(0)], 2), /Machine 1 has no rows/);
    assert.throws(() => checkPartition([Int32Array.of(0, 5)], 2), /Machine 0 contains row index 5, outside the valid range 0..1/);
  });
});

describe("trainTestSplit", () => {
  it("holds out the last points", () => {
    const { train, test } = trainTestSplit(10, 0.2, 0, "last");
    assert.deepEqual(Array.from(test), [8, 9]);
    assert.deepEqual(Array.from(train), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("holds out a random set", () => {
    const { train, test } = trainTestSplit(1000, 0.1, 7);
    assert.equal(test.length, 100);
    assert.equal(train.length, 900);
    checkPartition([train, test], 1000);
    assert.ok(isAscending(train), "train part not sorted");
    assert.ok(isAscending(test), "test part not sorted");
    assert.deepEqual(trainTestSplit(1000, 0.1, 7), { train, test });
    assert.notDeepEqual(trainTestSplit(1000, 0.1, 8).test, test);
  });

  it("rejects fractions that leave a part empty", () => {
    assert.throws(() => trainTestSplit(10, 1, 0), /fraction must be in \(0, 1\) but got 1/);
    assert.throws(() => trainTestSplit(10, 0.01, 0), /gives 0 test points/);
    assert.throws(() => trainTestSplit(1, 0.5, 0), /n ≥ 2 points but got n = 1/);
  });
});

describe("leaveGroupsOut", () => {
  const groups = [3, 1, 3, 2, 1, 2];

  it("holds out the rows of the given groups", () => {
    const { train, test } = leaveGroupsOut(groups, [2, 3]);
    assert.deepEqual(Array.from(test), [0, 2, 3, 5]);
    assert.deepEqual(Array.from(train), [1, 4]);
  });

  it("samples distinct groups reproducibly", () => {
    const chosen = sampleGroups(groups, 2, 4);
    assert.equal(new Set(chosen).size, 2);
    for (const id of chosen) assert.ok([1, 2, 3].includes(id), `group ${id}`);
    assert.deepEqual(sampleGroups(groups, 2, 4), chosen);
  });

  it("rejects unknown groups and holding out all", () => {
    assert.throws(() => leaveGroupsOut(groups, [7]), /Held-out group 7 does not occur/);
    assert.throws(() => leaveGroupsOut(groups, [1, 2, 3]), /All 3 groups are held out/);
    assert.throws(() => leaveGroupsOut(groups, []), /No held-out group given/);
    assert.throws(() => sampleGroups(groups, 3, 0), /integer in \[1, 2\] but got 3/);
  });
});
