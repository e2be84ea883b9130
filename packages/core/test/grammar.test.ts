import { and, asc, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../src/auth/users";
import type { ExportStatus } from "../src/contract";
import { exports, products } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { exportFilterSpec } from "../src/exports/filters";
import { compileFilters, type ParseOptions, splitParam } from "../src/filters/grammar";
import { PAGINATION_PARAMS } from "../src/filters/pagination";
import { productsResource } from "../src/resources/products";
import { resolveRequestPath } from "../src/resources/request-path";
import { createTestDatabase, createTestExport, type TestDatabase } from "../src/testing";

let t: TestDatabase;

const IGNORE: ParseOptions = { unknown: "ignore", reserved: PAGINATION_PARAMS };
const ERROR: ParseOptions = { unknown: "error", reserved: PAGINATION_PARAMS };

function fieldsOf(fn: () => unknown): Record<string, string[]> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("INVALID");
    return (err as DomainError).fields ?? {};
  }
  throw new Error("expected an INVALID error");
}

const choiceError = (value: string) => `Select a valid choice. ${value} is not one of the available choices.`;

// Exports on both sides of the UTC day boundaries around 2026-03-10, one per status.
const EXPORT_FIXTURES: {
  key: string;
  status: ExportStatus;
  format: "csv" | "xls" | "json";
  created: string;
}[] = [
  { key: "A", status: "waiting", format: "csv", created: "2026-03-09T23:59:59.999Z" },
  { key: "B", status: "waiting_next_page", format: "xls", created: "2026-03-10T00:00:00.000Z" },
  { key: "C", status: "processing", format: "json", created: "2026-03-10T12:34:56.789Z" },
  { key: "D", status: "preparing_file_creation", format: "csv", created: "2026-03-10T23:59:59.999Z" },
  { key: "E", status: "completed", format: "csv", created: "2026-03-11T00:00:00.000Z" },
  { key: "F", status: "failed", format: "xls", created: "2026-03-11T00:00:00.001Z" },
  { key: "G", status: "cancelled", format: "json", created: "2026-03-12T08:00:00.000Z" },
];
const keyById = new Map<string, string>();
let ownerId = "";

/** The fixture exports (by key, sorted) that the filters select. */
async function exportKeys(params: Record<string, string>, options: ParseOptions = IGNORE): Promise<string> {
  const { where } = compileFilters(exportFilterSpec, params, options);
  const rows = await t.db
    .select({ id: exports.id })
    .from(exports)
    .where(and(where, inArray(exports.id, [...keyById.keys()])));
  return rows
    .map((r) => keyById.get(r.id))
    .sort()
    .join("");
}

beforeAll(async () => {
  t = await createTestDatabase();
  ownerId = (await createUser(t.db, { username: "owner" })).id;
  const rows = await t.db
    .insert(exports)
    .values(
      EXPORT_FIXTURES.map((f) => ({
        requestPath: `/api/v1/products/?fixture=${f.key}`,
        requestedBy: ownerId,
        status: f.status,
        formatType: f.format,
        createdDate: new Date(f.created),
      })),
    )
    .returning({ id: exports.id, requestPath: exports.requestPath });
  for (const r of rows) keyById.set(r.id, r.requestPath.slice(-1));
});

afterAll(async () => {
  await t?.destroy();
});

describe("splitParam", () => {
  it("splits field and lookup, longest lookup first", () => {
    expect(splitParam("created_date__date__gte", exportFilterSpec)).toEqual({
      field: "created_date",
      lookup: "date__gte",
    });
    expect(splitParam("created_date__date", exportFilterSpec)).toEqual({
      field: "created_date",
      lookup: "date",
    });
    expect(splitParam("created_date__gte", exportFilterSpec)).toEqual({
      field: "created_date",
      lookup: "gte",
    });
    expect(splitParam("status", exportFilterSpec)).toEqual({ field: "status", lookup: "exact" });
    expect(splitParam("status__in", exportFilterSpec)).toEqual({ field: "status", lookup: "in" });
    expect(splitParam("colour", exportFilterSpec)).toBeNull();
    expect(splitParam("status__exact", exportFilterSpec)).toBeNull();
    expect(splitParam("__proto__", exportFilterSpec)).toBeNull();
    expect(splitParam("constructor", exportFilterSpec)).toBeNull();
  });
});

