import { performance } from "node:perf_hooks";

import { createEMWorkspace, emPass, unpackGram, type EMWorkspace } from "../fit/em-pass";
import { initialModel } from "../fit/init";
import { residualSumOfSquares, rowOuterProducts, solveNormalEquations } from "../fit/least-squares";
import { addStep, assembleHessian, solveSymmetric, unflatten } from "../fit/logistic";
import { standardize, unstandardizeModel, type Scaling } from "../fit/standardize";
import { validateFitInput } from "../fit/validate";
import { canonicalize } from "../model/canonical";
import { flattenCoefficients } from "../model/density";
import { serializeModel } from "../model/file";
import type { Dataset, MoEModel } from "../model/types";
import { Random } from "../random";

export interface FederatedEMOptions {
  K: number;
  /** Communication rounds of EM (each: the model down, the sufficient statistics up). */
  rounds: number;
  /** Rounds after which the current global model is kept as a snapshot. Default: [rounds]. */
  snapshots?: number[];
  /**
   * Stop when the relative change of the pooled log-likelihood between rounds is below this, the stopping rule
   * of the central EM. Later snapshots then repeat the last model with the rounds actually used. Default 1e-6,
   * and 0 runs every round.
   */
  tolerance?: number;
  /** Seed of the k-means initialization on the largest machine. Default 0. */
  seed?: number;
  /** Variance floor as a fraction of the pooled var(y). Default 1e-6. */
  varianceFloor?: number;
  /** Stops the run between rounds. */
  signal?: AbortSignal;
}

export interface FederatedSnapshot {
  /** Round at which the snapshot was requested. */
  round: number;
  /** EM rounds actually run up to this snapshot: `round`, or fewer when the run stopped at convergence. */
  roundsRun: number;
  /** Global model after `round` EM rounds, original scale, canonical order. */
  model: MoEModel;
  /** Pooled training log-likelihood of the model sent in the last round. */
  logLikelihood: number;
  /** Wall time a deployment would wait up to this round: per round the slowest machine plus the server step, seconds. */
  seconds: number;
  /** Bytes sent both ways up to this round (models as JSON text, statistics as float64). */
  bytes: number;
  /** Messages per machine up to this round (two per EM round plus two for the set-up). */
  messages: number;
}

export interface FederatedEMResult {
  snapshots: FederatedSnapshot[];
  /** Pooled training log-likelihood per round. */
  trace: number[];
  /** Whether the run stopped because the log-likelihood changed by less than the tolerance. */
  converged: boolean;
  warnings: string[];
}

/**
 * Federated EM: several communication rounds in which every machine computes its E-step sufficient
 * statistics under the current global model and the server performs the M-step.
 *
 * Set-up (one round): machines send n_m, Σx, Σx², Σy so the server can standardize with pooled moments, and the
 * largest machine sends a k-means starting model. Per EM round each machine runs one EM pass (emPass). For the
 * experts it sends the weighted normal equations (Σ τ x̃x̃ᵀ, Σ τ x̃y, Σ τ, Σ τy²). For the gates it sends the
 * gradient and negative Hessian of Σ τ log π at the current gates. The server sums them, takes one Newton step for the gates and
 * solves the experts exactly. The machines run one after another here. The reported time takes the slowest
 * machine per round, because a deployment with one machine per site would wait for it.
 *
 * NOTE: the Newton gate step has no step halving, since halving would need one more round per step,
 * so the log-likelihood is not guaranteed to increase every round; decreases are reported in warnings.
 */
