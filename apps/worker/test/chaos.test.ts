import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { type Actor, type Db, LocalStorage } from "@exports/core";
import { DEFAULT_ENGINE_CONFIG, runOnce } from "@exports/core/node";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  seedOrders,
  seedProducts,
  type TestDatabase,
} from "@exports/core/testing";
import ExcelJS from "exceljs";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startWorker, type WorkerProcess, waitFor } from "./processes";

let t: TestDatabase;
let alice: Actor;
const storageDir = mkdtempSync(path.join(os.tmpdir(), "exports-worker-chaos-"));
const storage = new LocalStorage(storageDir);
const running = new Set<WorkerProcess>();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 6000);
  await seedOrders(t.db, 4000);
});

afterEach(() => {
  for (const w of running) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  running.clear();
});

afterAll(async () => {
  await t?.destroy();
});

async function worker() {
  const w = await startWorker({
    DATABASE_URL: t.url,
    STORAGE_DIR: storageDir,
    EXPORT_PAGE_SIZE: "300",
    EXPORT_LEASE_MS: "1000",
    WORKER_POLL_MS: "100",
  });
  running.add(w);
  w.exited.then(() => running.delete(w));
  return w;
}

async function row(db: Db, id: string) {
  const r = await db.query.exports.findFirst({ where: (e, { eq }) => eq(e.id, id) });
  if (!r) throw new Error("missing export");
  return r;
}

const PATHS = [
  "/api/v1/products/",
  "/api/v1/products/?is_active=true&price__lt=500",
  "/api/v1/products/?name__icontains=mug",
  "/api/v1/orders/",
  "/api/v1/orders/?status__in=paid,refunded",
];
const FORMATS = ["csv", "json", "xls"] as const;
const REQUESTS = Array.from({ length: 20 }, (_, i) => ({
  request_path: PATHS[i % PATHS.length] as string,
  format_type: FORMATS[i % FORMATS.length] as (typeof FORMATS)[number],
}));

/** A file's content for comparison: bytes for CSV/JSON; cell values for XLSX (its zip carries timestamps). */
async function content(id: string): Promise<unknown> {
  const r = await row(t.db, id);
  const data = await buffer(storage.read(r.resultKey ?? ""));
  if (r.formatType !== "xls") return data.toString("utf8");
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as ArrayBuffer);
  const rows: unknown[] = [];
  workbook.eachSheet((sheet) => sheet.eachRow((rr) => rows.push(rr.values)));
  return rows;
}

it("20 concurrent exports in every format survive workers killed with SIGKILL at random moments", async () => {
  const ids: string[] = [];
  for (const request of REQUESTS) ids.push((await createTestExport(t.db, alice, request)).id);
  await Promise.all([worker(), worker(), worker()]);

  // Chaos: kill a random worker every 150–600 ms and start a replacement, until every export is done.
  let kills = 0;
  const allDone = async () => {
    const rows = await Promise.all(ids.map((id) => row(t.db, id)));
    const failed = rows.find((r) => r.status === "failed");
    if (failed) throw new Error(`export failed: ${failed.errorMessage}`);
    return rows.every((r) => r.status === "completed");
  };
  const deadline = Date.now() + 150_000;
  while (!(await allDone())) {
    if (Date.now() > deadline) throw new Error("exports did not complete");
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
    const victims = [...running];
    const victim = victims[Math.floor(Math.random() * victims.length)];
    if (victim && kills < 25) {
      victim.child.kill("SIGKILL");
      kills++;
      await victim.exited;
      await worker();
    }
  }
  expect(kills).toBeGreaterThan(0);
  for (const w of running) w.child.kill("SIGTERM");

  // The same exports, run undisturbed by one in-process worker, are the reference.
  const refs: string[] = [];
  for (const request of REQUESTS) refs.push((await createTestExport(t.db, alice, request)).id);
  const deps = { db: t.db, pool: t.pool, storage, config: { ...DEFAULT_ENGINE_CONFIG, pageSize: 300 } };
  await waitFor("references", async () => {
    for (let i = 0; (await runOnce(deps, `ref:${i}`)) !== null; i++);
    return (await Promise.all(refs.map((id) => row(t.db, id)))).every((r) => r.status === "completed");
  });
  for (let i = 0; i < ids.length; i++) {
    const [a, b] = [await row(t.db, ids[i] as string), await row(t.db, refs[i] as string)];
    expect(a.collectedCount).toBe(b.collectedCount);
    expect(a.collectedCount).toBe(a.totalCount);
    expect(await content(a.id)).toEqual(await content(b.id));
    expect(await storage.list(`parts/${a.id}`)).toEqual([]);
  }
}, 240_000);
