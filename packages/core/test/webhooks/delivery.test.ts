import { eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { webhookDeliveries, webhookEndpoints } from "../../src/db/schema";
import { cancelExport, findExport } from "../../src/exports/service";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { type Behaviour, startReceiver, waitFor } from "../../src/testing/receiver";
import type { DeliveryConfig } from "../../src/webhooks/deliver";
import { WebhookDeliverer } from "../../src/webhooks/deliverer";
import { createWebhook, listWebhookDeliveries } from "../../src/webhooks/service";

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let admin: Actor;
let serial = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  bob = await createActor(t.db, "bob");
  admin = await createActor(t.db, "root", true);
});

afterAll(async () => {
  await t?.destroy();
});

const CONFIG: DeliveryConfig = { retrySchedule: [0.2, 0.2, 0.2], timeoutMs: 700, allowPrivate: true };

/** Runs a deliverer (as a worker does) around `body`, and a receiver behaving as told. */
async function withDelivery<T>(
  behaviour: Behaviour,
  body: (receiver: Awaited<ReturnType<typeof startReceiver>>) => Promise<T>,
  config: DeliveryConfig = CONFIG,
) {
  const receiver = await startReceiver(behaviour);
  const deliverer = new WebhookDeliverer({ db: t.db, config, pollMs: 50 });
  deliverer.start();
  try {
    return await body(receiver);
  } finally {
    await receiver.close();
    await deliverer.stop();
  }
}

const cancelledExport = async (owner: Actor) => {
  const e = await createTestExport(t.db, owner, {
    request_path: "/api/v1/products/",
    action_name: `hook ${serial++}`,
  });
  await cancelExport(t.db, admin, e.id);
  return e.id;
};

const deliveryOf = async (endpointId: string) =>
  waitFor("a finished delivery", async () => {
    const [d] = await t.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpointId));
    return d && d.status !== "pending" ? d : undefined;
  });

