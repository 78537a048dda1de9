import { setMaxListeners } from "node:events";

import { runReport, type ReportPart } from "../lib/report/run";
import { progressLine } from "../lib/sweep/progress";
import { parsePositiveInteger } from "./options";

export interface ReportCommandOptions {
  out: string;
  /** Commander sets `cache: false` for --no-cache. */
  cache?: boolean;
  cacheRoot: string;
  full?: boolean;
  replicates?: string;
  parts?: string;
  images: boolean;
}

/** `otmoe report`: reruns the quickstart and every synthetic sweep (cached) and writes all tables and figures. */
export async function runReportCommand(options: ReportCommandOptions): Promise<void> {
  const controller = new AbortController();
  // Each local fit of a cell listens on the signal, so M machines add M listeners; 0 lifts Node's limit of 10.
  setMaxListeners(0, controller.signal);
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: stopping the running cell; finished cells stay in the cache\n");
    controller.abort();
  });

  await runReport({
    outDir: options.out,
    quick: options.full !== true,
    replicates: options.replicates !== undefined ? parsePositiveInteger(options.replicates, "--replicates") : undefined,
    cacheRoot: options.cache === false ? undefined : options.cacheRoot,
    parts: options.parts !== undefined ? (options.parts.split(",").map((part) => part.trim()) as ReportPart[]) : undefined,
    images: options.images,
    progress: (label) => progressLine(label),
    signal: controller.signal,
  });
  console.log(`report written to ${options.out}/README.md`);
}
