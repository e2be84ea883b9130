import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_STATUSES, orders } from "../src/db/schema";
import { DomainError } from "../src/errors";
import { ordersResource } from "../src/resources/orders";
import { RESOURCES, resourceByKey, resourceByPath } from "../src/resources/registry";
import { resolveRequestPath } from "../src/resources/request-path";
import { listResource } from "../src/resources/service";
import { createTestDatabase, seedOrders, type TestDatabase } from "../src/testing";

let t: TestDatabase;
let other: TestDatabase;
let f: TestDatabase;

beforeAll(async () => {
  [t, other, f] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.all([t?.destroy(), other?.destroy(), f?.destroy()]);
});

const choiceError = (value: string) => `Select a valid choice. ${value} is not one of the available choices.`;

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

async function fieldsOfAsync(promise: Promise<unknown>): Promise<Record<string, string[]>> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("INVALID");
    return (err as DomainError).fields ?? {};
  }
  throw new Error("expected an INVALID error");
}

describe("the orders resource", () => {
  it("is registered by key and by path, with its viewset", () => {
    expect(resourceByKey("orders")).toBe(ordersResource);
    expect(resourceByPath("/api/v1/orders/")).toBe(ordersResource);
    expect(resourceByPath("/api/v1/orders")).toBe(ordersResource);
    expect(RESOURCES.map((r) => r.key)).toEqual(["products", "orders"]);
    expect(ordersResource.viewset).toBe("OrderViewSet");
  });

  it("has every field, labelled in English and Turkish", () => {
    expect(ordersResource.fields.map((x) => [x.name, x.labels.en, x.labels.tr])).toEqual([
      ["id", "ID", "ID"],
      ["number", "Order Number", "Sipariş No"],
      ["customer_email", "Customer Email", "Müşteri E-postası"],
      ["status", "Status", "Durum"],
      ["amount", "Amount", "Tutar"],
      ["currency", "Currency", "Para Birimi"],
      ["item_count", "Item Count", "Ürün Adedi"],
      ["created_date", "Created", "Oluşturulma Tarihi"],
      ["modified_date", "Modified", "Güncellenme Tarihi"],
    ]);
    expect(ordersResource.defaultFields).toEqual([
      "id",
      "number",
      "customer_email",
      "status",
      "amount",
      "currency",
      "item_count",
      "created_date",
    ]);
    expect(ordersResource.filterFileKeys).toEqual(["number", "id"]);
  });

  it("passes the status choices through to its filter spec", () => {
    expect(ordersResource.filterSpec.status).toMatchObject({
      kind: "choice",
      lookups: ["exact", "in"],
      choices: ORDER_STATUSES,
    });
    expect(Object.keys(ordersResource.filterSpec)).toEqual(ordersResource.fields.map((x) => x.name));
  });
});

const number = (n: bigint | number) => `ORD-${String(n).padStart(8, "0")}`;
const NAMES = ["ayse", "mehmet", "john", "maria", "ali", "zeynep", "emre"];

