import type { StackedMixture } from "./mixture";
import { runTransportMM, type TransportMMResult } from "./mm";
import { startingPoint, type StartName } from "./starts";
import type { LocalModel } from "./types";
import type { SupportPoints } from "./validate";

/** Everything one try of the OT reduction needs; it can be posted to another thread. */
export interface TryRequest {
  start: StartName;
  /** Seed of the start (ignored by starts that draw no random numbers). */
  seed: number;
  mixture: StackedMixture;
  localModels: readonly LocalModel[];
  support: SupportPoints;
  K: number;
  tolerance?: number;
  maxIterations?: number;
}

/** Result of one try: an MM run, or the reason its start does not apply. */
export type TryOutcome = { run: TransportMMResult } | { skipped: string };

/** Builds the starting point of a try and runs the MM algorithm from it. */
export function runTry(request: TryRequest): TryOutcome {
  const { start, seed, mixture, localModels, support, K } = request;
  const initial = startingPoint(start, mixture, localModels, support, K, seed);
  if (typeof initial === "string") return { skipped: initial };

  return { run: runTransportMM(mixture, initial, { tolerance: request.tolerance, maxIterations: request.maxIterations }) };
}
