import { type ExportTiming, runExport } from "./exports";
import { sleep } from "./processes";
import type { SectionContext } from "./section";
import { startWorker } from "./worker";

/** The reference size the whole table is compared with. */
const REFERENCE_ROWS = 1_000_000;

/**
 * Issue 15, target 3 (BENCH_SCALE=10): a CSV export of the whole table (10M rows) takes ≤ 11× the time of the
 * first 1M rows (`id__lte=1000000`, the same table, so the same index depth and the same count query), and a
 * worker's peak RSS stays ≤ 200 MB and ≤ 1.25× its peak at 1M. The sizes alternate, each export in a fresh
 * worker (its peak is its own); best time and highest peak of `repeat` runs.
 */
export async function runScale(o: SectionContext) {
  const { db, admin, report, log } = o;
  if (o.products <= REFERENCE_ROWS) {
    report.note(`scale: needs more than ${REFERENCE_ROWS.toLocaleString("en")} products (BENCH_SCALE=10)`);
    return;
  }
  const sizes = [
    { name: "reference", rows: REFERENCE_ROWS, path: `/api/v1/products/?id__lte=${REFERENCE_ROWS}` },
    { name: "all", rows: o.products, path: "/api/v1/products/" },
  ];
  log(
    `\n[scale] CSV export of ${o.products.toLocaleString("en")} vs ${REFERENCE_ROWS.toLocaleString("en")} rows, a fresh worker each (best of ${o.repeat})`,
  );
  const runs: Record<string, ExportTiming[]> = { reference: [], all: [] };
  const peaks: Record<string, number[]> = { reference: [], all: [] };
  for (let i = 0; i < o.repeat; i++) {
    for (const size of sizes) {
      const worker = await startWorker({ DATABASE_URL: db.url, STORAGE_DIR: o.storageDir });
      try {
        await sleep(500); // settled on LISTEN: the export's time is not a poll's wait
        worker.rss.takePeak();
        const r = await runExport(db, admin, "csv", size.path, o.storageDir, 1_800_000);
        const peak = worker.rss.takePeak();
        if (r.rows !== size.rows) throw new Error(`export ${r.id}: ${r.rows} rows, not ${size.rows}`);
        runs[size.name]?.push(r);
        peaks[size.name]?.push(peak);
        log(
          `  run ${i + 1}: ${size.rows.toLocaleString("en")} rows ${r.ms.toFixed(0)} ms (${r.pages} pages, ${((r.bytes ?? 0) / 1e6).toFixed(0)} MB), worker peak ${peak.toFixed(0)} MB`,
        );
      } finally {
        await worker.stop();
      }
    }
  }
  report.extra.scale = { runs, peaks };
  const best = (xs: ExportTiming[] = []) => Math.min(...xs.map((r) => r.ms));
  const factor = o.products / REFERENCE_ROWS;
  const ratio = best(runs.all) / best(runs.reference);
  report.add({
    section: "scale",
    name: `CSV export, ${o.products.toLocaleString("en")} vs ${REFERENCE_ROWS.toLocaleString("en")} rows (time ratio)`,
    value: best(runs.all),
    unit: "ms",
    baseline: best(runs.reference),
    ratio,
    target: `≤ ${(factor * 1.1).toFixed(0)}`,
    pass: ratio <= factor * 1.1,
  });
  const peakAll = Math.max(...(peaks.all ?? []));
  const peakRef = Math.max(...(peaks.reference ?? []));
  report.add({
    section: "scale",
    name: `worker peak RSS, ${o.products.toLocaleString("en")}-row CSV export`,
    value: peakAll,
    unit: "MB",
    target: "≤ 200",
    pass: peakAll <= 200,
  });
  report.add({
    section: "scale",
    name: `worker peak RSS, ${o.products.toLocaleString("en")} vs ${REFERENCE_ROWS.toLocaleString("en")} rows`,
    value: peakAll,
    unit: "MB",
    baseline: peakRef,
    ratio: peakAll / peakRef,
    target: "≤ 1.25",
    pass: peakAll / peakRef <= 1.25,
  });
}
