/**
 * Synthetic designs of the experiments: D1 clustered covariates, D2 imbalance profiles, D3 machines that
 * see different experts. Every draw is seeded. In each result the true model's experts are in the order
 * of the labels, which need not be the canonical order.
 */
export { generateClusteredDesign as generateD1, generateClusteredDesign, type ClusteredDesign, type ClusteredDesignOptions } from "./clustered";
export {
  IMBALANCE_COVARIATES,
  IMBALANCE_EXPERTS,
  IMBALANCE_PROFILES,
  drawClassConditional,
  drawImbalanceParameters,
  generateImbalanceDesign as generateD2,
  generateImbalanceDesign,
  type ImbalanceDesign,
  type ImbalanceDesignOptions,
  type ImbalanceParameters,
  type ImbalanceProfile,
} from "./imbalance";
export {
  EXPERTS_PER_MACHINE,
  generatePartialExpertsDesign as generateD3,
  generatePartialExpertsDesign,
  type MachineData,
  type PartialExpertsDesign,
  type PartialExpertsDesignOptions,
} from "./partial-experts";
export type { DesignSeeds, SyntheticData } from "./common";
