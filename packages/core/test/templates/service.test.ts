import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exports } from "../../src/db/schema";
import { DomainError } from "../../src/errors";
import { listExports } from "../../src/exports/service";
import {
  createTemplate,
  deleteTemplate,
  findTemplate,
  listTemplates,
  runTemplate,
  updateTemplate,
} from "../../src/templates/service";
import { createActor, createTestDatabase, type TestDatabase } from "../../src/testing";

let t: TestDatabase;
let admin: Actor;
let alice: Actor;
let bob: Actor;

async function fieldsOf(p: Promise<unknown>): Promise<Record<string, string[]>> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe("INVALID");
  return (err as DomainError).fields ?? {};
}

const base = { name: "Active products", request_path: "/api/v1/products/?is_active=true" };

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createActor(t.db, "admin", true);
  alice = await createActor(t.db, "alice");
  bob = await createActor(t.db, "bob");
});
afterAll(async () => {
  await t?.destroy();
});

describe("templates", () => {
  it("creates with defaults; next_run_at is the schedule's next slot", async () => {
    const plain = await createTemplate(t.db, alice, base);
    expect(plain).toMatchObject({
      name: "Active products",
      request_fields: [],
      format_type: "csv",
      language: "en",
      options: {},
      schedule: null,
      only_changed_since_last_run: false,
      paused: false,
      owner: alice.id,
      next_run_at: null,
      last_run_at: null,
    });
    const before = Date.now();
    const scheduled = await createTemplate(t.db, alice, {
      ...base,
      schedule: { cron: "0 6 * * 1-5", timezone: "Europe/Istanbul" },
      options: {
        delimiter: ";",
        decimal_separator: ",",
        include_header: true,
        compression: "gzip",
        timezone: "Europe/Istanbul",
      },
    });
    const next = new Date(scheduled.next_run_at ?? 0);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getUTCHours()).toBe(3);
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
  });

  it("reports every problem in one 400: the export's, the schedule's, the options'", async () => {
    const fields = await fieldsOf(
      createTemplate(t.db, alice, {
        name: "",
        request_path: "/api/v1/products/",
        request_fields: ["sku", "nope"],
        format_type: "pdf",
        schedule: { cron: "61 * * * *", timezone: "Mars/Olympus" },
        options: { delimiter: "|", bogus: 1 },
        only_changed_since_last_run: "yes",
      }),
    );
    expect(Object.keys(fields).sort()).toEqual(
      ["format_type", "name", "only_changed_since_last_run", "options", "request_fields", "schedule"].sort(),
    );
    expect(fields.schedule?.join(" ")).toMatch(/minute: 61/);
    expect(fields.schedule?.join(" ")).toMatch(/Mars\/Olympus/);
    expect(fields.request_fields?.[0]).toMatch(/Unknown field "nope"/);
    expect(
      (
        await fieldsOf(
          createTemplate(t.db, alice, { ...base, options: { delimiter: ",", decimal_separator: "," } }),
        )
      ).options,
    ).toEqual(['A decimal comma needs a delimiter other than ",": use ";" or a tab.']);
    expect((await fieldsOf(createTemplate(t.db, alice, { ...base, options: [] }))).options).toBeDefined();
    expect(
      (await fieldsOf(createTemplate(t.db, alice, { ...base, schedule: "daily" }))).schedule,
    ).toBeDefined();
    expect(
      (
        await fieldsOf(
          createTemplate(t.db, alice, {
            ...base,
            request_path: "/api/v1/products/?modified_date__gte=2026-01-01",
            only_changed_since_last_run: true,
          }),
        )
      ).request_path?.[0],
    ).toMatch(/modified_date__gte is set by only_changed_since_last_run/);
  });

  it("visibility: the owner and superusers see it; others get not found", async () => {
    const mine = await createTemplate(t.db, alice, base);
    expect((await findTemplate(t.db, admin, mine.id)).owner_username).toBe("alice");
    await expect(findTemplate(t.db, bob, mine.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(updateTemplate(t.db, bob, mine.id, { name: "x" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(deleteTemplate(t.db, bob, mine.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(runTemplate(t.db, bob, mine.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(findTemplate(t.db, alice, "42")).rejects.toMatchObject({ code: "NOT_FOUND" });
    const bobs = await listTemplates(t.db, bob, {});
    expect(bobs.items.map((x) => x.id)).not.toContain(mine.id);
    expect((await listTemplates(t.db, admin, {})).items.map((x) => x.id)).toContain(mine.id);
  });

  it("PATCH validates the merged template; pause clears next_run_at, resume sets the next slot", async () => {
    const tpl = await createTemplate(t.db, alice, {
      ...base,
      schedule: { cron: "*/5 * * * *", timezone: "UTC" },
    });
    expect(tpl.next_run_at).not.toBeNull();
    const paused = await updateTemplate(t.db, alice, tpl.id, { paused: true });
    expect(paused.next_run_at).toBeNull();
    const resumed = await updateTemplate(t.db, alice, tpl.id, { paused: false });
    expect(new Date(resumed.next_run_at ?? 0).getUTCMinutes() % 5).toBe(0);
    expect(
      (await fieldsOf(updateTemplate(t.db, alice, tpl.id, { request_fields: ["nope"] }))).request_fields,
    ).toBeDefined();
    const renamed = await updateTemplate(t.db, alice, tpl.id, { name: "Renamed", schedule: null });
    expect(renamed).toMatchObject({ name: "Renamed", schedule: null, next_run_at: null });
  });

  it("run now makes an export that names its template, filterable; deleting the template keeps the export", async () => {
    const tpl = await createTemplate(t.db, alice, {
      ...base,
      request_fields: ["sku", "name"],
      format_type: "json",
    });
    const run = await runTemplate(t.db, alice, tpl.id);
    expect(run.outcome).toBe("created");
    expect(run.export).toMatchObject({
      template: tpl.id,
      request_path: base.request_path,
      request_fields: ["sku", "name"],
      format_type: "json",
      requested_by: alice.id,
      status: "waiting",
    });
    expect((await findTemplate(t.db, alice, tpl.id)).last_run_at).toBe(run.export.created_date);
    const listed = await listExports(t.db, alice, { template: tpl.id });
    expect(listed.items.map((e) => e.id)).toEqual([run.export.id]);
    // A superuser's run-now is still the owner's export.
    await t.db.update(exports).set({ status: "completed" }).where(eq(exports.id, run.export.id));
    const byAdmin = await runTemplate(t.db, admin, tpl.id);
    expect(byAdmin.export.requested_by).toBe(alice.id);
    await deleteTemplate(t.db, alice, tpl.id);
    const [kept] = await t.db.select().from(exports).where(eq(exports.id, run.export.id));
    expect(kept?.templateId).toBeNull();
  });

  it("incremental runs: the first exports everything, the next only what changed since the last successful run", async () => {
    const tpl = await createTemplate(t.db, bob, { ...base, only_changed_since_last_run: true });
    const first = await runTemplate(t.db, bob, tpl.id);
    expect(first.export.request_path).toBe(base.request_path);
    // Not completed yet: the next run still has no successful run to start from.
    await t.db.update(exports).set({ status: "failed" }).where(eq(exports.id, first.export.id));
    const second = await runTemplate(t.db, bob, tpl.id);
    expect(second.export.request_path).toBe(base.request_path);
    await t.db.update(exports).set({ status: "completed" }).where(eq(exports.id, second.export.id));
    const [row] = await t.db.select().from(exports).where(eq(exports.id, second.export.id));
    const third = await runTemplate(t.db, bob, tpl.id);
    expect(third.export.request_path).toBe(
      `${base.request_path}&modified_date__gte=${encodeURIComponent(row?.templatePoint?.toISOString() ?? "")}`,
    );
  });
});
