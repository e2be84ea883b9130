import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exportEvents, exports } from "../../src/db/schema";
import { cancelExport } from "../../src/exports/service";
import { seedProducts } from "../../src/seed/products";
import { createActor, createTestDatabase, createTestExport, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, tempStorage, withCreateHook } from "../engine/helpers";

/** The transactional outbox (issue 16): an event exists iff the change to a final status committed. */
let t: TestDatabase;
let alice: Actor;
let admin: Actor;
const storage = tempStorage();
let serial = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  admin = await createActor(t.db, "root", true);
  await seedProducts(t.db, 250);
});

afterAll(async () => {
  await t?.destroy();
});

const newExport = () =>
  createTestExport(t.db, alice, { request_path: "/api/v1/products/", action_name: `outbox ${serial++}` });

const eventsOf = async (id: string) =>
  (await t.db.select().from(exportEvents).where(eq(exportEvents.exportId, id))).map((e) => ({
    type: e.type,
    requestedBy: e.requestedBy,
  }));

describe("the outbox", () => {
  it("a completed export has exactly one export.completed event, and no event for its other changes", async () => {
    const e = await newExport();
    await drain(engineDeps(t, storage, { pageSize: 100, runPages: 1 }));
    const [row] = await t.db.select().from(exports).where(eq(exports.id, e.id));
    expect(row?.status).toBe("completed");
    expect(await eventsOf(e.id)).toEqual([{ type: "export.completed", requestedBy: alice.id }]);
  });

  it("a failed export has one export.failed event (the runner's last failure)", async () => {
    const e = await newExport();
    const broken = withCreateHook(storage, async () => {
      throw new Error("the disk is on fire");
    });
    await drain(engineDeps(t, broken, { maxAttempts: 2, backoffMs: 1 }));
    const [row] = await t.db.select().from(exports).where(eq(exports.id, e.id));
    expect(row?.status).toBe("failed");
    expect(await eventsOf(e.id)).toEqual([{ type: "export.failed", requestedBy: alice.id }]);
  });

  it("a cancel writes one export.cancelled event; cancelling again writes none", async () => {
    const e = await newExport();
    await cancelExport(t.db, admin, e.id);
    await cancelExport(t.db, admin, e.id);
    expect(await eventsOf(e.id)).toEqual([{ type: "export.cancelled", requestedBy: alice.id }]);
  });

  it("a status change that rolls back leaves no event", async () => {
    const e = await newExport();
    await expect(
      t.db.transaction(async (tx) => {
        await tx.update(exports).set({ status: "completed" }).where(eq(exports.id, e.id));
        // Inside the transaction the event is there…
        const inside = await tx.select().from(exportEvents).where(eq(exportEvents.exportId, e.id));
        expect(inside).toHaveLength(1);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    // …and gone with the change.
    expect(await eventsOf(e.id)).toEqual([]);
    await expect(
      t.db.transaction(async (tx) => {
        await cancelExport(tx as never, admin, e.id);
        throw new Error("roll back the cancel");
      }),
    ).rejects.toThrow("roll back the cancel");
    expect(await eventsOf(e.id)).toEqual([]);
    const [row] = await t.db.select().from(exports).where(eq(exports.id, e.id));
    expect(row?.status).toBe("waiting");
  });

  it("a statement that fails after the change (a violated constraint) leaves neither change nor event", async () => {
    const e = await newExport();
    await expect(
      t.db.execute(sql`update exports set status = 'cancelled', page = case when id = ${e.id} then 1 else null end
        where id = ${e.id} or requested_by = ${alice.id}`),
    ).rejects.toThrow();
    expect(await eventsOf(e.id)).toEqual([]);
  });
});
