import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { writeFileAtomic } from "../io/atomic";
import { writeFigureHtml } from "../plots/html";
import { writeFigureImages, type ImageJob } from "../plots/image";
import { markdownTable } from "../plots/table";
import { sweepTableCsv } from "../sweep/table";
import type { ReportSection } from "./section";

export interface WriteReportOptions {
  /** Title of the index page. */
  title: string;
  /** Markdown paragraph under the title (how the report was made). */
  preamble: string;
  /** Also render PNG images in headless Chromium. Default true. */
  images?: boolean;
}

/**
 * Writes the report into `outDir`: for each section its tables as <section>-<name>.md and .csv, its figures as
 * interactive <section>-<name>.html (sharing one copy of plotly.js in the folder) and, with images, as
 * <section>-<name>.png (900 × 560 px, rendered at twice the resolution in one Chromium run), and an index
 * README.md that shows every table and image. Returns the paths written.
 */
export async function writeReport(sections: readonly ReportSection[], outDir: string, options: WriteReportOptions): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const imageJobs: ImageJob[] = [];
  const index = [`# ${options.title}`, "", options.preamble, ""];

  for (const section of sections) {
    index.push(`## ${section.title}`, "", section.text, "");

    for (const table of section.tables) {
      const base = join(outDir, `${section.name}-${table.name}`);
      const markdown = markdownTable(table.rows, { caption: table.caption });
      const columns = table.rows.length > 0 ? Object.keys(table.rows[0]) : [];
      writeFileAtomic(`${base}.md`, markdown + "\n");
      writeFileAtomic(`${base}.csv`, sweepTableCsv({ columns, rows: table.rows as never }));
      written.push(`${base}.md`, `${base}.csv`);
      index.push(markdown, "", `(also as [CSV](${section.name}-${table.name}.csv))`, "");
    }

    for (const { name, figure } of section.figures) {
      const file = `${section.name}-${name}`;
      written.push(writeFigureHtml(figure, join(outDir, `${file}.html`), { plotly: "sibling" }));
      if (options.images ?? true) {
        imageJobs.push({ figure, path: join(outDir, `${file}.png`), options: { scale: 2 } });
        index.push(`![${file}](${file}.png)`, "");
      }
      index.push(`[interactive figure](${file}.html)`, "");
    }
  }

  if (imageJobs.length > 0) written.push(...(await writeFigureImages(imageJobs)));
  const indexPath = join(outDir, "README.md");
  writeFileAtomic(indexPath, index.join("\n"));
  written.push(indexPath);
  return written;
}
