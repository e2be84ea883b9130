import type { ExportFormat } from "@exports/core";
import { keys, LocalStorage, S3Storage } from "@exports/core";
import { createTestBucket, s3Env, startS3Server, testS3Client } from "@exports/core/testing/s3";
import { type ExportTiming, runExport } from "./exports";
import { cpuMs } from "./processes";
import type { SectionContext } from "./section";
import { startWorker } from "./worker";

/** The formats whose speed to S3 has a target; JSON's run counts for the RSS figure (every format). */
const TIMED: ExportFormat[] = ["csv", "xls"];
const FORMATS: ExportFormat[] = process.env.BENCH_STORAGE_FORMATS
  ? (process.env.BENCH_STORAGE_FORMATS.split(",") as ExportFormat[])
  : [...TIMED, "json"];

/** BENCH_STORAGE_BACKENDS=s3 leaves the local runs out (while working on the S3 path; no ratios then). */
const BACKENDS = (process.env.BENCH_STORAGE_BACKENDS ?? "local,s3").split(",") as ("local" | "s3")[];

/**
 * Object storage (issue 14): the same exports through a worker whose storage is a bucket on a real S3-API server
 * on loopback (s3rver, a process of its own, without UploadPartCopy: what is not written in direct mode crosses
 * it again at the assembly), against the local folder, in one run, best of `repeat` after a warm-up export of a
 * tenth; and the worker's peak RSS. Each (backend, format) gets a fresh worker, so its peak is the kernel's
 * high-water mark (VmHWM) for that format alone, not a sample; each export's CPU time (worker, s3rver; from
 * /proc) is logged beside its wall-clock time, as the ratio of the latter swings with the machine's load. BENCH_STORAGE_FORMATS (e.g. `csv`) and
 * BENCH_STORAGE_BACKENDS (`s3`) narrow the section while working on one path.
 */
export async function runStorage(o: SectionContext) {
  const { db, admin, report, log } = o;
  log(
    `\n[storage] ${o.products.toLocaleString("en")}-row exports to an S3 server on loopback vs the local folder`,
  );
  const server = await startS3Server();
  try {
    const bucket = await createTestBucket(server.endpoint);
    const s3 = new S3Storage(testS3Client(server.endpoint), bucket, "bench");
    const envs = {
      local: { DATABASE_URL: db.url, STORAGE_DIR: o.storageDir },
      s3: { DATABASE_URL: db.url, STORAGE_URL: `s3://${bucket}/bench`, ...s3Env(server.endpoint) },
    };
    const s3Pid = server.child.pid ?? 0;
    const files = { local: new LocalStorage(o.storageDir), s3 };
    const runs: Record<string, ExportTiming[]> = {};
    const cpu: Record<string, { worker: number; s3: number }[]> = {};
    const peaks: Record<string, number> = {};
    // Format by format, the two backends back to back: the load of a shared machine drifts less between them.
    for (const format of FORMATS) {
      for (const backend of BACKENDS) {
        const worker = await startWorker(envs[backend]);
        const workerPid = worker.process.child.pid ?? 0;
        const key = `${backend}:${format}`;
        // One unmeasured export of the first tenth first, on both backends alike: the first export of a fresh
        // worker (and of the s3rver process) runs cold code, and was the slowest of every series (S3 CSV
        // 1485, 1212, 1044 ms; local 844, 743, 645 ms in one quiet run).
        const warm = await runExport(
          db,
          admin,
          format,
          `/api/v1/products/?id__lte=${Math.ceil(o.products / 10)}`,
          backend === "s3" ? s3 : o.storageDir,
        );
        await files[backend].removePrefix(keys.resultPrefix(warm.id));
        for (let i = 0; i < o.repeat; i++) {
          const w0 = cpuMs(workerPid) ?? 0;
          const s0 = cpuMs(s3Pid) ?? 0;
          const r = await runExport(
            db,
            admin,
            format,
            "/api/v1/products/",
            backend === "s3" ? s3 : o.storageDir,
          );
          const c = { worker: (cpuMs(workerPid) ?? 0) - w0, s3: (cpuMs(s3Pid) ?? 0) - s0 };
          // As in the fields section: kept files grew the page cache into memory the VM had not touched, and
          // writing there costs more; nothing reads them later.
          await files[backend].removePrefix(keys.resultPrefix(r.id));
          runs[key] = [...(runs[key] ?? []), r];
          cpu[key] = [...(cpu[key] ?? []), c];
          log(
            `  ${backend} run ${i + 1}: ${format} ${r.ms.toFixed(0)} ms (${((r.bytes ?? 0) / 1e6).toFixed(1)} MB), CPU worker ${c.worker} ms${backend === "s3" ? `, s3rver ${c.s3} ms` : ""}`,
          );
        }
        peaks[key] = Math.max(worker.rss.takePeak(), worker.rss.hwmMb());
        log(`  ${backend} ${format}: worker peak RSS ${peaks[key].toFixed(0)} MB`);
        await worker.stop();
      }
    }
    const best = (key: string) => Math.min(...(runs[key] ?? []).map((r) => r.ms));
    const leastCpu = (key: string) => Math.min(...(cpu[key] ?? []).map((c) => c.worker + c.s3));
    for (const format of TIMED) {
      const local = best(`local:${format}`);
      const remote = best(`s3:${format}`);
      report.add({
        section: "storage",
        name: `${format.toUpperCase()} export to S3 (× local speed)`,
        value: remote,
        unit: "ms",
        baseline: local,
        ratio: local / remote,
        target: "≥ 0.7",
        pass: local / remote >= 0.7,
      });
    }
    const s3Peak = Math.max(...FORMATS.map((f) => peaks[`s3:${f}`] ?? Number.POSITIVE_INFINITY));
    report.add({
      section: "storage",
      name: "worker peak RSS, exports to S3",
      value: s3Peak,
      unit: "MB",
      target: "≤ 200",
      pass: s3Peak <= 200,
    });
    report.note(
      `storage: worker peak RSS (VmHWM, a fresh worker per format), S3 / local: ${FORMATS.map((f) => `${f} ${Math.round(peaks[`s3:${f}`] ?? 0)} / ${Math.round(peaks[`local:${f}`] ?? 0)} MB`).join(", ")}`,
    );
    report.note(
      `storage: least CPU per export (worker + s3rver), S3 / local: ${FORMATS.map((f) => `${f} ${leastCpu(`s3:${f}`)} / ${leastCpu(`local:${f}`)} ms`).join(", ")}; JSON S3 / local time ${best("s3:json").toFixed(0)} / ${best("local:json").toFixed(0)} ms`,
    );
    report.extra.storage_runs = Object.fromEntries(
      Object.entries(runs).map(([k, v]) => [k, v.map((r) => Math.round(r.ms))]),
    );
    report.extra.storage_cpu = cpu;
    report.extra.storage_peaks = Object.fromEntries(
      Object.entries(peaks).map(([k, v]) => [k, Math.round(v)]),
    );
  } finally {
    await server.stop();
  }
}