describe("exports filters: status", () => {
  it("matches one status exactly", async () => {
    expect(await exportKeys({ status: "completed" })).toBe("E");
    expect(await exportKeys({ status: "waiting" })).toBe("A");
    expect(await exportKeys({ status: "cancelled" })).toBe("G");
  });

  it("reads `pending` as every not-yet-finished status", async () => {
    expect(await exportKeys({ status: "pending" })).toBe("ABCD");
  });

  it("takes several values with status__in, aliases included", async () => {
    expect(await exportKeys({ status__in: "completed,cancelled" })).toBe("EG");
    expect(await exportKeys({ status__in: "pending,failed" })).toBe("ABCDF");
    expect(await exportKeys({ status__in: " failed , pending,waiting " })).toBe("ABCDF");
    expect(await exportKeys({ status__in: "completed," })).toBe("E");
  });

  it("refuses an unknown status, keyed by the parameter, with Django's message", () => {
    expect(fieldsOf(() => compileFilters(exportFilterSpec, { status: "done" }, IGNORE))).toEqual({
      status: [choiceError("done")],
    });
    expect(fieldsOf(() => compileFilters(exportFilterSpec, { status: "Completed" }, IGNORE))).toEqual({
      status: [choiceError("Completed")],
    });
    expect(
      fieldsOf(() => compileFilters(exportFilterSpec, { status__in: "completed,nope" }, IGNORE)),
    ).toEqual({
      status__in: [choiceError("nope")],
    });
  });
});

describe("exports filters: format_type", () => {
  it("matches formats exactly and with __in", async () => {
    expect(await exportKeys({ format_type: "xls" })).toBe("BF");
    expect(await exportKeys({ format_type__in: "csv,json" })).toBe("ACDEG");
  });

  it("refuses xml like any other invalid choice", () => {
    expect(fieldsOf(() => compileFilters(exportFilterSpec, { format_type: "xml" }, IGNORE))).toEqual({
      format_type: [choiceError("xml")],
    });
    expect(fieldsOf(() => compileFilters(exportFilterSpec, { format_type__in: "csv,xml" }, IGNORE))).toEqual({
      format_type__in: [choiceError("xml")],
    });
  });
});

