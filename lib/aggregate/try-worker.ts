import type { MessagePort } from "node:worker_threads";

import { Random } from "../random";
import { sampleStandardNormal } from "../model/sample";
import { drawImbalanceParameters } from "../simulate/imbalance";
import { prepareAggregation } from "./prepare";
import { runTry, type TryOutcome, type TryRequest } from "./try";

/** Values of the shared state word of a helper thread. */
export const TRY_PENDING = 0;
export const TRY_DONE = 1;
export const TRY_FAILED = 2;

/** Reply of a helper thread: the outcome of its try, or the message of the error it threw. */
export type TryReply = { outcome: TryOutcome } | { error: string };

/**
 * Runs the tries that arrive on `port` on a helper thread. Each reply goes back on the same port, and then
 * `state` is set to TRY_DONE and notified, so that the requesting thread can wait for it without an event loop.
 */
export function serveTries(port: MessagePort, state: Int32Array): void {
  port.on("message", (request: TryRequest) => {
    let reply: TryReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const outcome = runTry(request);
      reply = { outcome };
      if ("run" in outcome) {
        const { plan } = outcome.run;
        transfer = [plan.assignment, plan.mass, plan.reference, plan.firstMoments, plan.secondMoments].map((array) => array.buffer as ArrayBuffer);
      }
    } catch (error) {
      reply = { error: (error as Error).message };
    }

    port.postMessage(reply, transfer);
    Atomics.store(state, 0, TRY_DONE);
    Atomics.notify(state, 0);
  });

  // The caller stacks the mixture while this thread waits, so the time is free for compiling the hot loops.
  warmUp();
}

/** Support points of the warm-up try. */
const WARM_UP_POINTS = 300;

/**
 * Runs one short try on 300 support points and 20 components (about 35 ms) so that the compiler optimizes the
 * MM loops before the first request. On a cold thread the aligned-average try of the 1.28 million-pair
 * aggregation benchmark took about 300 ms, and after this warm-up about 250 ms.
 */
function warmUp(): void {
  const random = new Random(1);
  const localModels = Array.from({ length: 4 }, () => ({ model: drawImbalanceParameters(random).truth, n: 100 }));
  const { K, d } = localModels[0].model;
  const { mixture, support } = prepareAggregation(localModels, sampleStandardNormal(WARM_UP_POINTS, d, random), K);
  runTry({ start: "random", seed: 1, mixture, localModels, support, K, maxIterations: 5 });
}
