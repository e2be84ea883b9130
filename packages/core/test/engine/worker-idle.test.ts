import { afterAll, beforeAll, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { ExportWorker } from "../../src/engine/worker";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { waitFor } from "../../src/testing/receiver";
import { engineDeps, exportRow, tempStorage } from "./helpers";

let t: TestDatabase;
let alice: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 300);
});

afterAll(async () => {
  await t?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The worker process collects its garbage there (apps/worker: V8's heap between exports, BENCHMARKS.md).
it("calls onIdle once each time it runs out of steps (after its delay), never while it has none to begin with", async () => {
  let idle = 0;
  const worker = new ExportWorker({
    ...engineDeps(t, storage, { pageSize: 100 }),
    databaseUrl: t.url,
    pollMs: 20,
    idleDelayMs: 30,
    sweepMs: 0,
    onIdle: () => {
      idle++;
    },
  });
  await worker.start();
  try {
    await sleep(200); // ~10 empty polls
    expect(idle).toBe(0);
    for (const n of [1, 2]) {
      const e = await createTestExport(t.db, alice, {
        request_path: "/api/v1/products/",
        action_name: `idle ${n}`,
      });
      await waitFor(`export ${n}`, async () => (await exportRow(t.db, e.id)).status === "completed");
      await waitFor(`idle ${n}`, async () => idle === n);
      await sleep(200); // still idle, polling: not called again
      expect(idle).toBe(n);
    }
  } finally {
    await worker.stop();
  }
});
