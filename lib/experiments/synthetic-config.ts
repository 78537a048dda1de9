import type { StudyMethod } from "../distributed/study";
import type { SupportSource } from "../distributed/support";
import type { Grid } from "../sweep/grid";

/** The synthetic experiments of the study. */
export const SYNTHETIC_EXPERIMENTS = ["d2", "scaling-m", "scaling-n", "support", "noniid"] as const;
export type SyntheticExperimentName = (typeof SYNTHETIC_EXPERIMENTS)[number];

/**
 * Fixed configuration of a synthetic experiment: everything that changes its results but is not a setting of
 * the grid. It is hashed into the cache keys, so changing it recomputes the cells.
 */
export interface SyntheticConfig {
  /** Experts of the global and aggregated models. */
  K: number;
  /** Fraction of each replicate's points held out for testing. */
  testFraction: number;
  /** Methods compared in every cell (D3 cells drop those that need K_m = K). */
  methods: StudyMethod[];
  /** EM starts of every global and local fit. */
  starts: number;
  /** Snapshot rounds of federated EM. */
  federatedRounds: number[];
  /** Support experiment only: support sizes S and sources tried in each cell. */
  supportSizes: number[];
  supportSources: SupportSource[];
  /** Support experiment only: size of the fixed pooled support on which the divergence to the truth is measured. */
  evaluationSupportSize: number;
  /** Version of the experiment code; raise it when a change makes cached cells stale. */
  version: number;
}

/** Grid, configuration and default replicates of one experiment at one scale. */
export interface SyntheticPlan {
  experiment: SyntheticExperimentName;
  grid: Grid | Grid[];
  config: SyntheticConfig;
  replicates: number;
}

const ALL_METHODS: StudyMethod[] = ["global", "ot", "ot-posterior", "average", "aligned", "medoid", "greedy", "fedem"];

/**
 * Published settings: n = 100 000 points (80/20 train/test), M = 16 machines, S = 2000 support points,
 * K = 5, two EM starts, 50 replicates.
 */
const FULL_BASE = { n: 100_000, M: 16, S: 2000, starts: 2, replicates: 50 };

/** Snapshot rounds of federated EM; quick runs stop at 20 rounds to save time. */
const FULL_ROUNDS = [1, 5, 20, 100];
const QUICK_ROUNDS = [1, 5, 20];

/**
 * Quick settings for notebooks, tests and the report: small data (1600 training points per machine, about
 * eight per parameter of a local model with d = 20 and K = 5), few grid points, one EM start, two replicates.
 */
const QUICK_BASE = { n: 8000, M: 4, S: 500, starts: 1, replicates: 2 };

/** Returns the plan of an experiment: its grid, fixed configuration and default number of replicates. */
export function syntheticPlan(experiment: SyntheticExperimentName, quick: boolean): SyntheticPlan {
  const base = quick ? QUICK_BASE : FULL_BASE;
  const config: SyntheticConfig = {
    K: 5,
    testFraction: 0.2,
    methods: ALL_METHODS,
    starts: base.starts,
    federatedRounds: quick ? QUICK_ROUNDS : FULL_ROUNDS,
    supportSizes: [],
    supportSources: [],
    evaluationSupportSize: base.S,
    version: 1,
  };
  const common = { n: [base.n], M: [base.M], supportSize: [base.S] };

  switch (experiment) {
    case "d2":
      return { experiment, config, replicates: base.replicates, grid: { profile: ["balanced", "moderate", "severe"], ...common } };
    case "scaling-m":
      return {
        experiment,
        config,
        replicates: base.replicates,
        grid: { profile: ["balanced"], n: [quick ? 6000 : base.n], M: quick ? [2, 4, 8] : [4, 16, 64, 128], supportSize: [base.S] },
      };
    case "scaling-n":
      return {
        experiment,
        config,
        replicates: base.replicates,
        grid: { profile: ["balanced"], n: quick ? [3000, 6000, 12_000] : [100_000, 300_000, 1_000_000], M: [base.M], supportSize: [base.S] },
      };
    case "support":
      return {
        experiment,
        config: {
          ...config,
          methods: ["global", "ot", "ot-posterior"],
          supportSizes: quick ? [30, 100, 250, 500] : [30, 50, 100, 250, 500, 1000, 2000, 5000],
          supportSources: ["pooled", "machine", "gaussian"],
        },
        replicates: base.replicates,
        grid: { profile: ["balanced"], n: [base.n], M: [base.M] },
      };
    case "noniid":
      return {
        experiment,
        config,
        replicates: base.replicates,
        grid: [
          { scenario: ["iid"], mixing: [null], profile: ["balanced"], ...common },
          { scenario: ["shift"], mixing: [0.5, 0], profile: ["balanced"], ...common },
          { scenario: ["d3"], mixing: [null], profile: ["balanced"], ...common },
        ],
      };
    default:
      throw new Error(`Unknown synthetic experiment '${experiment as string}'; choose from ${SYNTHETIC_EXPERIMENTS.join(", ")}.`);
  }
}
