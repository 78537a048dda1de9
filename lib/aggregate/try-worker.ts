import type { MessagePort } from "node:worker_threads";

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
}
