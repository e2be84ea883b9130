import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../src/auth/users";
import { exports } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { findExportJsonForToken } from "../src/exports/record-reads";
import { findExport, listExports, listExportsJson } from "../src/exports/service";
import { createTestDatabase, type TestDatabase } from "../src/testing";

/**
 * The REST reads (record-reads.ts: no ORM, records serialised by PostgreSQL) answer exactly what the ORM's
 * path and JSON.stringify answer, byte for byte, with awkward values in every text field; the same 401/404 order.
 */

let t: TestDatabase;
let admin: { id: string; token: string };
let alice: { id: string; token: string };
const actorOf = (u: { id: string }, isSuperuser: boolean, username: string) => ({
  id: u.id,
  username,
  isSuperuser,
});

const AWKWARD =
  'quote " backslash \\ tab \t newline \n cr \r bell \u0007 esc \u001b del \u007f é 😀 \u2028 </script>';

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await createUser(t.db, { username: "rr-admin", isSuperuser: true });
  alice = await createUser(t.db, { username: "rr-alice" });
  const base = Date.UTC(2024, 1, 29, 23, 59, 59, 7);
  await t.db.insert(exports).values(
    Array.from({ length: 7 }, (_, i) => ({
      requestPath: i === 0 ? `/api/v1/products/?q=${AWKWARD}` : "/api/v1/products/",
      requestFields: i === 0 ? [AWKWARD, "", "NULL", "a,b", "{x}"] : ["sku"],
      uploadedParts: i === 1 ? ["parts/1", 'p"2'] : [],
      actionName: i === 0 ? AWKWARD : i === 2 ? null : "export_products",
      errorMessage: i === 0 ? AWKWARD : null,
      filterFile: i === 3 ? "uploads/x/ids.csv" : null,
      viewset: i === 4 ? null : "ProductViewSet",
      resultFile: i === 5 ? "/api/v1/exports/x/download/" : null,
      requestedBy: i % 2 === 0 ? alice.id : admin.id,
      collectedCount: i * 1000,
      totalCount: 2_000_000_000 + i,
      // Two share a created_date: the id orders them.
      createdDate: new Date(base - (i === 6 ? 5 : i) * 1000),
      modifiedDate: new Date(base + i),
    })),
  );
});

afterAll(async () => {
  await t?.close();
});

describe("the REST reads", () => {
  it("list the same records in the same order, serialised byte for byte as the ORM's path", async () => {
    for (const [user, superuser, name] of [
      [admin, true, "rr-admin"],
      [alice, false, "rr-alice"],
    ] as const) {
      const actor = actorOf(user, superuser, name);
      for (const query of [{}, { limit: "3", page: "2" }, { limit: "3", page: "9" }]) {
        const { json, ...fast } = await listExportsJson(t.db, actor, query);
        const orm = await listExports(t.db, actor, query);
        expect(json).toBe(JSON.stringify(orm.items));
        expect(fast).toEqual({ total: orm.total, page: orm.page, limit: orm.limit });
        // A filter every record passes takes the ORM's path.
        const filtered = { ...query, created_date__gte: "2000-01-01T00:00:00Z" };
        expect(await listExportsJson(t.db, actor, filtered)).toEqual({ json, ...fast });
      }
    }
  });

  it("retrieve with the token lookup folded in: the record as findExport serialises it; 401 before 404", async () => {
    const listed = await listExports(t.db, actorOf(admin, true, "rr-admin"), {});
    expect(listed.items).toHaveLength(7);
    for (const record of listed.items) {
      const { actor, json } = await findExportJsonForToken(
        t.db,
        `Token ${admin.token}`,
        record.id,
        "exports:read",
      );
      expect(actor).toEqual(actorOf(admin, true, "rr-admin"));
      expect(json).toBe(JSON.stringify(await findExport(t.db, actor, record.id)));
    }
    const adminsOwn = listed.items.find((r) => r.requested_by === admin.id)?.id ?? "";
    const code = async (header: string | null, id: string) => {
      try {
        await findExportJsonForToken(t.db, header, id, "exports:read");
        return "ok";
      } catch (err) {
        return err instanceof DomainError ? err.code : String(err);
      }
    };
    expect(await code(`Token ${alice.token}`, adminsOwn)).toBe("NOT_FOUND");
    expect(await code(`Token ${alice.token}`, "not-a-uuid")).toBe("NOT_FOUND");
    expect(await code(`Token ${"0".repeat(40)}`, adminsOwn)).toBe("UNAUTHENTICATED");
    expect(await code(`Token ${"0".repeat(40)}`, "not-a-uuid")).toBe("UNAUTHENTICATED");
    expect(await code(null, adminsOwn)).toBe("UNAUTHENTICATED");
    expect(await code("Token", adminsOwn)).toBe("UNAUTHENTICATED");
  });
});
