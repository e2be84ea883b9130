import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, count, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Actor } from "../src/auth/actor";
import { ACTIVE_STATUSES, type ExportStatus, exportSchema } from "../src/contract";
import { type ExportRow, exports } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { toExportDto } from "../src/exports/serialize";
import { cancelExport, createExport, findExport, listExports } from "../src/exports/service";
import { keys, LocalStorage } from "../src/storage";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  TEST_LIMITS,
  type TestDatabase,
} from "../src/testing";

const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-service-storage-")));

async function putPart(id: string) {
  const file = await storage.create(keys.part(id, 1));
  file.stream.write("a,b\r\n");
  await file.commit();
}

let t: TestDatabase;
let admin: Actor;
let alice: Actor;
let bob: Actor;

const actor = (username: string, isSuperuser = false): Promise<Actor> =>
  createActor(t.db, username, isSuperuser);

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected a DomainError");
}

async function invalidFields(promise: Promise<unknown>): Promise<Record<string, string[]>> {
  const err = await domainError(promise);
  expect(err.code).toBe("INVALID");
  return err.fields ?? {};
}

async function row(id: string): Promise<ExportRow> {
  const rows = await t.db.select().from(exports).where(eq(exports.id, id));
  const r = rows[0];
  if (!r) throw new Error(`no export ${id}`);
  return r;
}

async function exportCount(): Promise<number> {
  const [r] = await t.db.select({ n: count() }).from(exports);
  return r?.n ?? 0;
}

async function setStatus(id: string, status: ExportStatus, extra: Partial<ExportRow> = {}) {
  await t.db
    .update(exports)
    .set({ status, ...extra })
    .where(eq(exports.id, id));
}

const PATH = "/api/v1/products/?is_active=true";
const RANDOM_UUID = "6f1c3b0e-2a4d-4e8f-9b7a-1c2d3e4f5a6b";

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await actor("admin", true);
  alice = await actor("alice");
  bob = await actor("bob");
});

afterAll(async () => {
  await t?.destroy();
});

