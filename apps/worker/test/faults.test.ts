import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { type Actor, type Db, LocalStorage } from "@exports/core";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  seedProducts,
  type TestDatabase,
} from "@exports/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerProcess, waitFor } from "./processes";

let t: TestDatabase;
let alice: Actor;
const storageDir = mkdtempSync(path.join(os.tmpdir(), "exports-worker-faults-"));
const storage = new LocalStorage(storageDir);
const running: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 15_000);
});

afterEach(() => {
  for (const w of running.splice(0)) if (w.child.exitCode === null) w.child.kill("SIGKILL");
});

afterAll(async () => {
  await t?.destroy();
});

async function worker() {
  const w = await startWorker({
    DATABASE_URL: t.url,
    STORAGE_DIR: storageDir,
    EXPORT_PAGE_SIZE: "250",
    EXPORT_LEASE_MS: "1500",
    EXPORT_MAX_ATTEMPTS: "20",
    WORKER_POLL_MS: "100",
  });
  running.push(w);
  return w;
}

async function row(db: Db, id: string) {
  const r = await db.query.exports.findFirst({ where: (e, { eq }) => eq(e.id, id) });
  if (!r) throw new Error("missing export");
  return r;
}

/** Ends every connection the worker (or anyone but us) holds to this test's database. */
async function terminateOthers() {
  const result = await t.pool.query(
    "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
  );
  return result.rows[0].n as number;
}

describe("the database drops every connection mid-export", () => {
  it("the worker reconnects and the export completes, identical to an undisturbed run", async () => {
    const request = {
      request_path: "/api/v1/products/?is_active=true",
      request_fields: ["id", "sku", "price"],
    };
    const reference = await createTestExport(t.db, alice, request);
    const w = await worker();
    const done = await waitFor(
      "reference",
      async () => (await row(t.db, reference.id)).status === "completed",
    );
    expect(done).toBe(true);

    const e = await createTestExport(t.db, alice, request);
    let terminated = 0;
    for (let i = 0; i < 5; i++) {
      await waitFor(
        "progress",
        async () => (await row(t.db, e.id)).collectedCount >= (i + 1) * 1000,
        60_000,
        5,
      ).catch(async (err: Error) => {
        const r = await row(t.db, e.id);
        throw new Error(
          `${err.message}; export ${JSON.stringify(r)}; worker said:\n${w.output().slice(-4000)}`,
        );
      });
      terminated += await terminateOthers();
    }
    expect(terminated).toBeGreaterThan(0);
    const final = await waitFor(
      "completed",
      async () => {
        const r = await row(t.db, e.id);
        if (r.status === "failed") throw new Error(`failed: ${r.errorMessage}`);
        return r.status === "completed" ? r : null;
      },
      60_000,
    ).catch(async (err: Error) => {
      const r = await row(t.db, e.id);
      throw new Error(
        `${err.message}; export ${JSON.stringify(r)}; worker said:\n${w.output().slice(-4000)}`,
      );
    });
    expect(final.collectedCount).toBe(final.totalCount);
    const [a, b] = await Promise.all(
      [reference.id, e.id].map(async (id) => buffer(storage.read((await row(t.db, id)).resultKey ?? ""))),
    );
    expect(b?.equals(a as Buffer)).toBe(true);
  });
});
