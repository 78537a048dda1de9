/** A Jupyter MIME bundle: MIME type → data (a string, or a JSON object for JSON MIME types). */
export type MimeBundle = Record<string, unknown>;

interface TslabJupyter {
  lastWriteDisplayData: ((message: { data: MimeBundle; metadata: object; transient?: object }, update: boolean) => void) | null;
}

interface TslabPublic {
  display: { raw(contentType: string, data: unknown): void };
}

/**
 * Sends one display_data message with several MIME types through the running tslab kernel, so the
 * frontend picks the richest type it can render.
 *
 * tslab's public `display.raw` sends a single MIME type per output, so this calls the function
 * behind it (`lastWriteDisplayData` in tslab/dist/jupyter, tslab 1.0.x). If a tslab version lacks that
 * module, only the first MIME type of the bundle is sent through `display.raw`.
 */
export function displayBundle(bundle: MimeBundle): void {
  const jupyter = loadOptional<TslabJupyter>("tslab/dist/jupyter");
  if (jupyter && "lastWriteDisplayData" in jupyter) {
    if (typeof jupyter.lastWriteDisplayData !== "function") throw notInKernel();
    jupyter.lastWriteDisplayData({ data: bundle, metadata: {}, transient: {} }, false);
    return;
  }

  // NOTE: fallback for a tslab layout other than 1.0.x; frontends then get no HTML or text alternative.
  const tslab = loadOptional<TslabPublic>("tslab");
  if (!tslab) {
    throw new Error("Package tslab not found; notebooks need it: run npm install in the otmoe folder (it is a devDependency).");
  }
  const [mimeType, data] = Object.entries(bundle)[0];
  try {
    tslab.display.raw(mimeType, data);
  } catch {
    throw notInKernel();
  }
}

function notInKernel(): Error {
  return new Error(
    "No tslab kernel runs in this process, so there is no notebook output to display into. " +
      "In a script, write the figure with writeFigureHtml or writeFigureImage instead.",
  );
}

function loadOptional<T>(moduleName: string): T | undefined {
  try {
    return require(moduleName) as T;
  } catch (error) {
    // Only a missing `moduleName` itself counts as absent; a missing dependency of it is a real error.
    const missing = (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && (error as Error).message.includes(`'${moduleName}'`);
    if (missing) return undefined;
    throw error;
  }
}
