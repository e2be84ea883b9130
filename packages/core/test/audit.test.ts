import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/auth/actor";
import { exportEventSchema } from "../src/contract";
import { exportAudit, exports, exportTemplates } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { listAuditEvents, listExportEvents, recordDownload } from "../src/exports/audit";
import { setAuditActor } from "../src/exports/audit-actor";
import { cancelActiveExport } from "../src/exports/queries";
import { retryExport } from "../src/exports/retry";
import { cancelExport } from "../src/exports/service";
import { seedProducts } from "../src/seed/products";
import { LocalStorage } from "../src/storage";
import { fireNextDue } from "../src/templates/scheduler";
import { createTemplate, runTemplate } from "../src/templates/service";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  TEST_LIMITS,
  type TestDatabase,
} from "../src/testing";
import { drain, engineDeps } from "./engine/helpers";

/**
 * Issue 17, the audit trail: each lifecycle event is written by migration 0012's trigger in the statement that
 * causes it, with the actor the transaction names; rolled back, the change leaves no event. Downloads are one
 * insert of the web process.
 */

const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-audit-")));
let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let root: Actor;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  bob = await createActor(t.db, "bob");
  root = await createActor(t.db, "root", true);
  await seedProducts(t.db, 300);
});

afterAll(async () => {
  await t?.destroy();
});

let serial = 0;
const newExport = (actor: Actor = alice) =>
  createTestExport(t.db, actor, { request_path: "/api/v1/products/", action_name: `audit ${serial++}` });

const eventsOf = async (id: string) =>
  t.db.select().from(exportAudit).where(eq(exportAudit.exportId, id)).orderBy(asc(exportAudit.id));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).code;
  }
  throw new Error("expected a DomainError");
}

describe("the lifecycle events", () => {
  it("created (by whom), started, completed, downloaded; visible as the export is", async () => {
    const e = await newExport();
    await drain(engineDeps(t, storage, { pageSize: 100 }));
    await recordDownload(t.db, root, e.id, {
      status: 206,
      range: "bytes=0-9",
      bytes: 10,
      size: 99,
      partial: false,
    });
    const events = await listExportEvents(t.db, alice, e.id);
    expect(events.map((ev) => [ev.type, ev.actor_username])).toEqual([
      ["created", "alice"],
      ["started", null],
      ["completed", null],
      ["downloaded", "root"],
    ]);
    for (const ev of events) exportEventSchema.parse(ev);
    expect(events[0]?.detail).toEqual({ template: null });
    expect(events[2]?.detail).toEqual({ collected_count: 300, fail_count: 0 });
    expect(events[3]?.detail).toEqual({
      status: 206,
      range: "bytes=0-9",
      bytes: 10,
      size: 99,
      partial: false,
    });
    expect(await listExportEvents(t.db, root, e.id)).toEqual(events);
    expect(await codeOf(listExportEvents(t.db, bob, e.id))).toBe("NOT_FOUND");
    expect(await codeOf(listExportEvents(t.db, bob, "nope"))).toBe("NOT_FOUND");
  });

  it("cancelled names who cancelled; failed carries the message; retried names who retried", async () => {
    const c = await newExport();
    await cancelExport(t.db, root, c.id, { storage });
    expect((await eventsOf(c.id)).map((ev) => [ev.type, ev.actorId])).toEqual([
      ["created", alice.id],
      ["cancelled", root.id],
    ]);

    const f = await newExport();
    const failing = {
      ...engineDeps(t, storage, { pageSize: 100, runPages: 8, maxAttempts: 1 }),
      faults: (point: string) => {
        if (point === "page.recorded") throw new Error("boom");
      },
    };
    await drain(failing);
    await retryExport(t.db, alice, f.id, { storage, limits: TEST_LIMITS });
    await drain(engineDeps(t, storage, { pageSize: 100 }));
    const events = await eventsOf(f.id);
    expect(events.map((ev) => [ev.type, ev.actorId])).toEqual([
      ["created", alice.id],
      ["started", null],
      ["failed", null],
      ["retried", alice.id],
      ["completed", null],
    ]);
    expect(events[2]?.detail).toEqual({ message: "boom", collected_count: 100, fail_count: 0 });
    expect(events[3]?.detail).toEqual({ page: 2, collected_count: 100, resumed: true });
  });

  it("from a template: created names the template, and who ran it (a schedule: nobody)", async () => {
    const template = await createTemplate(t.db, alice, {
      name: "Daily",
      request_path: "/api/v1/products/?id__lte=5",
      schedule: { cron: "0 6 * * *", timezone: "UTC" },
    });
    const run = await runTemplate(t.db, root, template.id);
    expect((await eventsOf(run.export.id)).map((ev) => [ev.type, ev.actorId, ev.detail])).toEqual([
      ["created", root.id, { template: template.id }],
    ]);
    await drain(engineDeps(t, storage)); // the run-now finishes, so the slot may fire
    await t.db
      .update(exportTemplates)
      .set({ nextRunAt: sql`now() - interval '1 minute'` })
      .where(eq(exportTemplates.id, template.id));
    const fired = await fireNextDue(t.db);
    expect(fired).not.toBeNull();
    const [scheduled] = await t.db
      .select({ id: exports.id })
      .from(exports)
      .where(eq(exports.templateId, template.id))
      .orderBy(sql`${exports.createdDate} desc`)
      .limit(1);
    expect((await eventsOf(scheduled?.id ?? "")).map((ev) => [ev.type, ev.actorId, ev.detail])).toEqual([
      ["created", null, { template: template.id }],
    ]);
  });
});

