import type { ExportFormat } from "@exports/core";
import { S3Storage } from "@exports/core";
import { createTestBucket, s3Env, startS3Server, testS3Client } from "@exports/core/testing/s3";
import { type ExportTiming, runExport } from "./exports";
import type { SectionContext } from "./section";
import { startWorker } from "./worker";

const FORMATS: ExportFormat[] = ["csv", "xls"];

/**
 * Object storage (issue 14): the same exports through a worker whose storage is a bucket on a real S3-API server
 * on loopback (s3rver, a process of its own: it has no UploadPartCopy, so the worker sends every byte of the
 * composed result), against the local folder, in one run, best of `repeat`; and the worker's peak RSS.
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
    const runs: Record<string, ExportTiming[]> = {};
    const peaks: Record<string, number> = {};
    const formatPeaks: Record<string, number> = {};
    for (const backend of ["local", "s3"] as const) {
      const worker = await startWorker(envs[backend]);
      worker.rss.takePeak();
      for (let i = 0; i < o.repeat; i++) {
        for (const format of FORMATS) {
          const r = await runExport(
            db,
            admin,
            format,
            "/api/v1/products/",
            backend === "s3" ? s3 : o.storageDir,
          );
          const key = `${backend}:${format}`;
          runs[key] = [...(runs[key] ?? []), r];
          // Each format's own peak too (a note): the figure is the worker's across both.
          formatPeaks[key] = Math.max(formatPeaks[key] ?? 0, worker.rss.takePeak());
          log(
            `  ${backend} run ${i + 1}: ${format} ${r.ms.toFixed(0)} ms (${((r.bytes ?? 0) / 1e6).toFixed(1)} MB)`,
          );
        }
      }
      peaks[backend] = Math.max(
        worker.rss.takePeak(),
        ...FORMATS.map((f) => formatPeaks[`${backend}:${f}`] ?? 0),
      );
      await worker.stop();
    }
    const best = (key: string) => Math.min(...(runs[key] ?? []).map((r) => r.ms));
    for (const format of FORMATS) {
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
    report.add({
      section: "storage",
      name: "worker peak RSS, exports to S3",
      value: peaks.s3 ?? Number.NaN,
      unit: "MB",
      target: "≤ 200",
      pass: (peaks.s3 ?? Number.POSITIVE_INFINITY) <= 200,
    });
    report.note(
      `storage: worker peak RSS per export to S3: ${FORMATS.map((f) => `${f} ${Math.round(formatPeaks[`s3:${f}`] ?? 0)} MB`).join(", ")}`,
    );
    report.extra.storage_runs = Object.fromEntries(
      Object.entries(runs).map(([k, v]) => [k, v.map((r) => Math.round(r.ms))]),
    );
  } finally {
    await server.stop();
  }
}