describe("webhook delivery", () => {
  it("retries until the receiver accepts: the same webhook-id each time, signed, and the log tells it", async () => {
    // 500, then no answer within the timeout, then 200.
    const behaviour: Behaviour = (n) => (n === 0 ? 500 : n === 1 ? "hang" : 200);
    await withDelivery(behaviour, async (receiver) => {
      const hook = await createWebhook(
        t.db,
        alice,
        { url: receiver.url, events: ["export.cancelled"], description: "mine" },
        { allowPrivate: true },
      );
      const exportId = await cancelledExport(alice);
      const delivery = await deliveryOf(hook.id);
      expect(delivery).toMatchObject({
        status: "succeeded",
        attempts: 3,
        lastStatusCode: 200,
        nextAttemptAt: null,
      });
      expect(receiver.received).toHaveLength(3);
      const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
      expect(ids).toEqual(new Set([delivery.id]));
      const verifier = new Webhook(hook.secret);
      const expected = await findExport(t.db, alice, exportId);
      for (const r of receiver.received) {
        expect(r.headers["content-type"]).toBe("application/json");
        expect(r.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        const payload = verifier.verify(r.body, r.headers as Record<string, string>) as Record<
          string,
          unknown
        >;
        expect(payload.type).toBe("export.cancelled");
        expect(new Date(payload.timestamp as string).toISOString()).toBe(payload.timestamp);
        // The export exactly as retrieve returns it.
        expect(r.body).toContain(`"data":${JSON.stringify(expected)}}`);
      }
      // A tampered body or another secret does not verify.
      const first = receiver.received[0];
      if (!first) throw new Error("no request");
      expect(() => verifier.verify(`${first.body} `, first.headers as Record<string, string>)).toThrow();
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(
          first.body,
          first.headers as Record<string, string>,
        ),
      ).toThrow();
      // The retries waited for the schedule (0.2 s), the second attempt also for the timeout.
      const [a, b, c] = receiver.received.map((r) => r.at) as [number, number, number];
      expect(b - a).toBeGreaterThanOrEqual(180);
      expect(c - b).toBeGreaterThanOrEqual(700 + 180);
      const [listed] = await listWebhookDeliveries(t.db, alice, hook.id);
      expect(listed).toMatchObject({
        id: delivery.id,
        event_type: "export.cancelled",
        export_id: exportId,
        status: "succeeded",
        attempts: 3,
        last_status_code: 200,
        next_attempt_at: null,
      });
      const [endpoint] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
      expect(endpoint?.failingSince).toBeNull();
    });
  });

  it("fails the delivery once the schedule is spent; a redirect is not followed", async () => {
    await withDelivery(
      (n) => (n === 0 ? 302 : 503),
      async (receiver) => {
        const hook = await createWebhook(
          t.db,
          alice,
          { url: receiver.url, events: ["export.cancelled"] },
          { allowPrivate: true },
        );
        await cancelledExport(alice);
        const delivery = await deliveryOf(hook.id);
        expect(delivery).toMatchObject({
          status: "failed",
          attempts: 2,
          lastStatusCode: 503,
          nextAttemptAt: null,
        });
        expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([delivery.id, delivery.id]);
        const [endpoint] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
        expect(endpoint?.failingSince).not.toBeNull();
        expect(endpoint?.isActive).toBe(true);
      },
      { ...CONFIG, retrySchedule: [0.1] },
    );
  });

  it("deactivates an endpoint whose every delivery failed for 3 days, and says why", async () => {
    await withDelivery(
      () => 500,
      async (receiver) => {
        const hook = await createWebhook(
          t.db,
          alice,
          { url: receiver.url, events: ["export.cancelled"] },
          { allowPrivate: true },
        );
        await t.db
          .update(webhookEndpoints)
          .set({ failingSince: sql`now() - interval '3 days 1 minute'` })
          .where(eq(webhookEndpoints.id, hook.id));
        await cancelledExport(alice);
        await deliveryOf(hook.id);
        const [endpoint] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
        expect(endpoint?.isActive).toBe(false);
        expect(endpoint?.disabledReason).toMatch(/^Deactivated: every delivery failed for 3 days/);
      },
      { ...CONFIG, retrySchedule: [] },
    );
  });

  it("checks the address again at delivery: a private address is refused and nothing is sent", async () => {
    await withDelivery(
      () => 200,
      async (receiver) => {
        const hook = await createWebhook(
          t.db,
          alice,
          { url: receiver.url, events: ["export.cancelled"] },
          { allowPrivate: true },
        );
        await cancelledExport(alice);
        const delivery = await deliveryOf(hook.id);
        expect(delivery.status).toBe("failed");
        expect(delivery.lastError).toMatch(/127\.0\.0\.1 \(loopback\), which is not a public address/);
        expect(receiver.received).toHaveLength(0);
      },
      { ...CONFIG, allowPrivate: false, retrySchedule: [] },
    );
  });

  it("sends a user's endpoints their own exports' events only; a superuser's scope all gets everyone's", async () => {
    await withDelivery(
      () => 200,
      async (receiver) => {
        const options = { allowPrivate: true };
        const url = receiver.url;
        const events = ["export.cancelled", "export.completed"];
        const bobs = await createWebhook(t.db, bob, { url, events }, options);
        const alices = await createWebhook(t.db, alice, { url, events: ["export.completed"] }, options);
        const adminsOwn = await createWebhook(t.db, admin, { url, events }, options);
        const adminsAll = await createWebhook(t.db, admin, { url, events, scope: "all" }, options);
        const exportId = await cancelledExport(bob);
        await deliveryOf(bobs.id);
        await deliveryOf(adminsAll.id);
        await new Promise((r) => setTimeout(r, 300));
        const byEndpoint = async (id: string) =>
          (await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id))).map(
            (d) => d.exportId,
          );
        expect(await byEndpoint(bobs.id)).toEqual([exportId]);
        expect(await byEndpoint(adminsAll.id)).toEqual([exportId]);
        expect(await byEndpoint(adminsOwn.id)).toEqual([]);
        // Alice's endpoint: not her export, and not an event she asked for.
        expect(await byEndpoint(alices.id)).toEqual([]);
        expect(receiver.received).toHaveLength(2);
      },
    );
  });

  it("many deliverers at once: each event reaches each endpoint once when it accepts at once", async () => {
    const receiver = await startReceiver(() => 200);
    const hook = await createWebhook(
      t.db,
      alice,
      { url: receiver.url, events: ["export.cancelled"] },
      { allowPrivate: true },
    );
    const exportIds = await Promise.all(Array.from({ length: 20 }, () => cancelledExport(alice)));
    const deliverers = Array.from(
      { length: 3 },
      () => new WebhookDeliverer({ db: t.db, config: CONFIG, pollMs: 20, concurrency: 2 }),
    );
    for (const d of deliverers) d.start();
    try {
      await waitFor("20 deliveries", async () => receiver.received.length >= 20);
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.received).toHaveLength(20);
      const ids = receiver.received.map((r) => r.headers["webhook-id"]);
      expect(new Set(ids).size).toBe(20);
      const delivered = receiver.received.map(
        (r) => (JSON.parse(r.body) as { data: { id: string } }).data.id,
      );
      expect(delivered.sort()).toEqual([...exportIds].sort());
      const rows = await t.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, hook.id));
      expect(rows.every((d) => d.status === "succeeded" && d.attempts === 1)).toBe(true);
    } finally {
      await Promise.all(deliverers.map((d) => d.stop()));
      await receiver.close();
    }
  });
});
