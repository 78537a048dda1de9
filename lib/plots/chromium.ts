import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Debian's Chromium, used unless the OTMOE_CHROMIUM environment variable names another binary. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * Flags for a headless run that contacts no host: no sandbox (it fails as root), no GPU, no
 * background, component-update or sync traffic, and every host name resolving to "not found",
 * so a page can load only local files.
 */
export const HEADLESS_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND",
];

export interface DumpDomOptions {
  /** Wall-clock limit for the Chromium process in ms (default 120 000). */
  timeoutMs?: number;
  /**
   * Virtual time in ms that Chromium lets the page run before it dumps the DOM (default 600 000).
   * Virtual time only advances while the page is idle, so a long render does not use it up.
   */
  virtualTimeBudgetMs?: number;
}

/** Returns the Chromium binary to run, or throws with the install command if it is missing. */
export function chromiumPath(): string {
  const candidate = process.env.OTMOE_CHROMIUM || DEFAULT_CHROMIUM;
  try {
    accessSync(candidate, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${candidate}; install it with "apt-get install chromium" ` +
        "or set OTMOE_CHROMIUM to the path of a Chromium or Chrome binary.",
    );
  }
  return candidate;
}

/** Returns true when chromiumPath() finds an executable Chromium. */
export function chromiumAvailable(): boolean {
  try {
    chromiumPath();
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads a local page in headless Chromium with a fresh, temporary profile and returns the DOM
 * serialized after the page's scripts have run (Chromium's --dump-dom).
 */
export async function dumpDom(url: string, options: DumpDomOptions = {}): Promise<string> {
  if (!url.startsWith("file://")) {
    throw new Error(`dumpDom loads only local files, got ${url}; pass a file:// URL.`);
  }

  const binary = chromiumPath();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const profile = mkdtempSync(path.join(os.tmpdir(), "otmoe-chromium-"));
  const args = [
    ...HEADLESS_FLAGS,
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${options.virtualTimeBudgetMs ?? 600_000}`,
    "--dump-dom",
    url,
  ];

  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(binary, args, { timeout: timeoutMs, maxBuffer: 1 << 30, encoding: "utf8" }, (error, stdout, stderr) => {
        if (error) {
          const reason = error.killed ? `timed out after ${timeoutMs} ms` : `failed (${error.message.split("\n")[0]})`;
          reject(new Error(`Chromium ${reason} while loading ${url}. Its stderr ends with:\n${lastLines(stderr, 10)}`));
          return;
        }
        resolve(stdout);
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}