describe("createExport", () => {
  it("creates a waiting export with the contract's defaults, owned by the caller", async () => {
    const dto = await createTestExport(t.db, alice, { request_path: PATH });
    expect(exportSchema.parse(dto)).toEqual(dto);
    expect(dto).toMatchObject({
      action_name: "export_products",
      collected_count: 0,
      error_message: null,
      fail_count: 0,
      filter_file: null,
      format_type: "csv",
      language: "en",
      last_instance_id: 0,
      page: 1,
      request_fields: [],
      request_path: PATH,
      requested_by: alice.id,
      result_file: null,
      total_count: 0,
      status: "waiting",
      uploaded_parts: [],
      viewset: "ProductViewSet",
    });
    expect(Object.keys(dto).sort()).toEqual(Object.keys(exportSchema.shape).sort());
    const stored = await row(dto.id);
    expect(stored.requestedBy).toBe(alice.id);
    expect(stored.status).toBe("waiting");
    expect(stored.createdDate.toISOString()).toBe(dto.created_date);
  });

  it("keeps the fields, format, language and action name it was given", async () => {
    const dto = await createTestExport(t.db, bob, {
      request_path: "  /api/v1/products?price__gt=10  ",
      request_fields: ["sku", "name", "price"],
      format_type: "xls",
      language: "tr",
      action_name: "nightly_products",
    });
    expect(dto).toMatchObject({
      request_path: "/api/v1/products?price__gt=10",
      request_fields: ["sku", "name", "price"],
      format_type: "xls",
      language: "tr",
      action_name: "nightly_products",
      requested_by: bob.id,
    });
    expect(
      (await createTestExport(t.db, bob, { request_path: PATH, format_type: "json", action_name: null }))
        .action_name,
    ).toBe("export_products");
  });

  describe("validation (nothing is stored)", () => {
    let before = 0;
    beforeEach(async () => {
      before = await exportCount();
    });
    const unchanged = async () => expect(await exportCount()).toBe(before);

    it("refuses an unknown field, listing the resource's fields", async () => {
      const fields = await invalidFields(
        createExport(
          t.db,
          alice,
          { request_path: PATH, request_fields: ["sku", "colour"] },
          { limits: TEST_LIMITS },
        ),
      );
      expect(Object.keys(fields)).toEqual(["request_fields"]);
      expect(fields.request_fields).toHaveLength(1);
      expect(fields.request_fields?.[0]).toMatch(
        /^Unknown field "colour"\. Fields of \/api\/v1\/products\/: id, sku, /,
      );
      await unchanged();
    });

    it("refuses a duplicate field", async () => {
      expect(
        await invalidFields(
          createExport(
            t.db,
            alice,
            { request_path: PATH, request_fields: ["sku", "name", "sku"] },
            { limits: TEST_LIMITS },
          ),
        ),
      ).toEqual({ request_fields: ['Field "sku" is requested more than once.'] });
      await unchanged();
    });

    it("refuses more than 100 fields", async () => {
      const many = Array.from({ length: 101 }, () => "id");
      expect(
        await invalidFields(
          createExport(t.db, alice, { request_path: PATH, request_fields: many }, { limits: TEST_LIMITS }),
        ),
      ).toEqual({
        request_fields: ["Ensure this field has no more than 100 elements."],
      });
      await unchanged();
    });

    it("refuses a format it does not produce and an unknown language", async () => {
      expect(
        await invalidFields(
          createExport(t.db, alice, { request_path: PATH, format_type: "xml" }, { limits: TEST_LIMITS }),
        ),
      ).toEqual({
        format_type: ['"xml" is not a valid choice.'],
      });
      expect(
        await invalidFields(
          createExport(t.db, alice, { request_path: PATH, language: "fr" }, { limits: TEST_LIMITS }),
        ),
      ).toEqual({
        language: ['"fr" is not a valid choice.'],
      });
      await unchanged();
    });

    it("requires request_path", async () => {
      expect(await invalidFields(createExport(t.db, alice, {}, { limits: TEST_LIMITS }))).toEqual({
        request_path: ["This field is required."],
      });
      expect(
        await invalidFields(createExport(t.db, alice, { request_path: "" }, { limits: TEST_LIMITS })),
      ).toEqual({
        request_path: ["This field may not be blank."],
      });
      await unchanged();
    });

    it("refuses values of the wrong type", async () => {
      expect(
        await invalidFields(
          createExport(t.db, alice, { request_path: PATH, request_fields: "id" }, { limits: TEST_LIMITS }),
        ),
      ).toEqual({
        request_fields: ['Expected a list of items but got type "string".'],
      });
      expect(
        await invalidFields(
          createExport(
            t.db,
            alice,
            { request_path: PATH, request_fields: { a: 1 } },
            { limits: TEST_LIMITS },
          ),
        ),
      ).toEqual({
        request_fields: ['Expected a list of items but got type "dict".'],
      });
      expect(
        await invalidFields(createExport(t.db, alice, { request_path: 42 }, { limits: TEST_LIMITS })),
      ).toEqual({
        request_path: ["Not a valid string."],
      });
      const nested = await invalidFields(
        createExport(t.db, alice, { request_path: PATH, request_fields: ["id", 7] }, { limits: TEST_LIMITS }),
      );
      expect(nested).toEqual({ request_fields: ["Item 2: Not a valid string."] });
      await unchanged();
    });

    it("reports every invalid field at once", async () => {
      const fields = await invalidFields(
        createExport(
          t.db,
          alice,
          { format_type: "xml", language: "fr", request_fields: 1 },
          { limits: TEST_LIMITS },
        ),
      );
      expect(Object.keys(fields).sort()).toEqual([
        "format_type",
        "language",
        "request_fields",
        "request_path",
      ]);
      await unchanged();
    });

    it("refuses a request_path that is not an exportable list", async () => {
      for (const requestPath of [
        "http://evil/api/v1/products/",
        "/api/v1/products/../users/",
        "/api/v1/users/",
        "/api/v1/products/?colour=red",
        "/api/v1/products/?price__gt=abc",
      ]) {
        const fields = await invalidFields(
          createExport(t.db, alice, { request_path: requestPath }, { limits: TEST_LIMITS }),
        );
        expect(Object.keys(fields)).toEqual(["request_path"]);
      }
      await unchanged();
    });
  });
});