/** The values order n always gets (the formulas of seedOrders, restated in bigint). */
function expected(n: bigint) {
  const h = ((n % 2147483647n) * 1583458089n) % 2147483647n;
  const status = ORDER_STATUSES[Number(n % 6n)];
  const cents = Number((h / 13n) % 1000000n) + 100;
  const amount = `${status === "refunded" ? "-" : ""}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
  let customerEmail: string;
  if (n % 1000n === 0n) customerEmail = `+90${5000000000n + (n % 1000000000n)}@example.invalid`;
  else if (n % 997n === 0n) customerEmail = `-iade.${n}@örnek.com.tr`;
  else if (n % 13n === 0n) customerEmail = `müşteri.${h % 5000n}@örnek.com.tr`;
  else customerEmail = `${NAMES[Number(h % 7n)]}.${(h / 7n) % 50000n}@example.com`;
  const created = Date.UTC(2025, 0, 1) + Number(n % 100000000n) * 60_000;
  return {
    number: number(n),
    customerEmail,
    status,
    amount,
    currency: ["TRY", "USD", "EUR"][Number((n / 6n) % 3n)],
    itemCount: 1 + Number((h / 7919n) % 12n),
    createdDate: new Date(created),
    modifiedDate: new Date(created + (status === "pending" ? 0 : Number((h / 101n) % 96n) * 3_600_000)),
  };
}

async function all(db: TestDatabase["db"]) {
  return db.select().from(orders).orderBy(asc(orders.id));
}

describe("seedOrders", () => {
  it("inserts N orders with numbered orders and known values", async () => {
    const progress: number[] = [];
    expect(await seedOrders(t.db, 1000, (done) => progress.push(done))).toBe(1000);
    expect(progress.at(-1)).toBe(1000);
    const rows = await all(t.db);
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => r.number)).toEqual(Array.from({ length: 1000 }, (_, i) => number(i + 1)));
    for (const [i, row] of rows.entries()) expect(row).toMatchObject(expected(BigInt(i + 1)));
    expect(rows[0]).toMatchObject({
      number: "ORD-00000001",
      customerEmail: "maria.8298@example.com",
      status: "paid",
      amount: "8045.68",
      currency: "TRY",
      itemCount: 1,
      createdDate: new Date("2025-01-01T00:01:00Z"),
      modifiedDate: new Date("2025-01-02T18:01:00Z"),
    });
  });

  it("covers every status, refunds as negative amounts, and hostile emails", async () => {
    const rows = await all(t.db);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(ORDER_STATUSES));
    const negative = rows.filter((r) => r.amount.startsWith("-"));
    expect(negative.length).toBeGreaterThan(100);
    expect(negative.every((r) => r.status === "refunded")).toBe(true);
    expect(rows.filter((r) => r.status === "refunded")).toEqual(negative);
    // Text that a spreadsheet would read as a formula, and non-ASCII text.
    expect(rows[999]?.customerEmail).toBe("+905000001000@example.invalid");
    expect(rows[996]?.customerEmail).toBe("-iade.997@örnek.com.tr");
    expect(rows[12]?.customerEmail).toMatch(/^müşteri\.\d+@örnek\.com\.tr$/);
    expect(new Set(rows.map((r) => r.currency))).toEqual(new Set(["TRY", "USD", "EUR"]));
    expect(new Set(rows.map((r) => r.itemCount))).toEqual(
      new Set(Array.from({ length: 12 }, (_, i) => i + 1)),
    );
    // A pending order was never modified; the others were, a few hours or days later.
    for (const r of rows) {
      if (r.status === "pending") expect(r.modifiedDate).toEqual(r.createdDate);
      else expect(r.modifiedDate.getTime()).toBeGreaterThanOrEqual(r.createdDate.getTime());
    }
  });

  it("is deterministic: another database gets the very same orders", async () => {
    await seedOrders(other.db, 1000);
    const strip = (rows: Awaited<ReturnType<typeof all>>) => rows.map(({ id: _id, ...rest }) => rest);
    expect(strip(await all(other.db))).toEqual(strip(await all(t.db)));
  });

  it("continues the numbering on a second call", async () => {
    expect(await seedOrders(t.db, 10)).toBe(10);
    const rows = await all(t.db);
    expect(rows).toHaveLength(1010);
    expect(rows.slice(1000).map((r) => r.number)).toEqual(
      Array.from({ length: 10 }, (_, i) => number(1001 + i)),
    );
    expect(new Set(rows.map((r) => r.number)).size).toBe(1010);
    expect(rows[1000]).toMatchObject(expected(1001n));
  });

  it("inserts nothing for zero, and refuses a negative or fractional count", async () => {
    expect(await seedOrders(t.db, 0)).toBe(0);
    expect(await all(t.db)).toHaveLength(1010);
    await expect(seedOrders(t.db, -1)).rejects.toThrow(RangeError);
    await expect(seedOrders(t.db, 1.5)).rejects.toThrow(RangeError);
  });

  it("ignores orders whose number is not a seeded one", async () => {
    await t.db.insert(orders).values([
      { number: "WEB-99999999", customerEmail: "a@example.com", amount: "1.00" },
      { number: "ORD-ABC", customerEmail: "b@example.com", amount: "1.00" },
      { number: `ORD-${"9".repeat(19)}`, customerEmail: "c@example.com", amount: "1.00" },
      { number: "ORD-99999999 ", customerEmail: "d@example.com", amount: "1.00" },
    ]);
    await seedOrders(t.db, 1);
    const [last] = await t.db.select().from(orders).orderBy(sql`id desc`).limit(1);
    expect(last?.number).toBe(number(1011));
  });

  it("keeps working past order 2^31 (bigint arithmetic) and widens the number past 8 digits", async () => {
    const big = 3_000_000_000n;
    await other.db
      .insert(orders)
      .values({ number: `ORD-${big}`, customerEmail: "x@example.com", amount: "1" });
    await seedOrders(other.db, 2);
    const rows = await all(other.db);
    expect(rows.slice(-2)).toEqual([
      expect.objectContaining(expected(big + 1n)),
      expect.objectContaining(expected(big + 2n)),
    ]);
    expect(rows.at(-1)?.number).toBe("ORD-3000000002");
  });
});

describe("orders filters", () => {
  type Order = {
    id: number;
    number: string;
    customer_email: string;
    status: string;
    amount: string;
    currency: string;
    item_count: number;
    created_date: string;
    modified_date: string;
  };
  let rows: Order[];

  const list = (params: Record<string, string>) => listResource(f.db, ordersResource, params);
  const ids = (filter: (o: Order) => boolean) => rows.filter(filter).map((o) => o.id);

  /** Every page of a filtered list, as a client would fetch it. */
  async function listAll(params: Record<string, string>) {
    const items: Order[] = [];
    for (let page = 1; ; page++) {
      const result = await list({ ...params, limit: "1000", page: String(page) });
      items.push(...(result.items as Order[]));
      if (result.items.length < 1000) return { items, total: result.total };
    }
  }

  beforeAll(async () => {
    await seedOrders(f.db, 1200);
    rows = (await listAll({})).items;
  });

  it("lists every order in id order with the API's shapes", () => {
    expect(rows).toHaveLength(1200);
    expect(Object.keys(rows[0] ?? {})).toEqual(ordersResource.fields.map((x) => x.name));
    expect(rows[0]).toMatchObject({ number: "ORD-00000001", amount: "8045.68", item_count: 1 });
    expect(rows[0]?.created_date).toBe("2025-01-01T00:01:00.000Z");
  });

  const refundAmount = () => rows.find((o) => o.status === "refunded")?.amount ?? "";

  it.each<[string, () => Record<string, string>, (o: Order) => boolean]>([
    ["status=paid", () => ({ status: "paid" }), (o) => o.status === "paid"],
    [
      "status__in=paid,refunded",
      () => ({ status__in: "paid, refunded,paid" }),
      (o) => o.status === "paid" || o.status === "refunded",
    ],
    ["amount__lt=0", () => ({ amount__lt: "0" }), (o) => Number(o.amount) < 0],
    ["amount__lte=-5000.5", () => ({ amount__lte: "-5000.5" }), (o) => Number(o.amount) <= -5000.5],
    [
      "amount__gt=-100&amount__lt=100",
      () => ({ amount__gt: "-100", amount__lt: "100" }),
      (o) => Number(o.amount) > -100 && Number(o.amount) < 100,
    ],
    ["amount__gte=9000", () => ({ amount__gte: "9000" }), (o) => Number(o.amount) >= 9000],
    ["amount=<a refund>", () => ({ amount: refundAmount() }), (o) => o.amount === refundAmount()],
    [
      "amount__in=<a refund>,8045.68",
      () => ({ amount__in: `${refundAmount()},8045.68` }),
      (o) => o.amount === refundAmount() || o.amount === "8045.68",
    ],
    [
      "customer_email__icontains=IADE",
      () => ({ customer_email__icontains: "IADE" }),
      (o) => o.customer_email.toLowerCase().includes("iade"),
    ],
    [
      "customer_email__icontains=+90",
      () => ({ customer_email__icontains: "+90" }),
      (o) => o.customer_email.startsWith("+90"),
    ],
    ["number=ORD-00000007", () => ({ number: "ORD-00000007" }), (o) => o.number === "ORD-00000007"],
    [
      "number__icontains=ord-0000011",
      () => ({ number__icontains: "ord-0000011" }),
      (o) => /^ORD-0000011/.test(o.number),
    ],
    ["currency__in=USD,EUR", () => ({ currency__in: "USD,EUR" }), (o) => o.currency !== "TRY"],
    ["item_count__in=1,2,12", () => ({ item_count__in: "1,2,12" }), (o) => [1, 2, 12].includes(o.item_count)],
    ["item_count__gte=11", () => ({ item_count__gte: "11" }), (o) => o.item_count >= 11],
    [
      "created_date__gt=2025-01-01T10:00:00Z",
      () => ({ created_date__gt: "2025-01-01T10:00:00Z" }),
      (o) => o.created_date > "2025-01-01T10:00:00.000Z",
    ],
    [
      "created_date__lte=2025-01-01T13:00:00+03:00",
      () => ({ created_date__lte: "2025-01-01T13:00:00+03:00" }),
      (o) => o.created_date <= "2025-01-01T10:00:00.000Z",
    ],
    [
      "created_date=<the 5th order's>",
      () => ({ created_date: rows[4]?.created_date ?? "" }),
      (o) => o.id === rows[4]?.id,
    ],
    [
      "created_date__date=2025-01-01",
      () => ({ created_date__date: "2025-01-01" }),
      (o) => o.created_date.startsWith("2025-01-01"),
    ],
    [
      "created_date__date__gte=2025-01-01&modified_date__date__lt=2025-01-02",
      () => ({ created_date__date__gte: "2025-01-01", modified_date__date__lt: "2025-01-02" }),
      (o) => o.modified_date < "2025-01-02",
    ],
    [
      "status=refunded&currency=EUR&item_count__gt=6",
      () => ({ status: "refunded", currency: "EUR", item_count__gt: "6" }),
      (o) => o.status === "refunded" && o.currency === "EUR" && o.item_count > 6,
    ],
  ])("filters %s", async (_label, params, filter) => {
    const expectedIds = ids(filter);
    const page = await listAll(params());
    expect(page.items.map((o) => o.id)).toEqual(expectedIds);
    expect(page.total).toBe(expectedIds.length);
    expect(expectedIds.length).toBeGreaterThan(0);
  });

  it("reads `_` and `%` in icontains literally, not as wildcards", async () => {
    expect((await list({ customer_email__icontains: "_" })).total).toBe(0);
    expect((await list({ customer_email__icontains: "%" })).total).toBe(0);
  });

  it("orders newest id first on request", async () => {
    const page = await list({ ordering: "-id", limit: "3", status: "pending" });
    expect(page.items.map((o) => o.id)).toEqual(
      ids((o) => o.status === "pending")
        .reverse()
        .slice(0, 3),
    );
  });

  it.each<[Record<string, string>, Record<string, string[]>]>([
    [{ status: "bogus" }, { status: [choiceError("bogus")] }],
    [{ status: "PAID" }, { status: [choiceError("PAID")] }],
    [{ status__in: "paid,bogus" }, { status__in: [choiceError("bogus")] }],
    [{ status__icontains: "pa" }, { status__icontains: ["Unknown filter."] }],
    [{ status__gt: "paid" }, { status__gt: ["Unknown filter."] }],
    [{ amount__gt: "abc" }, { amount__gt: ["Enter a number."] }],
    [{ amount: "1e3" }, { amount: ["Enter a number."] }],
    [{ item_count__in: "1,x" }, { item_count__in: ["Enter a whole number."] }],
    [{ item_count: "1.5" }, { item_count: ["Enter a whole number."] }],
    [{ customer_email__gt: "a" }, { customer_email__gt: ["Unknown filter."] }],
    [{ currency__icontains: "U" }, { currency__icontains: ["Unknown filter."] }],
    [{ created_date__gt: "yesterday" }, { created_date__gt: ["Enter a valid date/time."] }],
    [{ created_date__date: "2025-02-30" }, { created_date__date: ["Enter a valid date."] }],
    [{ sku: "SKU-00000001" }, { sku: ["Unknown filter."] }],
    [{ is_active: "true" }, { is_active: ["Unknown filter."] }],
  ])("refuses %o", async (params, fields) => {
    expect(await fieldsOfAsync(list(params))).toEqual(fields);
  });

  it("reports every bad parameter at once", async () => {
    expect(
      await fieldsOfAsync(list({ status: "x", amount__lt: "y", colour: "red", item_count: "2" })),
    ).toEqual({
      status: [choiceError("x")],
      amount__lt: ["Enter a number."],
      colour: ["Unknown filter."],
    });
  });
});

describe("resolveRequestPath for orders", () => {
  it("accepts /api/v1/orders/?status=paid", () => {
    const r = resolveRequestPath("/api/v1/orders/?status=paid");
    expect(r.resource).toBe(ordersResource);
    expect(r.resource.viewset).toBe("OrderViewSet");
    expect(r.params).toEqual({ status: "paid" });
    expect(r.filters.filters).toEqual([{ param: "status", field: "status", lookup: "exact", value: "paid" }]);
  });

  it("accepts the path without a slash and the rest of the grammar", () => {
    const r = resolveRequestPath(
      "/api/v1/orders?status__in=paid,refunded&amount__lt=-1.5&customer_email__icontains=%40example&item_count__in=1,2&created_date__date__gte=2025-01-01&limit=5&ordering=-id",
    );
    expect(r.resource.key).toBe("orders");
    expect(r.filters.filters.map((x) => `${x.field}:${x.lookup}`)).toEqual([
      "status:in",
      "amount:lt",
      "customer_email:icontains",
      "item_count:in",
      "created_date:date__gte",
    ]);
  });

  it("refuses unknown filters and invalid values, naming them", () => {
    const rejection = (path: string) => fieldsOf(() => resolveRequestPath(path)).request_path;
    expect(rejection("/api/v1/orders/?colour=red")).toEqual(['Unknown filter "colour".']);
    expect(rejection("/api/v1/orders/?sku=SKU-1")).toEqual(['Unknown filter "sku".']);
    expect(rejection("/api/v1/orders/?status=bogus")).toEqual([`status: ${choiceError("bogus")}`]);
    expect(rejection("/api/v1/orders/?amount__gt=abc&status__icontains=p")).toEqual([
      "amount__gt: Enter a number.",
      'Unknown filter "status__icontains".',
    ]);
  });

  it("names both exportable lists for an unknown path", () => {
    expect(fieldsOf(() => resolveRequestPath("/api/v1/customers/")).request_path).toEqual([
      'Unknown resource path "/api/v1/customers/". Exportable lists: /api/v1/products/, /api/v1/orders/.',
    ]);
  });
});