describe("exports filters: created_date", () => {
  it("matches exactly the ISO value the API returned (millisecond precision)", async () => {
    const actor = { id: ownerId, username: "owner", isSuperuser: false };
    const dto = await createTestExport(t.db, actor, { request_path: "/api/v1/products/" });
    expect(dto.created_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const { where } = compileFilters(exportFilterSpec, { created_date: dto.created_date }, IGNORE);
    const rows = await t.db.select({ id: exports.id }).from(exports).where(where);
    expect(rows.map((r) => r.id)).toEqual([dto.id]);
  });

  it("matches a fixture's instant however its zone is written", async () => {
    expect(await exportKeys({ created_date: "2026-03-10T12:34:56.789Z" })).toBe("C");
    expect(await exportKeys({ created_date: "2026-03-10T15:34:56.789+03:00" })).toBe("C");
    expect(await exportKeys({ created_date: "2026-03-10T15:34:56.789 03:00" })).toBe("C");
    expect(await exportKeys({ created_date: "2026-03-10T07:04:56.789-0530" })).toBe("C");
    expect(await exportKeys({ created_date: "2026-03-10T12:34:56.788Z" })).toBe("");
    expect(await exportKeys({ created_date: "2026-03-10T12:34:56Z" })).toBe("");
    expect(await exportKeys({ created_date: "2026-03-10" })).toBe("B");
  });

  it("compares with __gt, __gte, __lt, __lte", async () => {
    expect(await exportKeys({ created_date__gt: "2026-03-10T23:59:59.999Z" })).toBe("EFG");
    expect(await exportKeys({ created_date__gte: "2026-03-10T23:59:59.999Z" })).toBe("DEFG");
    expect(await exportKeys({ created_date__lt: "2026-03-10T00:00:00Z" })).toBe("A");
    expect(await exportKeys({ created_date__lte: "2026-03-10T00:00:00Z" })).toBe("AB");
    expect(await exportKeys({ created_date__gt: "2026-03-11T03:00:00+03:00" })).toBe("FG");
    expect(
      await exportKeys({
        created_date__gte: "2026-03-10T00:00:00Z",
        created_date__lt: "2026-03-11T00:00:00Z",
      }),
    ).toBe("BCD");
  });

  it("filters by UTC calendar day with __date and __date__*", async () => {
    expect(await exportKeys({ created_date__date: "2026-03-10" })).toBe("BCD");
    expect(await exportKeys({ created_date__date: "2026-03-09" })).toBe("A");
    expect(await exportKeys({ created_date__date: "2026-03-11" })).toBe("EF");
    expect(await exportKeys({ created_date__date__gt: "2026-03-10" })).toBe("EFG");
    expect(await exportKeys({ created_date__date__gte: "2026-03-10" })).toBe("BCDEFG");
    expect(await exportKeys({ created_date__date__lt: "2026-03-10" })).toBe("A");
    expect(await exportKeys({ created_date__date__lte: "2026-03-10" })).toBe("ABCD");
    expect(
      await exportKeys({ created_date__date__gte: "2026-03-10", created_date__date__lte: "2026-03-11" }),
    ).toBe("BCDEF");
  });

  it("handles the first and last representable days without a database error", async () => {
    expect(await exportKeys({ created_date__date__gt: "9999-12-31" })).toBe("");
    expect(await exportKeys({ created_date__date__lte: "9999-12-31" })).toBe("ABCDEFG");
    expect(await exportKeys({ created_date__date: "9999-12-31" })).toBe("");
    expect(await exportKeys({ created_date__date__lt: "0001-01-01" })).toBe("");
    expect(await exportKeys({ created_date__gt: "0001-01-01T00:00:00Z" })).toBe("ABCDEFG");
    expect(await exportKeys({ created_date__lt: "9999-12-31T23:59:59.999Z" })).toBe("ABCDEFG");
  });

  it("refuses unparsable values, naming the parameter", () => {
    expect(fieldsOf(() => compileFilters(exportFilterSpec, { created_date: "yesterday" }, IGNORE))).toEqual({
      created_date: ["Enter a valid date/time."],
    });
    expect(
      fieldsOf(() => compileFilters(exportFilterSpec, { created_date__gte: "2026-02-30T00:00:00Z" }, IGNORE)),
    ).toEqual({ created_date__gte: ["Enter a valid date/time."] });
    expect(
      fieldsOf(() => compileFilters(exportFilterSpec, { created_date__date: "2026-02-30" }, IGNORE)),
    ).toEqual({
      created_date__date: ["Enter a valid date."],
    });
    expect(
      fieldsOf(() => compileFilters(exportFilterSpec, { created_date__date__lt: "10/03/2026" }, IGNORE)),
    ).toEqual({
      created_date__date__lt: ["Enter a valid date."],
    });
  });

  it("has no __in lookup for date-times", () => {
    expect(
      fieldsOf(() => compileFilters(exportFilterSpec, { created_date__in: "2026-03-10" }, ERROR)),
    ).toEqual({
      created_date__in: ["Unknown filter."],
    });
  });
});

describe("exports filters: general rules", () => {
  it("treats an empty value as no filter", async () => {
    expect(
      compileFilters(exportFilterSpec, { status: "", created_date__gt: "  ", format_type__in: "" }, IGNORE),
    ).toEqual({
      where: undefined,
      filters: [],
    });
    expect(await exportKeys({ status: "", format_type: "xls" })).toBe("BF");
  });

  it("ignores unknown parameters in ignore mode", async () => {
    expect(await exportKeys({ colour: "red", status__icontains: "x", format_type: "json" })).toBe("CG");
  });

  it("refuses unknown parameters in error mode", () => {
    expect(
      fieldsOf(() =>
        compileFilters(exportFilterSpec, { colour: "red", status__gt: "a", status: "waiting" }, ERROR),
      ),
    ).toEqual({ colour: ["Unknown filter."], status__gt: ["Unknown filter."] });
  });

  it("leaves pagination parameters to the caller in both modes", () => {
    const params = { limit: "abc", page: "-1", ordering: "nope" };
    expect(compileFilters(exportFilterSpec, params, ERROR).filters).toEqual([]);
    expect(compileFilters(exportFilterSpec, params, IGNORE).filters).toEqual([]);
  });

  it("reports several bad parameters together", () => {
    expect(
      fieldsOf(() =>
        compileFilters(
          exportFilterSpec,
          {
            status: "x",
            format_type: "xml",
            created_date__gt: "nope",
            created_date__date: "2026-02-30",
            colour: "red",
          },
          ERROR,
        ),
      ),
    ).toEqual({
      status: [choiceError("x")],
      format_type: [choiceError("xml")],
      created_date__gt: ["Enter a valid date/time."],
      created_date__date: ["Enter a valid date."],
      colour: ["Unknown filter."],
    });
  });

  it("records the filters it applied", () => {
    expect(
      compileFilters(
        exportFilterSpec,
        { status: "pending", limit: "5", created_date__date: "2026-03-10" },
        IGNORE,
      ).filters,
    ).toEqual([
      { param: "status", field: "status", lookup: "exact", value: "pending" },
      { param: "created_date__date", field: "created_date", lookup: "date", value: "2026-03-10" },
    ]);
  });
});

describe("products filters", () => {
  const spec = productsResource.filterSpec;
  const NAMES: { name: string; price: string; active: boolean }[] = [
    { name: "100% Cotton Shirt", price: "10.00", active: true },
    { name: "1000 Cotton Shirts", price: "10.50", active: false },
    { name: "snake_case mug", price: "99.99", active: true },
    { name: "snakeXcase mug", price: "100.00", active: true },
    { name: "back\\slash lamp", price: "0.50", active: false },
    { name: "İznik Kilim", price: "2500.00", active: true },
  ];
  const idByName = new Map<string, number>();
  const nameById = new Map<number, string>();

  async function names(params: Record<string, string>): Promise<string[]> {
    const { where } = compileFilters(spec, params, ERROR);
    const rows = await t.db.select({ id: products.id }).from(products).where(where).orderBy(asc(products.id));
    return rows.map((r) => nameById.get(r.id) ?? `?${r.id}`);
  }

  beforeAll(async () => {
    const rows = await t.db
      .insert(products)
      .values(NAMES.map((n, i) => ({ sku: `P-${i + 1}`, name: n.name, price: n.price, isActive: n.active })))
      .returning({ id: products.id, name: products.name });
    for (const r of rows) {
      idByName.set(r.name, r.id);
      nameById.set(r.id, r.name);
    }
  });

  it("escapes % in icontains: a literal % matches only names containing it", async () => {
    expect(await names({ name__icontains: "%" })).toEqual(["100% Cotton Shirt"]);
    expect(await names({ name__icontains: "0%" })).toEqual(["100% Cotton Shirt"]);
    expect(await names({ name__icontains: "100%" })).toEqual(["100% Cotton Shirt"]);
  });

  it("escapes _ in icontains", async () => {
    expect(await names({ name__icontains: "_" })).toEqual(["snake_case mug"]);
    expect(await names({ name__icontains: "e_c" })).toEqual(["snake_case mug"]);
  });

  it("escapes the backslash in icontains", async () => {
    expect(await names({ name__icontains: "\\" })).toEqual(["back\\slash lamp"]);
    expect(await names({ name__icontains: "k\\s" })).toEqual(["back\\slash lamp"]);
  });

  it("matches case-insensitively otherwise", async () => {
    expect(await names({ name__icontains: "COTTON" })).toEqual(["100% Cotton Shirt", "1000 Cotton Shirts"]);
    expect(await names({ name__icontains: "mug" })).toEqual(["snake_case mug", "snakeXcase mug"]);
  });

  it("matches text exactly and with __in", async () => {
    expect(await names({ name: "snake_case mug" })).toEqual(["snake_case mug"]);
    expect(await names({ name: "snake_case" })).toEqual([]);
    expect(await names({ sku__in: "P-1,P-3,P-99" })).toEqual(["100% Cotton Shirt", "snake_case mug"]);
  });

  it("refuses a NUL character in a text value instead of failing in the database", async () => {
    expect(fieldsOf(() => compileFilters(spec, { name__icontains: "a\u0000b" }, ERROR))).toEqual({
      name__icontains: ["Null characters are not allowed."],
    });
    expect(fieldsOf(() => compileFilters(spec, { sku: "\u0000" }, ERROR))).toEqual({
      sku: ["Null characters are not allowed."],
    });
    expect(fieldsOf(() => compileFilters(spec, { sku__in: "P-1,\u0000" }, ERROR))).toEqual({
      sku__in: ["Null characters are not allowed."],
    });
  });

  it("filters booleans", async () => {
    expect(await names({ is_active: "false" })).toEqual(["1000 Cotton Shirts", "back\\slash lamp"]);
    expect(await names({ is_active: "true" })).toHaveLength(4);
    expect(await names({ is_active: "0" })).toEqual(await names({ is_active: "false" }));
    expect(fieldsOf(() => compileFilters(spec, { is_active: "maybe" }, ERROR))).toEqual({
      is_active: ["Select a valid choice. Use true or false."],
    });
  });

  it("compares decimal prices numerically", async () => {
    expect(await names({ price: "10.5" })).toEqual(["1000 Cotton Shirts"]);
    expect(await names({ price: "10.50" })).toEqual(["1000 Cotton Shirts"]);
    expect(await names({ price: "10" })).toEqual(["100% Cotton Shirt"]);
    expect(await names({ price__gt: "10" })).toEqual([
      "1000 Cotton Shirts",
      "snake_case mug",
      "snakeXcase mug",
      "İznik Kilim",
    ]);
    expect(await names({ price__gte: "10" })).toEqual([
      "100% Cotton Shirt",
      "1000 Cotton Shirts",
      "snake_case mug",
      "snakeXcase mug",
      "İznik Kilim",
    ]);
    expect(await names({ price__lt: "10" })).toEqual(["back\\slash lamp"]);
    expect(await names({ price__lte: "10.00" })).toEqual(["100% Cotton Shirt", "back\\slash lamp"]);
    expect(await names({ price__lt: "100", price__gt: "10.5" })).toEqual(["snake_case mug"]);
    expect(await names({ price__in: "10,99.99,+0.5" })).toEqual([
      "100% Cotton Shirt",
      "snake_case mug",
      "back\\slash lamp",
    ]);
    // Wider than the column's numeric(12,2): compared, not overflowed.
    expect(await names({ price__gt: "1234567890123.123456" })).toEqual([]);
    expect(await names({ price__gt: "-1234567890123" })).toHaveLength(6);
  });

  it("refuses bad decimals", () => {
    expect(fieldsOf(() => compileFilters(spec, { price__gt: "abc", price__in: "1,1e3" }, ERROR))).toEqual({
      price__gt: ["Enter a number."],
      price__in: ["Enter a number."],
    });
  });

  it("filters ids with __in and integer lookups", async () => {
    const id1 = idByName.get("100% Cotton Shirt") ?? 0;
    const id3 = idByName.get("snake_case mug") ?? 0;
    expect(await names({ id__in: `${id1},${id3}` })).toEqual(["100% Cotton Shirt", "snake_case mug"]);
    expect(await names({ id__in: `${id3}, ${id1},${id1},2147483647` })).toEqual([
      "100% Cotton Shirt",
      "snake_case mug",
    ]);
    expect(await names({ id: String(id3) })).toEqual(["snake_case mug"]);
    expect(await names({ id__gt: String(id3), id__lte: String(id3 + 1) })).toEqual(["snakeXcase mug"]);
    expect(fieldsOf(() => compileFilters(spec, { id__in: `${id1},abc` }, ERROR))).toEqual({
      id__in: ["Enter a whole number."],
    });
    expect(fieldsOf(() => compileFilters(spec, { id: "2147483648" }, ERROR))).toEqual({
      id: ["Enter a whole number."],
    });
  });

  it("runs the filters a resolved request_path carries", async () => {
    const { filters } = resolveRequestPath("/api/v1/products/?is_active=true&name__icontains=%25&limit=1");
    const rows = await t.db.select({ name: products.name }).from(products).where(filters.where);
    expect(rows.map((r) => r.name)).toEqual(["100% Cotton Shirt"]);
  });
});