describe("listExports / findExport", () => {
  // alice: a1 (oldest) … a3; bob: b1, b2, interleaved in time.
  const ids: Record<string, string> = {};
  const order = ["a1", "b1", "a2", "b2", "a3"];

  beforeAll(async () => {
    await t.db.delete(exports);
    for (const [i, key] of order.entries()) {
      const owner = key.startsWith("a") ? alice : bob;
      const dto = await createTestExport(t.db, owner, { request_path: PATH, action_name: key });
      ids[key] = dto.id;
      // Distinct creation times, one hour apart, so the order does not depend on clock resolution.
      await t.db
        .update(exports)
        .set({ createdDate: new Date(Date.UTC(2026, 0, 1, i)) })
        .where(eq(exports.id, dto.id));
    }
    await setStatus(ids.a2 ?? "", "completed");
  });

  const keys = (items: { action_name: string | null }[]) => items.map((e) => e.action_name);

  it("shows a regular user only their own exports, newest first", async () => {
    const page = await listExports(t.db, alice, {});
    expect(keys(page.items)).toEqual(["a3", "a2", "a1"]);
    expect(page).toMatchObject({ total: 3, page: 1, limit: 100 });
    expect(keys((await listExports(t.db, bob, undefined)).items)).toEqual(["b2", "b1"]);
    for (const item of page.items) expect(exportSchema.parse(item)).toEqual(item);
  });

  it("shows a superuser everyone's exports", async () => {
    const page = await listExports(t.db, admin, {});
    expect(keys(page.items)).toEqual(["a3", "b2", "a2", "b1", "a1"]);
    expect(page.total).toBe(5);
  });

  it("orders oldest first with ordering=created_date", async () => {
    expect(keys((await listExports(t.db, admin, { ordering: "created_date" })).items)).toEqual(order);
    expect(keys((await listExports(t.db, alice, { ordering: "created_date" })).items)).toEqual([
      "a1",
      "a2",
      "a3",
    ]);
    expect(keys((await listExports(t.db, alice, { ordering: "-created_date" })).items)).toEqual([
      "a3",
      "a2",
      "a1",
    ]);
  });

  it("paginates with limit and page, counting the total of the whole list", async () => {
    const first = await listExports(t.db, admin, { limit: "2" });
    expect(keys(first.items)).toEqual(["a3", "b2"]);
    expect(first).toMatchObject({ total: 5, page: 1, limit: 2 });
    const second = await listExports(t.db, admin, { limit: 2, page: 2 });
    expect(keys(second.items)).toEqual(["a2", "b1"]);
    const third = await listExports(t.db, admin, { limit: "2", page: "3" });
    expect(keys(third.items)).toEqual(["a1"]);
    const beyond = await listExports(t.db, admin, { limit: "2", page: "4" });
    expect(beyond.items).toEqual([]);
    expect(beyond.total).toBe(5);
    expect((await listExports(t.db, admin, { limit: "5000" })).limit).toBe(1000);
  });

  it("answers the unfiltered list (prepared statements) exactly as a built query does", async () => {
    // A filter every export passes sends the same request down the built path.
    const all = { created_date__gte: "2000-01-01T00:00:00Z" };
    // (a filter the list knows: a later bound leaves nothing)
    expect((await listExports(t.db, admin, { created_date__gte: "2100-01-01T00:00:00Z" })).total).toBe(0);
    for (const who of [admin, alice, bob]) {
      for (const page of ["1", "2", "3"]) {
        const prepared = await listExports(t.db, who, { limit: "2", page });
        const built = await listExports(t.db, who, { limit: "2", page, ...all });
        expect(prepared, `${who.username} page ${page}`).toEqual(built);
      }
      const got = await findExport(t.db, who, ids.a2 ?? "").catch(() => null);
      const listed = (await listExports(t.db, who, all)).items.find((e) => e.id === ids.a2) ?? null;
      expect(got, `${who.username} retrieve`).toEqual(listed);
    }
  });

  it("writes timestamps formatted by PostgreSQL exactly as toISOString does", async () => {
    const id = ids.b1 ?? "";
    for (const ms of [0, 7, 70, 999]) {
      const at = new Date(Date.UTC(2026, 0, 1, 1, 2, 3, ms));
      await t.db.update(exports).set({ createdDate: at, modifiedDate: at }).where(eq(exports.id, id));
      const dto = await findExport(t.db, admin, id);
      expect(dto.created_date).toBe(at.toISOString());
      expect(dto.modified_date).toBe(at.toISOString());
      expect(toExportDto(await row(id))).toEqual(dto);
    }
    await t.db
      .update(exports)
      .set({ createdDate: new Date(Date.UTC(2026, 0, 1, 1)) })
      .where(eq(exports.id, id));
  });

  it("refuses invalid pagination with the parameter as key", async () => {
    expect(await invalidFields(listExports(t.db, alice, { limit: "0" }))).toEqual({
      limit: ["A valid positive integer is required."],
    });
    expect(await invalidFields(listExports(t.db, alice, { page: "abc" }))).toEqual({
      page: ["A valid positive integer is required."],
    });
    expect(await invalidFields(listExports(t.db, alice, { ordering: "status" }))).toEqual({
      ordering: ["Select a valid choice. status is not one of the available choices."],
    });
  });

  it("combines filters with visibility, ignoring unknown parameters", async () => {
    expect(keys((await listExports(t.db, alice, { status: "pending" })).items)).toEqual(["a3", "a1"]);
    expect(keys((await listExports(t.db, alice, { status: "completed" })).items)).toEqual(["a2"]);
    expect((await listExports(t.db, bob, { status: "completed" })).total).toBe(0);
    expect(keys((await listExports(t.db, admin, { status: "pending", colour: "red" })).items)).toEqual([
      "a3",
      "b2",
      "b1",
      "a1",
    ]);
    expect(
      keys(
        (
          await listExports(t.db, admin, {
            created_date__gte: "2026-01-01T01:00:00Z",
            created_date__lt: "2026-01-01T03:00:00+00:00",
          })
        ).items,
      ),
    ).toEqual(["a2", "b1"]);
    expect(await invalidFields(listExports(t.db, alice, { status: "xml" }))).toEqual({
      status: ["Select a valid choice. xml is not one of the available choices."],
    });
  });

  it("gets one's own export and a superuser gets anyone's", async () => {
    const mine = await findExport(t.db, alice, ids.a1 ?? "");
    expect(mine.action_name).toBe("a1");
    expect(exportSchema.parse(mine)).toEqual(mine);
    expect((await findExport(t.db, admin, ids.b1 ?? "")).action_name).toBe("b1");
    expect((await findExport(t.db, alice, (ids.a1 ?? "").toUpperCase())).id).toBe(ids.a1);
  });

  it("answers NOT_FOUND for another user's export, an unknown id and a non-UUID id", async () => {
    for (const [who, id] of [
      [alice, ids.b1],
      [bob, ids.a1],
      [admin, RANDOM_UUID],
      [alice, "not-a-uuid"],
      [admin, "123"],
      [admin, ""],
      [admin, `${ids.a1}'--`],
    ] as const) {
      const err = await domainError(findExport(t.db, who, id ?? ""));
      expect(err.code).toBe("NOT_FOUND");
      expect(err.body()).toEqual({ detail: "Not found." });
    }
  });
});

