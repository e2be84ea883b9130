import { randomUUID } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { and, asc, count, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor";
import { exportFilterKeys, exports, products } from "../../src/db/schema";
import { DomainError } from "../../src/errors";
import { createExport } from "../../src/exports/service";
import { seedProducts } from "../../src/seed/products";
import type { Storage } from "../../src/storage";
import {
  createActor,
  createTestDatabase,
  createTestExport,
  TEST_LIMITS,
  type TestDatabase,
} from "../../src/testing";
import { drain, engineDeps, exportRow, parseCsvFile, readResult, tempStorage } from "./helpers";

let t: TestDatabase;
let alice: Actor;
const storage = tempStorage();

beforeAll(async () => {
  t = await createTestDatabase();
  alice = await createActor(t.db, "alice");
  await seedProducts(t.db, 600);
});

afterAll(async () => {
  await t?.destroy();
});

const sku = (n: number) => `SKU-${String(n).padStart(8, "0")}`;
const file = (content: string | Buffer, name = "skus.txt") => ({
  name,
  content: typeof content === "string" ? Buffer.from(content, "utf8") : content,
});

async function counts() {
  const [e] = await t.db.select({ n: count() }).from(exports);
  const [k] = await t.db.select({ n: count() }).from(exportFilterKeys);
  let uploads = 0;
  for (const folder of await storage.list("uploads")) uploads += 1 + (await storage.list(folder)).length;
  return { exports: e?.n ?? 0, keys: k?.n ?? 0, uploads };
}

async function invalidFields(promise: Promise<unknown>): Promise<Record<string, string[]>> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("INVALID");
    return (err as DomainError).fields ?? {};
  }
  throw new Error("expected INVALID");
}

describe("an export restricted by a filter file", () => {
  it("holds exactly the records that are both listed by request_path and named in the file, in id order", async () => {
    // Every 7th product, some inactive ones among them (is_active = id % 10 <> 0), listed out of order,
    // with duplicates, unknown SKUs, blank lines and CRLF.
    const wanted = Array.from({ length: 80 }, (_, i) => 600 - i * 7).filter((n) => n > 0);
    const lines = [
      ...wanted.map(sku),
      "",
      sku(wanted[3] ?? 1),
      "NOPE-1",
      "  ",
      sku(9999),
      sku(wanted[0] ?? 1),
      "sku-00000007", // SKUs are compared exactly: no match
    ];
    const original = Buffer.from(`\uFEFF${lines.join("\r\n")}\r\n`, "utf8");
    const created = await createTestExport(
      t.db,
      alice,
      {
        request_path: "/api/v1/products/?is_active=true&price__gte=100",
        request_fields: ["id", "sku", "name"],
      },
      { filterFile: file(original, "My SKUs (May).txt"), storage },
    );
    expect(created.filter_file).toBe(`uploads/${created.id}/My_SKUs_May_.txt`);
    expect(created.status).toBe("waiting");

    const stored = await exportRow(t.db, created.id);
    expect(stored.filterKeyField).toBe("sku");
    const keys = await t.db
      .select({ value: exportFilterKeys.value })
      .from(exportFilterKeys)
      .where(eq(exportFilterKeys.exportId, created.id));
    const distinct = new Set(lines.map((l) => l.trim()).filter(Boolean));
    expect(keys).toHaveLength(distinct.size);
    expect(new Set(keys.map((k) => k.value))).toEqual(distinct);
    // The original file is kept, byte for byte.
    expect(await buffer(storage.read(stored.filterFile ?? ""))).toEqual(original);

    await drain(engineDeps(t, storage, { pageSize: 7 }));
    const row = await exportRow(t.db, created.id);
    expect(row.status).toBe("completed");

    const expected = await t.db
      .select({ id: products.id, sku: products.sku, name: products.name, price: products.price })
      .from(products)
      .where(and(eq(products.isActive, true), inArray(products.sku, [...distinct])))
      .orderBy(asc(products.id));
    const intersection = expected.filter((p) => Number(p.price) >= 100);
    expect(intersection.length).toBeGreaterThan(10);
    expect(intersection.length).toBeLessThan(wanted.length);
    expect(row.totalCount).toBe(intersection.length);
    expect(row.collectedCount).toBe(intersection.length);
    const [header, ...body] = parseCsvFile(await readResult(storage, row));
    expect(header).toEqual(["ID", "SKU", "Name"]);
    expect(body).toEqual(intersection.map((p) => [String(p.id), p.sku, p.name]));
    // The upload stays (filter_file names it); the parts are gone.
    expect(await storage.size(stored.filterFile ?? "")).toBe(original.length);
    expect(await storage.list(`parts/${row.id}`)).toEqual([]);
  });

  it("reads a CSV whose header names the id column, ignoring the other columns", async () => {
    const ids = [5, 17, 17, 250, 251, 599, 4000];
    const csv = `name,ID\r\n${ids.map((id) => `"Item, ${id}",${id}`).join("\r\n")}\r\n`;
    const created = await createTestExport(
      t.db,
      alice,
      { request_path: "/api/v1/products/?id__gt=10", request_fields: ["id", "sku"], format_type: "json" },
      { filterFile: file(csv, "ids.csv"), storage },
    );
    expect((await exportRow(t.db, created.id)).filterKeyField).toBe("id");
    await drain(engineDeps(t, storage, { pageSize: 2 }));
    const row = await exportRow(t.db, created.id);
    expect(row.status).toBe("completed");
    const records = JSON.parse((await readResult(storage, row)).toString("utf8"));
    expect(records).toEqual([17, 250, 251, 599].map((id) => ({ id, sku: sku(id) })));
  });

  it("completes empty when no named record is listed", async () => {
    const created = await createTestExport(
      t.db,
      alice,
      { request_path: "/api/v1/products/?id__gt=500" },
      { filterFile: file(`${sku(3)}\n${sku(4)}\n`), storage },
    );
    await drain(engineDeps(t, storage));
    const row = await exportRow(t.db, created.id);
    expect(row.status).toBe("completed");
    expect(row.totalCount).toBe(0);
    expect(parseCsvFile(await readResult(storage, row))).toHaveLength(1);
  });

  it("stores a large file's identifiers in chunks, and restricts by them", async () => {
    // 120,000 identifiers (beyond one insert chunk), of which 3 exist.
    const names = Array.from({ length: 120_000 }, (_, i) => `X-${i}`);
    names.splice(60_000, 0, sku(10), sku(300), sku(599));
    const created = await createTestExport(
      t.db,
      alice,
      { request_path: "/api/v1/products/", request_fields: ["id"] },
      { filterFile: file(names.join("\n")), storage },
    );
    const [n] = await t.db
      .select({ n: count() })
      .from(exportFilterKeys)
      .where(eq(exportFilterKeys.exportId, created.id));
    expect(n?.n).toBe(120_003);
    await drain(engineDeps(t, storage));
    const row = await exportRow(t.db, created.id);
    expect(parseCsvFile(await readResult(storage, row))).toEqual([["ID"], ["10"], ["300"], ["599"]]);
  });
});

