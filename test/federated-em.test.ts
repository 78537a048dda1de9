import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { fitFederatedEM } from "../lib/baselines/federated-em";
import { splitEqual } from "../lib/distributed/split";
import { fitMoE } from "../lib/fit/em";
import { logLikelihood } from "../lib/model/density";
import { subsetRows, type Dataset } from "../lib/model/types";
import { REFERENCE_MODEL, simulateFromModel } from "../lib/simulate/reference";

/** 8000 rows of the reference model (d = 5, K = 4) on 4 equal machines. */
function referenceShards(): { pooled: Dataset; shards: Dataset[] } {
  const { data } = simulateFromModel(REFERENCE_MODEL, 8000, 11);
  const shards = splitEqual(data.n, 4, 5).map((rows) => subsetRows(data, rows));
  return { pooled: data, shards };
}

describe("federated EM", () => {
  const { pooled, shards } = referenceShards();

  it("reaches the central EM log-likelihood", () => {
    const federated = fitFederatedEM(shards, { K: 4, rounds: 300, seed: 1 });
    const central = fitMoE(pooled, { K: 4, starts: 2, seed: 1 });
    const last = federated.snapshots[federated.snapshots.length - 1];

    // Both maximize the same pooled likelihood; the trace reports the model sent in each round.
    const federatedLogLikelihood = logLikelihood(last.model, pooled);
    assert.ok(federated.converged, `federated EM did not converge in 300 rounds (trace ends ${federated.trace.slice(-2).join(", ")})`);
    assert.ok(
      Math.abs(federatedLogLikelihood - central.logLikelihood) <= 1e-4 * Math.abs(central.logLikelihood),
      `federated ${federatedLogLikelihood} against central ${central.logLikelihood}`,
    );
  });

  it("stops at convergence, repeats snapshots", () => {
    const federated = fitFederatedEM(shards, { K: 4, rounds: 500, snapshots: [1, 5, 500], seed: 1 });
    const [first, fifth, last] = federated.snapshots;

    assert.deepEqual(federated.snapshots.map((snapshot) => snapshot.round), [1, 5, 500]);
    assert.equal(first.roundsRun, 1);
    assert.equal(fifth.roundsRun, 5);
    assert.ok(last.roundsRun < 500, `rounds run ${last.roundsRun}`);
    assert.equal(last.roundsRun, federated.trace.length);
    assert.equal(last.messages, 2 * last.roundsRun + 2);

    // The last change of the pooled log-likelihood is below the default relative tolerance 1e-6.
    const [before, after] = federated.trace.slice(-2);
    assert.ok(Math.abs(after - before) <= 1e-6 * Math.abs(after), `last change ${after - before}`);
  });

  it("runs every round with tolerance 0", () => {
    const federated = fitFederatedEM(shards, { K: 4, rounds: 30, snapshots: [10, 30], tolerance: 0, seed: 1 });
    assert.equal(federated.trace.length, 30);
    assert.deepEqual(federated.snapshots.map((snapshot) => snapshot.roundsRun), [10, 30]);
    assert.ok(federated.snapshots[1].bytes > federated.snapshots[0].bytes);
  });

  it("gives the same model for the same seed", () => {
    const first = fitFederatedEM(shards, { K: 4, rounds: 20, seed: 3 });
    const second = fitFederatedEM(shards, { K: 4, rounds: 20, seed: 3 });
    assert.deepEqual(second.snapshots[0].model, first.snapshots[0].model);
  });

  it("rejects bad tolerance, tiny machine", () => {
    assert.throws(() => fitFederatedEM(shards, { K: 4, rounds: 5, tolerance: -1 }), /tolerance must be a finite number >= 0 but got -1/);
    const threeRows = subsetRows(pooled, [0, 1, 2]);
    assert.throws(() => fitFederatedEM([...shards, threeRows], { K: 4, rounds: 5 }), /Machine 5 \(n = 3\)/);
  });
});
