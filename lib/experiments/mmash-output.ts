/**
 * Writes the outputs of the MMASH experiment so that an interrupted run leaves no partial file. Every file is
 * first written into a staging folder inside the output folder. Only after all of them are complete is each one
 * renamed into place, and a rename within one file system replaces the target in a single step.
 *
 * NOTE: a process killed while writing (SIGKILL, or a second Ctrl-C) leaves its hidden `.staging-<pid>-<time>`
 * folder behind. Nothing reads it, so it can be deleted.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { writeFileAtomic } from '../io/atomic';
import { writeModelFile } from '../model/file';
import type { MoEModel } from '../model/types';
import { chromiumAvailable } from '../plots/chromium';
import type { Figure } from '../plots/figure';
import { figureHtmlPage } from '../plots/html';
import { writeFigureImages } from '../plots/image';
import { plotlyBundle } from '../plots/plotly-bundle';

/** Everything the experiment writes, by path relative to the output folder. */
export interface MmashOutputs {
  /** Text files, e.g. 'table.md'. */
  texts: { path: string; content: string }[];
  /** Model files, e.g. 'models/random-ot.json'. */
  models: { path: string; model: MoEModel; n?: number }[];
  /** Figures, written as figures/<name>.html and, with images on, figures/<name>.png. */
  figures: { name: string; figure: Figure }[];
}

/** Options of writeMmashOutputs. */
export interface WriteOutputsOptions {
  /** Render PNG images in headless Chromium; without Chromium the PNG files are skipped with a warning. */
  images: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Writes the outputs into `outDir` and returns the paths written (relative to outDir) and any warnings.
 * The HTML figures load plotly.js from one copy, figures/plotly-<version>.js, so each page stays small.
 * Throws the abort reason when `signal` fires before the files are moved into place; nothing is moved then.
 */
export async function writeMmashOutputs(outDir: string, outputs: MmashOutputs, options: WriteOutputsOptions): Promise<{ files: string[]; warnings: string[] }> {
  const progress = options.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  mkdirSync(outDir, { recursive: true });
  const staging = join(outDir, `.staging-${process.pid}-${Date.now()}`);

  try {
    const write = (path: string, action: (target: string) => void): void => {
      options.signal?.throwIfAborted();
      const target = join(staging, path);
      mkdirSync(dirname(target), { recursive: true });
      action(target);
    };

    for (const text of outputs.texts) write(text.path, (target) => writeFileAtomic(target, text.content));
    for (const model of outputs.models) write(model.path, (target) => writeModelFile(target, model.model, model.n !== undefined ? { n: model.n } : {}));

    const bundle = plotlyBundle();
    const plotlyFile = `plotly-${bundle.version}.js`;
    if (outputs.figures.length > 0 && !sameSize(join(outDir, 'figures', plotlyFile), bundle.path)) {
      write(join('figures', plotlyFile), (target) => copyFileSync(bundle.path, target));
    }
    for (const { name, figure } of outputs.figures) {
      write(join('figures', `${name}.html`), (target) => writeFileAtomic(target, figureHtmlPage(figure, { src: plotlyFile })));
    }

    if (options.images && outputs.figures.length > 0) {
      if (chromiumAvailable()) {
        options.signal?.throwIfAborted();
        progress(`rendering ${outputs.figures.length} PNG figures in headless Chromium`);
        mkdirSync(join(staging, 'figures'), { recursive: true });
        await writeFigureImages(outputs.figures.map(({ name, figure }) => ({ figure, path: join(staging, 'figures', `${name}.png`), options: { width: 1000, height: 640, scale: 2 } })));
      } else {
        warnings.push('PNG figures skipped: Chromium not found (apt-get install chromium, or set OTMOE_CHROMIUM).');
      }
    }

    options.signal?.throwIfAborted();
    const files = listFiles(staging);
    for (const file of files) {
      mkdirSync(dirname(join(outDir, file)), { recursive: true });
      renameSync(join(staging, file), join(outDir, file));
    }
    return { files, warnings };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Relative paths of the files under `folder`, sorted. */
function listFiles(folder: string): string[] {
  const entries = readdirSync(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

function sameSize(path: string, reference: string): boolean {
  return existsSync(path) && statSync(path).size === statSync(reference).size;
}
