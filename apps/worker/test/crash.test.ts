import { buffer } from "node:stream/consumers";
import { type Actor, cancelExport, type Db } from "@exports/core";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  seedProducts,
  type TestDatabase,
} from "@exports/core/testing";
import { testBackend } from "@exports/core/testing/s3";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorker, type WorkerProcess, waitFor } from "./processes";

let t: TestDatabase;
let alice: Actor;
let admin: Actor;
// The backend of this run (TEST_STORAGE: the "s3" project runs this file on a bucket of the test S3 server).
const { storage, env: storageEnv } = testBackend(
  process.env.TEST_STORAGE,
  inject("s3Endpoint"),
  inject("s3Bucket"),
);
const running: WorkerProcess[] = [];
const ROWS = 20_000;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  admin = await createActor(t.db, "root", true);
  await seedProducts(t.db, ROWS);
});

afterEach(() => {
  for (const w of running.splice(0)) if (w.child.exitCode === null) w.child.kill("SIGKILL");
});

afterAll(async () => {
  await t?.destroy();
});

function workerEnv(extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: t.url,
    ...storageEnv,
    EXPORT_PAGE_SIZE: "250",
    EXPORT_LEASE_MS: "1500",
    WORKER_POLL_MS: "100",
    ...extra,
  };
}

async function worker(extra: Record<string, string> = {}) {
  const w = await startWorker(workerEnv(extra));
  running.push(w);
  return w;
}

async function row(db: Db, id: string) {
  const r = await db.query.exports.findFirst({ where: (e, { eq }) => eq(e.id, id) });
  if (!r) throw new Error("missing export");
  return r;
}

const completed = (id: string) =>
  waitFor(`export ${id} completed`, async () => {
    const r = await row(t.db, id);
    if (r.status === "failed") throw new Error(`export failed: ${r.errorMessage}`);
    return r.status === "completed" ? r : null;
  });

async function fileOf(id: string) {
  const r = await row(t.db, id);
  if (!r.resultKey) throw new Error("no result");
  return buffer(storage.read(r.resultKey));
}

const request = {
  request_path: "/api/v1/products/?stock__gte=10",
  request_fields: ["id", "sku", "name", "price", "created_date"],
};

describe.each(["csv", "json"] as const)("a %s export", (format) => {
  it("survives kill -9 of its worker mid-export: another worker finishes it, identical to an uninterrupted run", async () => {
    const reference = await createTestExport(t.db, alice, { ...request, format_type: format });
    const w0 = await worker();
    await completed(reference.id);
    w0.child.kill("SIGTERM");
    await w0.exited;

    const victim = await createTestExport(t.db, alice, { ...request, format_type: format });
    const w1 = await worker();
    const midway = await waitFor(
      "progress",
      async () => {
        const r = await row(t.db, victim.id);
        return r.collectedCount >= 2000 && r.status !== "completed" && r.status !== "preparing_file_creation"
          ? r
          : null;
      },
      60_000,
      5,
    );
    w1.child.kill("SIGKILL");
    await w1.exited;
    const afterKill = await row(t.db, victim.id);
    expect(afterKill.status).not.toBe("completed");
    expect(afterKill.collectedCount).toBeLessThan(afterKill.totalCount);
    expect(midway.collectedCount).toBeGreaterThan(0);

    await worker();
    const done = await completed(victim.id);
    expect(done.collectedCount).toBe(done.totalCount);
    expect((await fileOf(victim.id)).equals(await fileOf(reference.id))).toBe(true);
    // The worker removes the parts right after the completing commit (which is what `completed` saw).
    await waitFor(
      "parts removed",
      async () => (await storage.list(`parts/${victim.id}`)).length === 0,
      10_000,
      10,
    );
  });
});

describe("a running worker", () => {
  it("on SIGTERM finishes or releases the page in hand and exits 0; another worker completes the export", async () => {
    const reference = await createTestExport(t.db, alice, request);
    const e = await createTestExport(t.db, alice, request);
    const w = await worker();
    await waitFor("progress", async () => (await row(t.db, e.id)).collectedCount >= 1000, 60_000, 5);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    const released = await row(t.db, e.id);
    expect(["waiting", "waiting_next_page", "preparing_file_creation", "completed"]).toContain(
      released.status,
    );
    expect(released.leaseOwner).toBeNull();
    await worker();
    await completed(e.id);
    await completed(reference.id);
    expect((await fileOf(e.id)).equals(await fileOf(reference.id))).toBe(true);
  });

  it("stops within one page when the export is cancelled, leaving no parts and no result", async () => {
    const e = await createTestExport(t.db, alice, request);
    await worker();
    await waitFor("progress", async () => (await row(t.db, e.id)).collectedCount >= 500, 60_000, 5);
    await cancelExport(t.db, admin, e.id, { storage });
    const atCancel = await row(t.db, e.id);
    await new Promise((r) => setTimeout(r, 1000));
    const later = await row(t.db, e.id);
    expect(later.status).toBe("cancelled");
    expect(later.collectedCount - atCancel.collectedCount).toBeLessThanOrEqual(250);
    expect(later.resultFile).toBeNull();
    expect(await storage.list(`parts/${e.id}`)).toEqual([]);
    expect(await storage.list(`results/${e.id}`)).toEqual([]);
  });

  it("wakes on NOTIFY: an idle worker that polls once a minute picks up a new export at once", async () => {
    await worker({ WORKER_POLL_MS: "60000" });
    await new Promise((r) => setTimeout(r, 300));
    const e = await createTestExport(t.db, alice, { request_path: "/api/v1/products/?id__lte=10" });
    const done = await waitFor(
      "completed",
      async () => {
        const r = await row(t.db, e.id);
        return r.status === "completed" ? r : null;
      },
      20_000,
    );
    expect(done.collectedCount).toBe(10);
  });
});