describe("written in the transaction that causes them", () => {
  it("a cancel rolled back leaves no event; committed, one", async () => {
    const e = await newExport();
    await expect(
      t.db.transaction(async (tx) => {
        await setAuditActor(tx, root.id);
        expect(await cancelActiveExport(tx, e.id, 7)).toBeDefined();
        // The event is there inside the transaction…
        const inside = await tx.select().from(exportAudit).where(eq(exportAudit.exportId, e.id));
        expect(inside.map((ev) => ev.type)).toEqual(["created", "cancelled"]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    // …and gone with it.
    expect((await eventsOf(e.id)).map((ev) => ev.type)).toEqual(["created"]);
  });

  it("a create rolled back leaves no event; the actor does not outlive its transaction", async () => {
    const before = await t.db.select({ n: sql<number>`count(*)::int` }).from(exportAudit);
    await expect(
      t.db.transaction(async (tx) => {
        await setAuditActor(tx, alice.id);
        await tx.insert(exports).values({ requestPath: "/api/v1/products/", requestedBy: alice.id });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const after = await t.db.select({ n: sql<number>`count(*)::int` }).from(exportAudit);
    expect(after[0]?.n).toBe(before[0]?.n);
    // SET LOCAL: a later statement on any pooled connection names nobody.
    const [row] = await t.db
      .insert(exports)
      .values({ requestPath: "/api/v1/products/", requestedBy: bob.id })
      .returning({ id: exports.id });
    expect((await eventsOf(row?.id ?? "")).map((ev) => [ev.type, ev.actorId])).toEqual([["created", null]]);
  });

  it("a failure rolled back (the update undone) leaves no failed event", async () => {
    const e = await newExport();
    await expect(
      t.db.transaction(async (tx) => {
        await tx.update(exports).set({ status: "failed", errorMessage: "x" }).where(eq(exports.id, e.id));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect((await eventsOf(e.id)).map((ev) => ev.type)).toEqual(["created"]);
  });
});

describe("the superusers' list", () => {
  it("filters by type, export, user and created date, newest first, paginated; others get 403", async () => {
    const e = await newExport(bob);
    await recordDownload(t.db, bob, e.id, { status: 200, range: null, bytes: 5, size: 5, partial: false });
    await recordDownload(t.db, root, e.id, { status: 200, range: null, bytes: 5, size: 5, partial: false });
    const downloads = await listAuditEvents(t.db, root, { type: "downloaded", export: e.id });
    expect(downloads.total).toBe(2);
    expect(downloads.items.map((ev) => ev.actor_username)).toEqual(["root", "bob"]);
    const byBob = await listAuditEvents(t.db, root, { type: "downloaded", user: bob.id });
    expect(byBob.items.map((ev) => ev.export)).toEqual([e.id]);
    const page = await listAuditEvents(t.db, root, { export: e.id, limit: "1", page: "2" });
    expect(page).toMatchObject({ total: 3, page: 2, limit: 1 });
    expect(page.items.map((ev) => ev.type)).toEqual(["downloaded"]);
    const future = await listAuditEvents(t.db, root, { created_date__gte: "2999-01-01T00:00:00Z" });
    expect(future.total).toBe(0);
    expect(await codeOf(listAuditEvents(t.db, alice, {}))).toBe("FORBIDDEN");
    expect(await codeOf(listAuditEvents(t.db, root, { type: "opened" }))).toBe("INVALID");
    expect(await codeOf(listAuditEvents(t.db, root, { nonsense: "1" }))).toBe("INVALID");
  });
});