describe("a refused filter file stores nothing", () => {
  it("reports the file's problem together with the body's, and stores no export, no keys, no file", async () => {
    const before = await counts();
    expect(
      await invalidFields(
        createExport(
          t.db,
          alice,
          { request_path: "/api/v1/products/", request_fields: ["sku", "colour"] },
          { limits: TEST_LIMITS, filterFile: file("name,price\nMug,3\n", "bad.csv"), storage },
        ),
      ),
    ).toEqual({
      request_fields: [expect.stringMatching(/^Unknown field "colour"\./)],
      filter_file: [
        "The filter file has no column named sku or id. Name the key column in the first line, or upload one identifier per line.",
      ],
    });
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["an empty file", ""],
    ["an invalid id", "id\n1\nabc\n"],
    ["an id out of range", "id\n99999999999\n"],
    ["a binary file", Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff])],
    ["too many identifiers", `id\n${Array.from({ length: 1_000_001 }, (_, i) => i).join("\n")}`],
  ] as const)("%s", async (_, content) => {
    const before = await counts();
    const fields = await invalidFields(
      createExport(
        t.db,
        alice,
        { request_path: "/api/v1/products/" },
        { limits: TEST_LIMITS, filterFile: file(content), storage },
      ),
    );
    expect(Object.keys(fields)).toEqual(["filter_file"]);
    expect(await counts()).toEqual(before);
  });

  it("checks the file's encoding even when the request path is unknown", async () => {
    expect(
      await invalidFields(
        createExport(
          t.db,
          alice,
          { request_path: "/api/v1/nothing/" },
          { limits: TEST_LIMITS, filterFile: file(Buffer.from([0xc3, 0x28])), storage },
        ),
      ),
    ).toEqual({
      request_path: [expect.stringMatching(/^Unknown resource path/)],
      filter_file: ["The filter file is not UTF-8 text. Upload a .txt or .csv file in UTF-8."],
    });
  });

  it("removes the stored file when the transaction fails", async () => {
    const before = await counts();
    const ghost: Actor = { id: randomUUID(), username: "ghost", isSuperuser: false };
    await expect(
      createExport(
        t.db,
        ghost,
        { request_path: "/api/v1/products/" },
        { limits: TEST_LIMITS, filterFile: file(sku(1)), storage },
      ),
    ).rejects.toThrow();
    expect(await counts()).toEqual(before);
  });

  it("stores no export when the file cannot be stored", async () => {
    const before = await counts();
    const broken: Storage = {
      location: "broken",
      check: async () => {},
      create: async () => {
        throw Object.assign(new Error("disk full"), { code: "ENOSPC" });
      },
      compose: (key, segments) => storage.compose(key, segments),
      read: (key) => storage.read(key),
      size: (key) => storage.size(key),
      remove: (key) => storage.remove(key),
      removePrefix: (key) => storage.removePrefix(key),
      list: (key) => storage.list(key),
    };
    await expect(
      createExport(
        t.db,
        alice,
        { request_path: "/api/v1/products/" },
        { limits: TEST_LIMITS, filterFile: file(sku(1)), storage: broken },
      ),
    ).rejects.toThrow("disk full");
    expect(await counts()).toEqual(before);
  });

  it("keeps createExport without a file as it was (no key field, no keys)", async () => {
    const created = await createTestExport(t.db, alice, { request_path: "/api/v1/products/?id__gt=590" });
    expect(created.filter_file).toBeNull();
    const row = await exportRow(t.db, created.id);
    expect(row.filterKeyField).toBeNull();
    const [n] = await t.db
      .select({ n: count() })
      .from(exportFilterKeys)
      .where(eq(exportFilterKeys.exportId, created.id));
    expect(n?.n).toBe(0);
  });
});
