import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { createDatabase, type Database } from "../../src/db/client";
import { exports, exportTemplates, products, users } from "../../src/db/schema";
import { fireNextDue, TemplateScheduler } from "../../src/templates/scheduler";
import { createTemplate } from "../../src/templates/service";
import { createActor, createTestDatabase, seedProducts, type TestDatabase } from "../../src/testing";
import { drain, engineDeps, exportRow, parseCsvFile, readResult, tempStorage } from "../engine/helpers";

let t: TestDatabase;
let alice: Actor;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 300);
});
afterAll(async () => {
  await t?.destroy();
});
// Each test's own templates only: an earlier test's every-minute template may come due again meanwhile.
beforeEach(async () => {
  await t.db.update(exportTemplates).set({ nextRunAt: null });
});

const runsOf = async (templateId: string) =>
  t.db.select().from(exports).where(eq(exports.templateId, templateId));

async function scheduled(cron = "* * * * *", extra: Record<string, unknown> = {}) {
  return createTemplate(t.db, alice, {
    name: "every minute",
    request_path: "/api/v1/products/",
    request_fields: ["id", "sku"],
    schedule: { cron, timezone: "Europe/Berlin" },
    ...extra,
  });
}

/** Moves a template's slot into the past, as if the clock had reached it. */
const makeDue = (id: string, ago = "1 second") =>
  t.db
    .update(exportTemplates)
    .set({ nextRunAt: sql`date_trunc('minute', now()) - ${ago}::interval` })
    .where(eq(exportTemplates.id, id));

describe("the scheduler", () => {
  it("fires each due slot exactly once with two loops racing on their own connections", async () => {
    const templates = await Promise.all(Array.from({ length: 12 }, () => scheduled()));
    for (const tpl of templates) await makeDue(tpl.id);
    const second: Database = createDatabase(t.url, { max: 4, name: "scheduler-b" });
    const loops = [
      new TemplateScheduler({ db: t.db }),
      new TemplateScheduler({ db: second.db }),
      new TemplateScheduler({ db: second.db }),
    ];
    try {
      const fired = (await Promise.all(loops.map((l) => l.tick()))).flat();
      expect(fired).toHaveLength(12);
      for (const tpl of templates) {
        expect((await runsOf(tpl.id)).length, tpl.id).toBe(1);
        const [row] = await t.db.select().from(exportTemplates).where(eq(exportTemplates.id, tpl.id));
        // The next slot is after now: the same slot never fires again.
        expect(row?.nextRunAt?.getTime()).toBeGreaterThan(Date.now());
      }
      // Nothing is due any more: another round of every loop fires nothing.
      expect((await Promise.all(loops.map((l) => l.tick()))).flat()).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("after downtime runs once for all the missed slots", async () => {
    const tpl = await scheduled("*/5 * * * *");
    // Down for three days: hundreds of slots were missed.
    await makeDue(tpl.id, "3 days");
    const first = await fireNextDue(t.db);
    expect(first?.templateId).toBe(tpl.id);
    expect(first?.exportId).toBeTruthy();
    expect(await fireNextDue(t.db)).toBeNull();
    expect(await runsOf(tpl.id)).toHaveLength(1);
  });

  it("does not fire a paused template, nor one whose owner is deactivated", async () => {
    const paused = await scheduled("* * * * *", { paused: true });
    expect(paused.next_run_at).toBeNull();
    const carol = await createActor(t.db, "carol");
    const hers = await createTemplate(t.db, carol, {
      name: "carol's",
      request_path: "/api/v1/products/",
      schedule: { cron: "* * * * *", timezone: "UTC" },
    });
    await makeDue(hers.id);
    await t.db.update(users).set({ isActive: false }).where(eq(users.id, carol.id));
    expect(await fireNextDue(t.db)).toBeNull();
    expect(await runsOf(hers.id)).toHaveLength(0);
    // Active again: it fires (once) at the slot it was waiting for.
    await t.db.update(users).set({ isActive: true }).where(eq(users.id, carol.id));
    expect((await fireNextDue(t.db))?.templateId).toBe(hers.id);
    expect(await runsOf(hers.id)).toHaveLength(1);
  });

  it("skips a slot while the previous run is unfinished, and still moves to the next slot", async () => {
    const tpl = await scheduled();
    await makeDue(tpl.id);
    expect((await fireNextDue(t.db))?.exportId).toBeTruthy();
    await makeDue(tpl.id);
    const skipped = await fireNextDue(t.db);
    expect(skipped).toMatchObject({ templateId: tpl.id, exportId: null });
    expect(await runsOf(tpl.id)).toHaveLength(1);
    await t.db.update(exports).set({ status: "cancelled" }).where(eq(exports.templateId, tpl.id));
  });
});

describe("incremental runs under concurrent updates", () => {
  it("every row updated during a run is in that run or the next, never in neither", async () => {
    const storage = tempStorage();
    const deps = engineDeps(t, storage, { pageSize: 50 });
    // Old rows: modified long ago.
    await t.db.update(products).set({ modifiedDate: sql`now() - interval '1 day'` });
    const tpl = await createTemplate(t.db, alice, {
      name: "changed",
      request_path: "/api/v1/products/",
      request_fields: ["id", "stock"],
      only_changed_since_last_run: true,
      schedule: { cron: "* * * * *", timezone: "UTC" },
    });
    const fire = async () => {
      await makeDue(tpl.id);
      const fired = await fireNextDue(t.db);
      if (!fired?.exportId) throw new Error("no run");
      return fired.exportId;
    };
    const idsOf = async (exportId: string) => {
      const row = await exportRow(t.db, exportId);
      expect(row.status).toBe("completed");
      return new Set(
        parseCsvFile(await readResult(storage, row))
          .slice(1)
          .map((r) => Number(r[0])),
      );
    };

    const run1 = await fire();
    await drain(deps);
    expect((await idsOf(run1)).size).toBe(300); // the first run: everything

    // Run 2 while writers update rows: some in transactions that began before the run was created and commit
    // after it was (their modified_date, the transaction's now(), is earlier than the run's creation).
    const writer = createDatabase(t.url, { max: 4, name: "writer" });
    const updated = new Set<number>();
    try {
      const lateClient = await writer.pool.connect();
      await lateClient.query("begin");
      await lateClient.query(
        "update products set stock = stock + 1, modified_date = now() where id in (5, 6, 7)",
      );
      for (const id of [5, 6, 7]) updated.add(id);
      const run2 = await fire();
      let page = 0;
      const busy = (async () => {
        // Updates between pages of run 2.
        for (let i = 0; i < 10; i++) {
          const id = 10 + i * 29;
          await writer.pool.query(
            "update products set stock = stock + 1, modified_date = now() where id = $1",
            [id],
          );
          updated.add(id);
          await new Promise((r) => setTimeout(r, 5));
          page++;
        }
      })();
      await drain(deps);
      await busy;
      await lateClient.query("commit");
      lateClient.release();
      const in2 = await idsOf(run2);
      const run3 = await fire();
      await drain(deps);
      const in3 = await idsOf(run3);
      for (const id of updated) expect(in2.has(id) || in3.has(id), `row ${id}`).toBe(true);
      // Rows nobody touched after run 1 are in neither later run.
      expect(in3.has(200)).toBe(false);
      expect(page).toBe(10);
    } finally {
      await writer.close();
    }
  }, 120_000);
});
