import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ExportDto, getResource, listResource } from "@exports/core";
import { LocalStorage } from "@exports/core/node";
import { seedOrders } from "@exports/core/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/trpc/root";
import { assertContract, assertExportRecord } from "./contract";
import {
  type CallOptions,
  type CallResult,
  callerContext,
  type Harness,
  parseLinks,
  startHarness,
  type TestUser,
} from "./harness";

// The orders list (SPEC §3: an exportable resource), through the real route modules, and its tRPC twin.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await seedOrders(h.db, 60);
});

afterAll(async () => {
  await h?.close();
});

async function api(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const res = await h.call(method, path, options);
  assertContract(method, path, res);
  return res;
}

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

const list = (query: string, user: TestUser | null = h.alice) =>
  api("GET", `/api/v1/orders/?${query}`, { token: user?.token ?? null });
const orderIds = (res: CallResult) => (res.body as Order[]).map((o) => o.id);
const choiceError = (value: string) => `Select a valid choice. ${value} is not one of the available choices.`;

describe("GET /api/v1/orders/", () => {
  let all: Order[];
  const expectIds = (filter: (o: Order) => boolean) => all.filter(filter).map((o) => o.id);

  beforeAll(async () => {
    all = (await list("limit=1000")).body as Order[];
  });

  it("lists every order in id order with the resource's fields", () => {
    expect(all).toHaveLength(60);
    expect(all.map((o) => o.id)).toEqual([...all.map((o) => o.id)].sort((a, b) => a - b));
    expect(Object.keys(all[0] ?? {})).toEqual([
      "id",
      "number",
      "customer_email",
      "status",
      "amount",
      "currency",
      "item_count",
      "created_date",
      "modified_date",
    ]);
    expect(all[0]).toMatchObject({
      number: "ORD-00000001",
      status: "paid",
      amount: "8045.68",
      currency: "TRY",
      item_count: 1,
      created_date: "2025-01-01T00:01:00.000Z",
      modified_date: "2025-01-02T18:01:00.000Z",
    });
    // The API shows values as they are: a refund's amount is a negative decimal string.
    expect(all[4]).toMatchObject({ number: "ORD-00000005", status: "refunded" });
    expect(all[4]?.amount).toMatch(/^-\d+\.\d{2}$/);
  });

  it("answers without the trailing slash too", async () => {
    const res = await api("GET", "/api/v1/orders?status=paid", { token: h.alice.token });
    expect(res.status).toBe(200);
    expect(orderIds(res)).toEqual(expectIds((o) => o.status === "paid"));
  });

  it.each<[string, (o: Order) => boolean]>([
    ["status=paid", (o) => o.status === "paid"],
    ["status__in=pending,refunded", (o) => o.status === "pending" || o.status === "refunded"],
    ["amount__lt=0", (o) => Number(o.amount) < 0],
    ["amount__gte=-3000&amount__lte=3000", (o) => Math.abs(Number(o.amount)) <= 3000],
    ["amount__gt=5000", (o) => Number(o.amount) > 5000],
    ["customer_email__icontains=ÖRNEK.COM", (o) => o.customer_email.includes("örnek.com")],
    ["customer_email__icontains=%40EXAMPLE.com", (o) => o.customer_email.includes("@example.com")],
    ["number=ORD-00000007", (o) => o.number === "ORD-00000007"],
    ["currency__in=USD,EUR", (o) => o.currency === "USD" || o.currency === "EUR"],
    ["item_count__in=1,5,12", (o) => [1, 5, 12].includes(o.item_count)],
    ["item_count__lt=4&status=delivered", (o) => o.item_count < 4 && o.status === "delivered"],
    ["created_date__gte=2025-01-01T00:30:00Z", (o) => o.id >= 30],
    ["created_date__lt=2025-01-01T03:10:00%2B03:00", (o) => o.id < 10],
    ["created_date__date=2025-01-01", () => true],
    ["modified_date__date__gt=2025-01-03", (o) => o.modified_date >= "2025-01-04"],
  ])("filters %s", async (query, filter) => {
    const res = await list(query);
    expect(res.status).toBe(200);
    const expected = expectIds(filter);
    expect(expected.length).toBeGreaterThan(0);
    expect(orderIds(res)).toEqual(expected);
    expect(res.headers.get("x-total-count")).toBe(String(expected.length));
  });

  it("paginates with X-Total-Count and Link, keeping the filters", async () => {
    const refunds = expectIds((o) => o.status !== "refunded");
    const res = await list("status__in=pending,paid,shipped,delivered,cancelled&limit=7&page=2");
    expect(orderIds(res)).toEqual(refunds.slice(7, 14));
    expect(res.headers.get("x-total-count")).toBe(String(refunds.length));
    const links = parseLinks(res.headers.get("link"));
    const lastPage = Math.ceil(refunds.length / 7);
    expect(
      Object.fromEntries(Object.entries(links).map(([rel, u]) => [rel, Number(u.searchParams.get("page"))])),
    ).toEqual({ first: 1, prev: 1, next: 3, last: lastPage });
    for (const u of Object.values(links)) {
      expect(u.pathname).toBe("/api/v1/orders/");
      expect(u.searchParams.get("status__in")).toBe("pending,paid,shipped,delivered,cancelled");
      expect(u.searchParams.get("limit")).toBe("7");
    }
    const lastRes = await list(
      `status__in=pending,paid,shipped,delivered,cancelled&limit=7&page=${lastPage}`,
    );
    expect(orderIds(lastRes)).toEqual(refunds.slice((lastPage - 1) * 7));
  });

  it("orders by -id on request", async () => {
    const res = await list("ordering=-id&limit=5");
    expect(orderIds(res)).toEqual(
      all
        .map((o) => o.id)
        .reverse()
        .slice(0, 5),
    );
  });

  it.each([
    ["colour=red", { colour: ["Unknown filter."] }],
    ["sku=SKU-00000001", { sku: ["Unknown filter."] }],
    ["status__icontains=pa", { status__icontains: ["Unknown filter."] }],
    ["customer_email__gt=a", { customer_email__gt: ["Unknown filter."] }],
    ["status=bogus", { status: [choiceError("bogus")] }],
    ["status__in=paid,bogus", { status__in: [choiceError("bogus")] }],
    ["amount__lt=abc", { amount__lt: ["Enter a number."] }],
    ["item_count__in=1,x", { item_count__in: ["Enter a whole number."] }],
    ["created_date__gte=tomorrow", { created_date__gte: ["Enter a valid date/time."] }],
    ["ordering=amount", { ordering: [choiceError("amount")] }],
    ["status=x&amount=y", { status: [choiceError("x")], amount: ["Enter a number."] }],
  ])("answers 400 for %s", async (query, body) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(body);
  });

  it("answers hostile filter values with 200 or 400, never a 500", async () => {
    const values = [
      "\u0000",
      "9999-12-31T23:59:59.999-01:00",
      "0001-01-01T00:00:00+01:00",
      "x".repeat(5000),
      "'; drop table orders;--",
      "İ",
      "1e309",
      "NaN",
      "-0",
      "99999999999999999999",
      "2147483648",
      ",,",
      "%_\\",
    ];
    const params = [
      "status",
      "status__in",
      "amount",
      "amount__lt",
      "amount__in",
      "customer_email__icontains",
      "number",
      "number__in",
      "item_count__in",
      "item_count__gte",
      "created_date__gte",
      "modified_date__date__lt",
    ];
    for (const v of values) {
      for (const p of params) {
        const res = await list(`${p}=${encodeURIComponent(v)}`);
        expect([200, 400], `${p}=${JSON.stringify(v).slice(0, 40)}`).toContain(res.status);
      }
    }
  });

  it("requires authentication", async () => {
    const res = await list("", null);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: "Authentication credentials were not provided." });
    expect(res.headers.get("www-authenticate")).toBe("Token");
    const bad = await api("GET", "/api/v1/orders/", { token: "nope" });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ detail: "Invalid token." });
  });

  it("answers 405 with Allow for other methods", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const res = await api(method, "/api/v1/orders/", { token: h.root.token, body: {} });
      expect(res.status).toBe(405);
      expect(res.body).toEqual({ detail: `Method "${method}" not allowed.` });
      expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    }
  });

  it("is an exportable list: an export of it names OrderViewSet", async () => {
    const res = await api("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: {
        request_path: "/api/v1/orders/?status=refunded&amount__lt=0",
        request_fields: ["number", "amount"],
      },
    });
    expect(res.status).toBe(201);
    assertExportRecord(res.body);
    expect(res.body as ExportDto).toMatchObject({
      viewset: "OrderViewSet",
      action_name: "export_orders",
      request_path: "/api/v1/orders/?status=refunded&amount__lt=0",
      request_fields: ["number", "amount"],
    });
    const bad = await api("POST", "/api/v1/exports/", {
      token: h.alice.token,
      body: { request_path: "/api/v1/orders/?status=lost" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ request_path: [`status: ${choiceError("lost")}`] });
  });
});

