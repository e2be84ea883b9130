import { type Actor, createWebhook, schema } from "@exports/core";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  seedProducts,
  startReceiver,
  type TestDatabase,
} from "@exports/core/testing";
import { testBackend } from "@exports/core/testing/s3";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorker, type WorkerProcess, waitFor } from "./processes";

/** Issue 16: a worker killed with SIGKILL in the middle of a webhook attempt loses no event. */
let t: TestDatabase;
let alice: Actor;
const { env: storageEnv } = testBackend(process.env.TEST_STORAGE, inject("s3Endpoint"), inject("s3Bucket"));
const running: WorkerProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 500);
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
    ...storageEnv,
    WORKER_POLL_MS: "100",
    WEBHOOK_POLL_MS: "100",
    WEBHOOK_ALLOW_PRIVATE: "1",
    WEBHOOK_TIMEOUT_MS: "2000",
    WEBHOOK_RETRY_SCHEDULE: "0.5,0.5,0.5",
  });
  running.push(w);
  return w;
}

describe("webhook delivery across a crash", () => {
  it("kill -9 mid-attempt: another worker delivers the same event with the same webhook-id", async () => {
    // The first request is held open (the worker is killed while it waits); the next is accepted.
    const receiver = await startReceiver((n) => (n === 0 ? "hang" : 200));
    try {
      const hook = await createWebhook(
        t.db,
        alice,
        { url: receiver.url, events: ["export.completed"] },
        { allowPrivate: true },
      );
      const e = await createTestExport(t.db, alice, {
        request_path: "/api/v1/products/",
        format_type: "json",
      });
      const first = await worker();
      await waitFor("the first attempt", async () => receiver.received.length >= 1);
      first.child.kill("SIGKILL");
      expect(await first.exited).toBeNull();
      const [during] = await t.db.select().from(schema.webhookDeliveries);
      expect(during).toMatchObject({ status: "pending", attempts: 1 });

      await worker();
      const delivery = await waitFor("the delivery to succeed", async () => {
        const d = await t.db.query.webhookDeliveries.findFirst({
          where: (row, { eq }) => eq(row.endpointId, hook.id),
        });
        return d?.status === "succeeded" ? d : undefined;
      });
      expect(delivery).toMatchObject({ attempts: 2, lastStatusCode: 200, exportId: e.id });
      expect(receiver.received).toHaveLength(2);
      const verifier = new Webhook(hook.secret);
      for (const r of receiver.received) {
        expect(r.headers["webhook-id"]).toBe(delivery.id);
        const payload = verifier.verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          data: { id: string; status: string };
        };
        expect(payload).toMatchObject({ type: "export.completed", data: { id: e.id, status: "completed" } });
      }
      // One event, one delivery: nothing lost, nothing doubled.
      expect(await t.db.select().from(schema.exportEvents)).toHaveLength(1);
      expect(await t.db.select().from(schema.webhookDeliveries)).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
