import type { Dataset } from "../model/types";
import { stackLocalModels, type StackedMixture } from "./mixture";
import type { LocalModel } from "./types";
import { readSupportPoints, validateLocalModels, validateReducedSize, type SupportPoints } from "./validate";

/**
 * Validates the inputs shared by every aggregation method and stacks the local models at the support points.
 *
 * @param requireEqualK - name of a method that needs K_m = K on every machine; the error names it and the machine
 * @param shared - put the S × L arrays of the mixture in shared memory, for helper threads (see stackLocalModels)
 */
export function prepareAggregation(
  localModels: readonly LocalModel[],
  support: Float64Array | Dataset,
  K: number,
  requireEqualK?: string,
  shared = false,
): { mixture: StackedMixture; support: SupportPoints } {
  const { d, features, L } = validateLocalModels(localModels);
  validateReducedSize(K, L);

  if (requireEqualK) {
    const different = localModels.findIndex((local) => local.model.K !== K);
    if (different >= 0) {
      throw new Error(
        `${requireEqualK} needs K_m = K = ${K} experts on every machine, but machine ${different + 1} has K_m = ${localModels[different].model.K}; ` +
          "use reduceLocalModels or greedyMerge for machines with different numbers of experts.",
      );
    }
  }

  const points = readSupportPoints(support, d, features);
  return { mixture: stackLocalModels(localModels, points, shared), support: points };
}
