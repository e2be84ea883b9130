import path from "node:path";
import { type Actor, type ExportFormat, keys, LocalStorage } from "@exports/core";
import type { BenchDatabase } from "./database";
import { allFields, copyBaseline, type ExportTiming, runExport } from "./exports";
import { cpuMs, threadCpuMs } from "./processes";
import { addExportRatios, type Report } from "./report";
import { startWorker } from "./worker";

/** The targets of issue 15 for an export of every field (jsonb and date-times included). */
const TARGETS = { csv: 0.9, json: 1.2, xls: 2.5 };
const FORMATS: ExportFormat[] = ["csv", "xls", "json"];
/** BENCH_FIELDS_RESOURCES=orders narrows the section to one table (while working on its figures). */
const RESOURCES = (process.env.BENCH_FIELDS_RESOURCES ?? "products,orders").split(",");

export interface AllFieldsOptions {
  db: BenchDatabase;
  admin: Actor;
  storageDir: string;
  workDir: string;
  workerEnv: Record<string, string>;
  repeat: number;
  report: Report;
  log: (line: string) => void;
}

/**
 * Products and orders with every field ("Choose all"), each against PostgreSQL's COPY of the same columns of its
 * own table: the COPY and the three formats interleaved, best of `repeat` each, through a fresh worker.
 */
export async function runAllFields(options: AllFieldsOptions) {
  const { db, admin, storageDir, workDir, workerEnv, repeat, report, log } = options;
  const worker = await startWorker(workerEnv);
  // Each export's file is removed once measured (nothing later reads these), as the COPY's is overwritten. Kept,
  // they grew the page cache by GBs into memory this VM had not touched since boot, and the worker's writes into
  // such pages (`copy_folio_from_iter_atomic`, perf) cost its pool several times more: the section's last exports
  // paid for its first ones' files, the baseline never did (BENCHMARKS.md, "A full collection every 100 ms").
  const results = new LocalStorage(storageDir);
  try {
    worker.rss.takePeak();
    for (const resource of RESOURCES) {
      const { names, columns } = allFields(resource);
      log(
        `\n[exports] ${resource}, all ${names.length} fields, vs COPY of the same columns (best of ${repeat})`,
      );
      const copyMs: number[] = [];
      const copyCpu: (number | null)[] = [];
      const runs: Record<string, ExportTiming[]> = { csv: [], xls: [], json: [] };
      // CPU times beside the wall times: on a shared machine they move far less (the worker's own, COPY's backend).
      const workerCpu: Record<string, (number | null)[]> = { csv: [], xls: [], json: [] };
      // Issue 15, target 2: the XLSX export's CPU by thread (main: the JS; others: deflate on libuv's pool, GC).
      const xlsThreads: { ms: number; main: number; others: number }[] = [];
      const pid = worker.process.child.pid ?? 0;
      for (let i = 0; i < repeat; i++) {
        // The COPY overwrites one file, so its pages in the page cache are reused.
        const base = await copyBaseline(db.url, path.join(workDir, "copy-all.csv"), resource, columns);
        copyMs.push(base.ms);
        copyCpu.push(base.serverCpuMs);
        const line = [`copy ${base.ms.toFixed(0)} ms (server CPU ${base.serverCpuMs ?? "?"} ms)`];
        for (const format of FORMATS) {
          const cpu0 = cpuMs(pid);
          const threads0 = threadCpuMs(pid);
          const r = await runExport(db, admin, format, `/api/v1/${resource}/`, storageDir, 600_000, names);
          const cpu1 = cpuMs(pid);
          const threads1 = threadCpuMs(pid);
          await results.removePrefix(keys.resultPrefix(r.id));
          const cpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
          runs[format]?.push(r);
          workerCpu[format]?.push(cpu);
          let split = "";
          if (threads0 && threads1) {
            const main = threads1.main - threads0.main;
            const others = threads1.others - threads0.others;
            split = `: main thread ${main}, other threads ${others}`;
            if (format === "xls") xlsThreads.push({ ms: r.ms, main, others });
          }
          line.push(
            `${format} ${r.ms.toFixed(0)} ms (${((r.bytes ?? 0) / 1e6).toFixed(1)} MB, worker CPU ${cpu ?? "?"} ms${split})`,
          );
        }
        log(`  run ${i + 1}: ${line.join(" · ")}`);
      }
      const best = (xs: ExportTiming[]) => xs.reduce((a, b) => (a.ms <= b.ms ? a : b));
      const copy = Math.min(...copyMs);
      const csv = best(runs.csv ?? []);
      const xls = best(runs.xls ?? []);
      const json = best(runs.json ?? []);
      const name = `${resource}, all fields`;
      report.add({ section: "fields", name: `${name}: COPY baseline`, value: copy, unit: "ms" });
      addExportRatios(
        report,
        "fields",
        `${name}: `,
        { copy, csv: csv.ms, xls: xls.ms, json: json.ms },
        TARGETS,
      );
      const least = (xs: (number | null)[] = []) => {
        const known = xs.filter((x): x is number => x !== null);
        return known.length ? Math.min(...known) : null;
      };
      const serverCpu = least(copyCpu);
      const csvCpu = least(workerCpu.csv);
      if (serverCpu !== null && serverCpu > 0 && csvCpu !== null) {
        report.add({
          section: "fields",
          name: `${name}: worker CPU per CSV export (× COPY's server CPU)`,
          value: csvCpu,
          unit: "ms",
          baseline: serverCpu,
          ratio: csvCpu / serverCpu,
        });
      }
      addXlsxThreads(report, name, xlsThreads);
      report.extra[`all_fields_${resource}_runs`] = {
        copy_ms: copyMs,
        copy_server_cpu_ms: copyCpu,
        worker_cpu_ms: workerCpu,
        xls_threads_ms: xlsThreads,
        ...runs,
      };
    }
    report.extra.all_fields_worker_peak_mb = worker.rss.takePeak();
  } finally {
    await worker.stop();
  }
}

/**
 * Issue 15, target 2 ("a single XLSX export no longer bound to one core"), for the fastest XLSX run: the worker's
 * main-thread CPU and its other threads' CPU, each over the export's wall time, and their sum (the cores in use).
 */
function addXlsxThreads(report: Report, name: string, runs: { ms: number; main: number; others: number }[]) {
  const best = runs.reduce<(typeof runs)[number] | null>((a, b) => (a && a.ms <= b.ms ? a : b), null);
  if (!best) return;
  const figure = (label: string, value: number) =>
    report.add({
      section: "fields",
      name: `${name}: XLSX worker ${label} (÷ wall time)`,
      value,
      unit: "ms",
      baseline: best.ms,
      ratio: value / best.ms,
    });
  figure("main-thread CPU", best.main);
  figure("other threads' CPU", best.others);
  figure("CPU, all threads", best.main + best.others);
}