describe("cancelExport", () => {
  async function fresh(status: ExportStatus = "waiting", extra: Partial<ExportRow> = {}): Promise<string> {
    const dto = await createTestExport(t.db, alice, { request_path: PATH });
    if (status !== "waiting" || Object.keys(extra).length) await setStatus(dto.id, status, extra);
    return dto.id;
  }

  it("is forbidden to non-superusers, before any lookup", async () => {
    const own = await fresh();
    for (const id of [own, RANDOM_UUID, "not-a-uuid"]) {
      const err = await domainError(cancelExport(t.db, alice, id));
      expect(err.code).toBe("FORBIDDEN");
      expect(err.body()).toEqual({ detail: "You do not have permission to perform this action." });
    }
    expect((await row(own)).status).toBe("waiting");
  });

  it("answers NOT_FOUND to a superuser for an unknown or non-UUID id", async () => {
    expect((await domainError(cancelExport(t.db, admin, RANDOM_UUID))).code).toBe("NOT_FOUND");
    expect((await domainError(cancelExport(t.db, admin, "42"))).code).toBe("NOT_FOUND");
  });

  it.each(ACTIVE_STATUSES)("cancels an export that is %s and removes its parts", async (status) => {
    const id = await fresh(status, { uploadedParts: ["part-1", "part-2"] });
    await putPart(id);
    expect(await storage.list(keys.partsPrefix(id))).toHaveLength(1);
    const dto = await cancelExport(t.db, admin, id, { storage });
    expect(dto.status).toBe("cancelled");
    expect(dto.uploaded_parts).toEqual([]);
    expect(exportSchema.parse(dto)).toEqual(dto);
    expect(await storage.list(keys.partsPrefix(id))).toEqual([]);
    const stored = await row(id);
    expect(stored.status).toBe("cancelled");
    expect(stored.uploadedParts).toEqual([]);
  });

  it("is idempotent on a cancelled export", async () => {
    const id = await fresh();
    const first = await cancelExport(t.db, admin, id, { storage });
    const again = await cancelExport(t.db, admin, id, { storage });
    expect(again).toEqual(first);
    expect(again.status).toBe("cancelled");
  });

  it.each(["completed", "failed"] as const)(
    "answers CONFLICT on a %s export and changes nothing",
    async (status) => {
      const id = await fresh(status, {
        uploadedParts: ["part-1"],
        resultFile: status === "completed" ? "/api/v1/exports/x/download/" : null,
        errorMessage: status === "failed" ? "boom" : null,
      });
      const before = await row(id);
      await putPart(id);
      const err = await domainError(cancelExport(t.db, admin, id, { storage }));
      expect(err.code).toBe("CONFLICT");
      expect(err.detail).toBe(`Export is already ${status}.`);
      expect(err.body()).toEqual({ detail: `Export is already ${status}.` });
      expect(await row(id)).toEqual(before);
      expect(await storage.list(keys.partsPrefix(id))).toHaveLength(1);
    },
  );

  it("resolves a race with a worker finishing the export: exactly one terminal state wins", async () => {
    const outcomes = { cancelled: 0, completed: 0 };
    for (let i = 0; i < 20; i++) {
      const id = await fresh(i % 2 === 0 ? "processing" : "preparing_file_creation", {
        uploadedParts: ["p"],
      });
      const [cancel, finished] = await Promise.all([
        cancelExport(t.db, admin, id).then(
          (dto) => ({ ok: true as const, dto }),
          (err: unknown) => ({ ok: false as const, err }),
        ),
        t.db
          .update(exports)
          .set({ status: "completed", resultFile: "/done" })
          .where(and(eq(exports.id, id), inArray(exports.status, ACTIVE_STATUSES)))
          .returning({ id: exports.id }),
      ]);
      const stored = await row(id);
      if (cancel.ok) {
        expect(cancel.dto.status).toBe("cancelled");
        expect(finished).toEqual([]);
        expect(stored.status).toBe("cancelled");
        expect(stored.resultFile).toBeNull();
        outcomes.cancelled++;
      } else {
        expect(cancel.err).toBeInstanceOf(DomainError);
        expect((cancel.err as DomainError).code).toBe("CONFLICT");
        expect((cancel.err as DomainError).detail).toBe("Export is already completed.");
        expect(finished).toEqual([{ id }]);
        expect(stored.status).toBe("completed");
        expect(stored.uploadedParts).toEqual(["p"]);
        outcomes.completed++;
      }
    }
    expect(outcomes.cancelled + outcomes.completed).toBe(20);
  });
});