export function fitFederatedEM(shards: readonly Dataset[], options: FederatedEMOptions): FederatedEMResult {
  const { K, rounds } = options;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a whole number >= 1 but got ${rounds}.`);
  const tolerance = options.tolerance ?? 1e-6;
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new Error(`tolerance must be a finite number >= 0 but got ${tolerance}.`);
  shards.forEach((shard, m) => {
    try {
      validateFitInput(shard, K);
    } catch (error) {
      throw new Error(`Machine ${m + 1} (n = ${shard.n}): ${(error as Error).message}`);
    }
  });
  const snapshotRounds = new Set(options.snapshots ?? [rounds]);
  const d = shards[0].d;
  const p = d + 1;

  // Set-up round: pooled moments, then every machine standardizes its own data with them.
  let elapsed = 0;
  let bytes = 0;
  let started = performance.now();
  const scaling = pooledScaling(shards);
  const local = shards.map((shard) => standardize(shard, scaling));
  const variance = pooledResponseVariance(shards, scaling.responseMean);
  const varianceFloor = (options.varianceFloor ?? 1e-6) * variance;
  const largest = local.reduce((best, shard, m) => (shard.n > local[best].n ? m : best), 0);
  let model = initialModel(local[largest], K, "kmeans", new Random(options.seed ?? 0), varianceFloor);
  elapsed += (performance.now() - started) / 1000;
  bytes += shards.length * 8 * (1 + 2 * d + 1) + Buffer.byteLength(serializeModel(model));

  const workspaces: EMWorkspace[] = local.map((shard) => createEMWorkspace(shard.n, d, K, rowOuterProducts(shard.x, shard.n, d)));
  const pooled = createEMWorkspace(0, d, K, null);
  const trace: number[] = [];
  const warnings: string[] = [];
  const snapshots: FederatedSnapshot[] = [];
  const statisticsBytes = 8 * (pooled.gradient.length + pooled.hessianBlocks.length + pooled.packedGrams.length + pooled.rhs.length + 2 * K + 1);

  let converged = false;
  let roundsRun = 0;
  for (let round = 1; round <= rounds; round++) {
    if (options.signal?.aborted) throw new Error(`Federated EM was aborted before round ${round}.`);
    const gatesFlat = flattenCoefficients(model.gates);
    const expertsFlat = flattenCoefficients(model.experts);
    const modelBytes = Buffer.byteLength(serializeModel(model));

    // Machines: one EM pass under the broadcast model gives the log-likelihood and the M-step statistics.
    let slowest = 0;
    let logLikelihood = 0;
    clearStatistics(pooled);
    local.forEach((shard, m) => {
      const machineStarted = performance.now();
      const pass = emPass(workspaces[m], shard.x, shard.y, gatesFlat, expertsFlat, model.variances, 1, false);
      slowest = Math.max(slowest, (performance.now() - machineStarted) / 1000);
      logLikelihood += pass.logLikelihood;
      addStatistics(pooled, workspaces[m]);
    });
    if (trace.length > 0 && logLikelihood < trace[trace.length - 1] - 1e-8 * Math.abs(logLikelihood)) {
      warnings.push(`Pooled log-likelihood decreased at round ${round}, from ${trace[trace.length - 1]} to ${logLikelihood}.`);
    }
    const previous = trace.length > 0 ? trace[trace.length - 1] : NaN;
    trace.push(logLikelihood);

    // Server: one Newton step for the gates, exact weighted least squares for the experts.
    started = performance.now();
    model = serverMStep(model, pooled, varianceFloor);
    elapsed += slowest + (performance.now() - started) / 1000;
    bytes += shards.length * (modelBytes + statisticsBytes);
    roundsRun = round;

    // This round's log-likelihood belongs to the model sent in it. When it barely changed, that model had
    // converged, and the server's new model is the result, as in the central EM.
    converged = Math.abs(logLikelihood - previous) <= tolerance * Math.abs(logLikelihood);
    const snapshotModel = canonicalize(unstandardizeModel(model, scaling));
    for (const target of [...snapshotRounds].filter((r) => r === round || (converged && r > round)).sort((a, b) => a - b)) {
      snapshots.push({ round: target, roundsRun, model: snapshotModel, logLikelihood, seconds: elapsed, bytes, messages: 2 * roundsRun + 2 });
    }
    if (converged) break;
  }

  return { snapshots, trace, converged, warnings };
}

/** Performs the server's M-step from the summed statistics: one Newton step for the gates, exact least squares for the experts. */
function serverMStep(model: MoEModel, statistics: EMWorkspace, varianceFloor: number): MoEModel {
  const { K, d } = model;
  const p = d + 1;

  let gates = model.gates;
  if (K > 1) {
    const step = solveSymmetric(assembleHessian(statistics.hessianBlocks, d, K), statistics.gradient);
    gates = unflatten(addStep(flattenCoefficients(model.gates), step, 1, d, K), p, K);
  }

  const experts = model.experts.map((row) => row.slice());
  const variances = model.variances.slice();
  const gram = new Float64Array(p * p);
  for (let k = 0; k < K; k++) {
    if (!(statistics.totals[k] > 0)) continue;
    unpackGram(statistics, k, gram);
    const moments = statistics.rhs.subarray(k * p, (k + 1) * p);
    const beta = solveNormalEquations(gram, moments, p);
    for (let a = 0; a < p; a++) experts[a][k] = beta[a];
    variances[k] = Math.max(residualSumOfSquares(gram, moments, statistics.responseSquares[k], beta, p) / statistics.totals[k], varianceFloor);
  }

  return { ...model, gates, experts, variances };
}

function clearStatistics(target: EMWorkspace): void {
  for (const array of [target.gradient, target.hessianBlocks, target.packedGrams, target.rhs, target.totals, target.responseSquares]) array.fill(0);
}

/** Adds a machine's statistics to the server's sums. */
function addStatistics(target: EMWorkspace, source: EMWorkspace): void {
  accumulate(target.gradient, source.gradient);
  accumulate(target.hessianBlocks, source.hessianBlocks);
  accumulate(target.packedGrams, source.packedGrams);
  accumulate(target.rhs, source.rhs);
  accumulate(target.totals, source.totals);
  accumulate(target.responseSquares, source.responseSquares);
}

/** Column means and standard deviations of the pooled covariates and the pooled response mean, from per-machine sums. */
function pooledScaling(shards: readonly Dataset[]): Scaling {
  const d = shards[0].d;
  const sums = new Float64Array(d);
  const squares = new Float64Array(d);
  let n = 0;
  let responseSum = 0;

  for (const shard of shards) {
    n += shard.n;
    for (let i = 0; i < shard.n; i++) {
      responseSum += shard.y[i];
      for (let j = 0; j < d; j++) {
        const value = shard.x[i * d + j];
        sums[j] += value;
        squares[j] += value * value;
      }
    }
  }

  const mean = sums.map((sum) => sum / n);
  const sd = squares.map((square, j) => Math.sqrt(Math.max(square / n - mean[j] * mean[j], 0)));
  sd.forEach((value, j) => {
    if (!(value > 0)) throw new Error(`Covariate '${shards[0].features[j]}' is constant over all machines; remove it from the features.`);
  });
  return { mean, sd, responseMean: responseSum / n };
}

function pooledResponseVariance(shards: readonly Dataset[], mean: number): number {
  let sum = 0;
  let n = 0;
  for (const shard of shards) {
    n += shard.n;
    for (let i = 0; i < shard.n; i++) sum += (shard.y[i] - mean) ** 2;
  }
  return sum / n || 1;
}

function accumulate(target: Float64Array, source: Float64Array): void {
  for (let t = 0; t < target.length; t++) target[t] += source[t];
}