describe("orders.list (tRPC)", () => {
  const storage = new LocalStorage(mkdtempSync(path.join(os.tmpdir(), "exports-orders-trpc-")));
  const callerFor = (user: TestUser) => createCaller(callerContext(h.db, storage, user.actor));

  it.each<Record<string, string | number>>([
    {},
    { status: "paid" },
    { status__in: "refunded,cancelled", limit: 4, page: 2 },
    { amount__lt: -1000, ordering: "-id" },
    { customer_email__icontains: "example", item_count__in: "2,3,4,5" },
    { created_date__date__gte: "2025-01-01", currency: "EUR" },
  ])("is the service's page and the REST door's body and headers (%o)", async (query) => {
    const viaTrpc = await callerFor(h.bob).orders.list(query);
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    expect(viaTrpc).toEqual(await listResource(h.db, getResource("orders"), Object.fromEntries(qs)));
    const res = await api("GET", `/api/v1/orders/?${qs}`, { token: h.bob.token });
    expect(res.body).toEqual(viaTrpc.items);
    expect(Number(res.headers.get("x-total-count"))).toBe(viaTrpc.total);
    expect(viaTrpc.items.length).toBeGreaterThan(0);
  });

  it("answers the same through the HTTP adapter", async () => {
    const input = encodeURIComponent(JSON.stringify({ status: "shipped", limit: 3 }));
    const res = await h.call("GET", `/api/trpc/orders.list?input=${input}`, { token: h.bob.token });
    expect(res.status).toBe(200);
    const rest = await api("GET", "/api/v1/orders/?status=shipped&limit=3", { token: h.bob.token });
    expect(res.body).toEqual({
      result: {
        data: { items: rest.body, total: Number(rest.headers.get("x-total-count")), page: 1, limit: 3 },
      },
    });
  });

  it("refuses an invalid choice and an unknown filter with BAD_REQUEST and field errors", async () => {
    const error = await callerFor(h.bob)
      .orders.list({ status: "bogus", colour: "red" })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    const res = await h.call(
      "GET",
      `/api/trpc/orders.list?input=${encodeURIComponent('{"status":"bogus"}')}`,
      {
        token: h.bob.token,
      },
    );
    expect(res.status).toBe(400);
    expect((res.body as { error: { data: { fieldErrors: unknown } } }).error.data.fieldErrors).toEqual({
      status: [choiceError("bogus")],
    });
  });

  it("requires authentication", async () => {
    const res = await h.call("GET", "/api/trpc/orders.list", { token: null });
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).toContain("Authentication credentials were not provided.");
  });
});
