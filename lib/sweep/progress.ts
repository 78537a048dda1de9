import type { Setting } from "./grid";
import { describeSetting } from "./grid";

/** State of a sweep, sent to `onProgress` after each event. */
export interface SweepProgress {
  /**
   * "start" before the first cell, "cached" when a cell was read from the cache, "cell-start" and "cell-done"
   * around a computed cell, "message" for a progress message from inside a cell, "end" after the last cell.
   */
  event: "start" | "cached" | "cell-start" | "cell-done" | "message" | "end";
  /** Cells finished (computed or read from the cache) out of `total`, the cells of this shard. */
  done: number;
  total: number;
  /** Finished cells that were read from the cache. */
  cached: number;
  /** Seconds since the sweep started. */
  elapsedSeconds: number;
  /**
   * Estimated seconds left: the mean time of the cells computed so far times the cells left. Null until
   * one cell has been computed.
   */
  remainingSeconds: number | null;
  /** The current cell, for the cell events. */
  setting?: Setting;
  replicate?: number;
  /** Progress message of the running cell, for "message". */
  message?: string;
}

/** A writable text stream, such as process.stderr. */
export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Returns an onProgress handler that shows the sweep on one line of `stream` (default stderr):
 * "sweep d2: 12/150 cells (4 cached) | 3m10s elapsed | ~1h02m left | profile=severe replicate 5: local fits 9/16".
 * On a terminal the line is redrawn in place. Elsewhere (a log file of a cluster job) one line is printed
 * per finished cell, at start and at end, and in-cell messages are left out.
 */
export function progressLine(label: string, stream: TextStream = process.stderr): (progress: SweepProgress) => void {
  const interactive = stream.isTTY === true;
  let lastMessage = "";

  return (progress) => {
    if (progress.event === "message") lastMessage = progress.message ?? "";
    if (progress.event === "cell-start" || progress.event === "cached") lastMessage = "";

    if (interactive) {
      const line = formatProgress(label, progress, lastMessage);
      const width = Math.max(20, (stream.columns ?? 120) - 1);
      stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width - 1) + "…" : line}`);
      if (progress.event === "end") stream.write("\n");
      return;
    }
    if (progress.event === "start" || progress.event === "cell-done" || progress.event === "end") stream.write(formatProgress(label, progress) + "\n");
  };
}

/** Formats one progress line; see progressLine. */
export function formatProgress(label: string, progress: SweepProgress, message = ""): string {
  const parts = [
    `${label}: ${progress.done}/${progress.total} cells${progress.cached > 0 ? ` (${progress.cached} cached)` : ""}`,
    `${formatDuration(progress.elapsedSeconds)} elapsed`,
  ];
  if (progress.event === "end") {
    parts.push("finished");
  } else if (progress.remainingSeconds !== null) {
    parts.push(`~${formatDuration(progress.remainingSeconds)} left`);
  }

  if (progress.setting && progress.event !== "end") {
    const cell = `${describeSetting(progress.setting)} replicate ${progress.replicate}`;
    parts.push(message ? `${cell}: ${message}` : cell);
  }
  return parts.join(" | ");
}

/** Formats seconds as "42s", "3m10s" or "1h02m". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Returns an onProgress handler that logs one line at the start, after each computed cell and at the end,
 * e.g. into a notebook's output through console.log. Cells read from the cache are counted in the last line only.
 */
export function progressLog(label: string, log: (line: string) => void = console.log): (progress: SweepProgress) => void {
  return (progress) => {
    if (progress.event === "start" || progress.event === "cell-done" || progress.event === "end") log(formatProgress(label, progress));
  };
}
