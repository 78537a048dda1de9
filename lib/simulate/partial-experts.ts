import type { Dataset } from "../model/types";
import { designStreams, requireInteger, type DesignSeeds } from "./common";
import { IMBALANCE_EXPERTS, drawClassConditional, drawImbalanceParameters, type ImbalanceParameters, type ImbalanceProfile } from "./imbalance";

/** Number of experts that generate the data of each machine in design D3. */
export const EXPERTS_PER_MACHINE = 3;

/** Options of design D3. */
export interface PartialExpertsDesignOptions extends DesignSeeds {
  /** Total number of points over all machines; machine sizes differ by at most 1. */
  n: number;
  /** Number of machines M, 16 by default. */
  machines?: number;
  /** Class-proportion profile of the shared D2 truth, "balanced" by default. */
  profile?: ImbalanceProfile;
}

/** The data of one machine of design D3. */
export interface MachineData {
  /** The machine's points. */
  data: Dataset;
  /** Global expert index (0..4) that generated each point, length n_m. */
  labels: Int32Array;
  /** The 3 global experts that generate this machine's data: s, s+1, s+2 modulo 5. */
  experts: number[];
}

/** Design D3 data: per-machine data sets and the global D2 truth. */
export interface PartialExpertsDesign extends ImbalanceParameters {
  /** One entry per machine, length M. */
  machines: MachineData[];
}

/**
 * Design D3, machines that see different experts. The truth is the D2 truth (K = 5, d = 20) drawn from
 * `parameterSeed` (or from `seed`), so generateImbalanceDesign with the same profile and parameterSeed
 * draws test data from the same truth. The data of machine m come from experts s, s+1, s+2 modulo 5 with
 * s = m mod 5: z is drawn among them with the proportions π renormalised over the three, X | z ~ N(μ_z, I), and y from
 * expert z.
 *
 * NOTE: the pooled machine data do not follow the truth's class proportions π. Each machine renormalises π
 * over its three experts, and when M is not a multiple of 5 some experts are seen by more machines than
 * others (for M = 16, experts 0, 1, 2 by 10 machines and experts 3, 4 by 9).
 */
export function generatePartialExpertsDesign(options: PartialExpertsDesignOptions): PartialExpertsDesign {
  const M = options.machines ?? 16;
  requireInteger("machines", M, 1);
  requireInteger("n", options.n, M);

  const streams = designStreams(options);
  const parameters = drawImbalanceParameters(streams.parameters, options.profile ?? "balanced");

  const machines: MachineData[] = [];
  for (let m = 0; m < M; m++) {
    const first = m % IMBALANCE_EXPERTS;
    const experts = Array.from({ length: EXPERTS_PER_MACHINE }, (_, offset) => (first + offset) % IMBALANCE_EXPERTS);

    // Sizes floor(n/M) or floor(n/M) + 1, the larger ones first.
    const size = Math.floor(options.n / M) + (m < options.n % M ? 1 : 0);
    const drawn = drawClassConditional(streams.data, parameters, experts, size);
    machines.push({ data: drawn.data, labels: drawn.labels, experts });
  }

  return { ...parameters, machines };
}
