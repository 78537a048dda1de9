import { resolve } from "node:path";
import { availableParallelism } from "node:os";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

import type { TryOutcome, TryRequest } from "./try";
import { TRY_DONE, TRY_FAILED, TRY_PENDING, type TryReply } from "./try-worker";

/**
 * Code of a helper thread: it loads the compiled try-worker module and serves tries. If the module cannot be
 * loaded, or the thread throws outside a try, the state word is set to TRY_FAILED and the caller runs the try itself.
 */
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const fail = () => { Atomics.store(workerData.state, 0, ${TRY_FAILED}); Atomics.notify(workerData.state, 0); };
process.on("uncaughtException", fail);
try { require(workerData.file).serveTries(workerData.port, workerData.state); } catch { fail(); }
`;

/**
 * A helper thread that runs tries of the OT reduction while the calling thread runs others. Requests and
 * replies go through a message port, and the caller waits on a shared state word (Atomics.wait), so the
 * reduction stays a synchronous function. Large arrays of the stacked mixture travel without a copy when they
 * live in shared memory (see stackLocalModels).
 */
export class TryThread {
  /**
   * Idle helper threads, kept for the next reduction in this process: a kept thread has its code loaded and
   * optimized, so later reductions skip the start-up (about 40 ms) and the slow first runs of the hot loops.
   * The threads do not keep the process alive.
   */
  private static readonly idle: TryThread[] = [];

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly state: Int32Array,
  ) {}

  /** Starts a helper thread; it loads its code while the caller goes on. Returns null when no thread can be started. */
  static spawn(): TryThread | null {
    try {
      const state = new Int32Array(new SharedArrayBuffer(4));
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(BOOTSTRAP, {
        eval: true,
        workerData: { file: resolve(__dirname, "try-worker.js"), port: port2, state },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      return new TryThread(worker, port1, state);
    } catch {
      return null;
    }
  }

  /** Returns `count` helper threads: idle ones first, then new ones. Fewer when no thread can be started. */
  static acquire(count: number): TryThread[] {
    const helpers: TryThread[] = [];
    while (helpers.length < count) {
      const helper = TryThread.idle.pop() ?? TryThread.spawn();
      if (!helper) break;
      if (Atomics.load(helper.state, 0) === TRY_FAILED) helper.close();
      else helpers.push(helper);
    }
    return helpers;
  }

  /**
   * Keeps helper threads for later reductions, at most as many as the machine has cores. A thread that failed
   * or still runs a try (because the caller stopped on an error) is stopped instead.
   */
  static release(helpers: readonly TryThread[]): void {
    for (const helper of helpers) {
      const state = Atomics.load(helper.state, 0);
      if (state === TRY_DONE && TryThread.idle.length < availableParallelism()) TryThread.idle.push(helper);
      else helper.close();
    }
  }

  /** Sends one try; false when the thread has failed, so the caller runs the try itself. */
  submit(request: TryRequest): boolean {
    if (Atomics.load(this.state, 0) === TRY_FAILED) return false;
    Atomics.store(this.state, 0, TRY_PENDING);
    this.port.postMessage(request);
    return true;
  }

  /**
   * Waits for the reply to the last request. Returns null when the thread failed before its reply. An error
   * thrown by the try is thrown here again.
   */
  collect(): TryOutcome | null {
    while (Atomics.load(this.state, 0) === TRY_PENDING) Atomics.wait(this.state, 0, TRY_PENDING);
    if (Atomics.load(this.state, 0) === TRY_FAILED) return null;

    // The reply is queued on the port before the state word is set, so it is there now.
    const received = receiveMessageOnPort(this.port);
    if (!received) return null;
    const reply = received.message as TryReply;
    if ("error" in reply) throw new Error(reply.error);
    return reply.outcome;
  }

  /** Stops the thread. */
  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}
