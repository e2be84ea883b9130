import { buffer } from "node:stream/consumers";
import type { Db, ExportFormat } from "@exports/core";
import {
  DEFAULT_ENGINE_CONFIG,
  FAULT_POINTS,
  type FaultPoint,
  runOnce,
  sweepStorage,
} from "@exports/core/node";
import { createActor, createTestDatabase, createTestExport, seedProducts } from "@exports/core/testing";
import { testBackend } from "@exports/core/testing/s3";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorker, waitFor } from "./processes";

const PAGE_SIZE = 97;
/**
 * On S3, pages go straight to the result's upload (direct mode) in parts of at least this many bytes (the
 * test-only minimum; S3's is 5 MiB): CSV and JSON pages of ~20 KB in 2–3 parts each, so every point is hit in
 * direct mode (XLSX's compressed pages: a part or two).
 */
const DIRECT_MIN_PART = 4096;
const ROWS = 3000;
/** Runs of one page (a claim per page) and of four (one COPY, read-ahead, the claim kept from page to page). */
const RUNS = [1, 4] as const;
/** Points reached once per page are killed at the first page and at the second; the others once. */
const PER_PAGE: readonly FaultPoint[] = [
  "part.writing",
  "part.synced",
  "part.renamed",
  "page.recorded",
  "readahead.started",
];

/** Every (runs, point, hit) that a worker reaches in an export of many pages. */
function cases() {
  const out: Array<{ runs: number; point: FaultPoint; hit: number }> = [];
  for (const runs of RUNS) {
    for (const point of FAULT_POINTS) {
      // A run of one page reads nothing ahead.
      if (point === "readahead.started" && runs === 1) continue;
      for (const hit of PER_PAGE.includes(point) ? [1, 2] : [1]) out.push({ runs, point, hit });
    }
  }
  return out;
}

/**
 * Kill -9 at every step boundary (engine/faults.ts): a worker process started with `EXPORT_FAULT=<point>@<n>`
 * kills itself there; the export is then finished by a healthy worker once the dead one's lease expired, and
 * must equal an undisturbed run of the same export (whose file the invariant suites prove equal to the list),
 * with no part left behind.
 */
export function describeKillPoints(format: ExportFormat) {
  const request = {
    request_path: "/api/v1/products/?stock__gte=10",
    request_fields: ["id", "sku", "name", "price", "attributes", "is_active", "created_date"],
    format_type: format,
  };
  // Every format has a direct mode on S3 (XLSX: its pages after the first).
  const direct = process.env.TEST_STORAGE === "s3";
  /** The undisturbed run's file (the demo data is deterministic: every case's database holds the same rows). */
  let reference: unknown;
  let referenceRows = 0;
  const cleanup: Array<() => Promise<void>> = [];

  /** A database and a storage folder of its own: cases run at once, and a worker claims any export it sees. */
  async function setting() {
    const t = await createTestDatabase();
    cleanup.push(() => t.destroy());
    const alice = await createActor(t.db, "alice");
    await seedProducts(t.db, ROWS);
    // The backend of this run (TEST_STORAGE: the "s3" project runs these on a bucket of the test S3 server).
    const backend = testBackend(process.env.TEST_STORAGE, inject("s3Endpoint"), inject("s3Bucket"), {
      minPart: direct ? DIRECT_MIN_PART : undefined,
    });
    return { t, alice, ...backend };
  }
  type Setting = Awaited<ReturnType<typeof setting>>;

  const deps = ({ t, storage }: Setting, runs: number) => ({
    db: t.db,
    pool: t.pool,
    storage,
    config: { ...DEFAULT_ENGINE_CONFIG, pageSize: PAGE_SIZE, runPages: runs, leaseMs: 500, backoffMs: 10 },
  });

  async function row(db: Db, id: string) {
    const r = await db.query.exports.findFirst({ where: (e, { eq }) => eq(e.id, id) });
    if (!r) throw new Error("missing export");
    return r;
  }

  /** Steps it in this process (a healthy worker) until it is completed; a failure fails the test. */
  async function finish(s: Setting, id: string, runs: number) {
    let step = 0;
    return waitFor(
      `export ${id} completed`,
      async () => {
        while ((await runOnce(deps(s, runs), `healthy:${step++}`)) !== null);
        const r = await row(s.t.db, id);
        if (r.status === "failed") throw new Error(`export failed: ${r.errorMessage}`);
        return r.status === "completed" ? r : null;
      },
      60_000,
      50,
    );
  }

  /** The file's content: bytes for CSV and JSON; cell values for XLSX (its pages' deflate segments differ). */
  async function content(s: Setting, id: string): Promise<unknown> {
    const r = await row(s.t.db, id);
    const data = await buffer(s.storage.read(r.resultKey ?? ""));
    if (format !== "xls") return data.toString("utf8");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
    const rows: unknown[] = [];
    workbook.eachSheet((sheet) => sheet.eachRow((rr) => rows.push(rr.values)));
    return rows;
  }

  beforeAll(async () => {
    const s = await setting();
    const ref = await createTestExport(s.t.db, s.alice, request);
    const done = await finish(s, ref.id, 1);
    reference = await content(s, ref.id);
    referenceRows = done.collectedCount;
    if (direct) expect(done.resultKey).toBe(done.directKey);
    expect(referenceRows).toBeGreaterThan(PAGE_SIZE * 4);
  });

  afterAll(async () => {
    await Promise.all(cleanup.map((c) => c()));
  });

  describe.concurrent(`a ${format} export, its worker killed with SIGKILL`, () => {
    it.each(cases())("at $point (hit $hit), runs of $runs page(s)", async ({ runs, point, hit }) => {
      const s = await setting();
      const e = await createTestExport(s.t.db, s.alice, request);
      const victim = await startWorker({
        DATABASE_URL: s.t.url,
        ...s.env,
        EXPORT_PAGE_SIZE: String(PAGE_SIZE),
        EXPORT_RUN_PAGES: String(runs),
        EXPORT_LEASE_MS: "500",
        WORKER_POLL_MS: "50",
        EXPORT_FAULT: `${point}@${hit}`,
      });
      await Promise.race([
        victim.exited,
        new Promise((_, reject) => setTimeout(() => reject(new Error("the fault never fired")), 60_000)),
      ]);
      // It died at the point, by the signal: not of an error, and not after finishing.
      expect(victim.child.signalCode, victim.output()).toBe("SIGKILL");

      const done = await finish(s, e.id, runs);
      // Direct mode: the result is the upload begun at the start.
      if (direct) expect(done.resultKey).toBe(done.directKey);
      expect(done.collectedCount).toBe(referenceRows);
      expect(done.totalCount).toBe(referenceRows);
      expect(done.failCount).toBe(0);
      expect(await content(s, e.id)).toEqual(reference);
      // Parts left by a worker killed after the completing commit are the retention sweep's to delete.
      await sweepStorage(s.t.db, s.storage);
      expect(await s.storage.list(`parts/${e.id}`)).toEqual([]);
    });
  });
}
