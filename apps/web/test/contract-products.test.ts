import { seedProducts } from "@exports/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { contractClient, NOT_PROVIDED, POSITIVE } from "./contract";
import { type CallResult, fileHarness, parseLinks, type TestUser } from "./harness";

// SPEC §3: an exportable resource's own list, in the shared filter grammar. Case by case through the real API
// door; every answer is checked against the contract.

const h = fileHarness();
const { get } = contractClient(h);

describe("products list", () => {
  type Product = Record<string, unknown> & {
    id: number;
    price: string;
    currency: string;
    is_active: boolean;
  };
  let all: Product[];
  const list = (query: string, user: TestUser | null = h.alice) => get(`/api/v1/products/?${query}`, user);
  const productIds = (res: CallResult) => (res.body as Product[]).map((p) => p.id);
  const expectIds = (filter: (p: Product) => boolean) => all.filter(filter).map((p) => p.id);

  beforeAll(async () => {
    await seedProducts(h.db, 30);
    all = (await list("limit=1000")).body as Product[];
  });

  it("lists every product in id order with the resource's fields", async () => {
    expect(all).toHaveLength(30);
    expect(all.map((p) => p.id)).toEqual([...all.map((p) => p.id)].sort((a, b) => a - b));
    expect(Object.keys(all[0] ?? {})).toEqual([
      "id",
      "sku",
      "name",
      "price",
      "currency",
      "stock",
      "is_active",
      "attributes",
      "created_date",
      "modified_date",
    ]);
    expect(all[0]).toMatchObject({ sku: "SKU-00000001", created_date: "2025-01-01T00:01:00.000Z" });
    expect(typeof all[0]?.price).toBe("string");
  });

  it.each<[string, (p: Product) => boolean]>([
    ["is_active=false", (p) => !p.is_active],
    ["is_active=true", (p) => p.is_active],
    ["currency=USD", (p) => p.currency === "USD"],
    ["currency__in=USD,EUR", (p) => p.currency === "USD" || p.currency === "EUR"],
    ["price__gt=500", (p) => Number(p.price) > 500],
    ["price__lte=250.5", (p) => Number(p.price) <= 250.5],
    ["sku=SKU-00000003", (p) => p.sku === "SKU-00000003"],
    ["name__icontains=MUG", (p) => String(p.name).toLowerCase().includes("mug")],
    ["id__in=1,2,3,999", (p) => [1, 2, 3].includes(p.id)],
    ["stock__gte=100&is_active=true", (p) => Number(p.stock) >= 100 && p.is_active],
    ["created_date__date=2025-01-01", () => true],
    ["created_date__gt=2025-01-01T00:10:00Z", (p) => p.id > 10],
  ])("filters %s", async (query, filter) => {
    const res = await list(query);
    expect(res.status).toBe(200);
    const expected = expectIds(filter);
    expect(productIds(res)).toEqual(expected);
    expect(res.headers.get("x-total-count")).toBe(String(expected.length));
  });

  it("orders by -id on request", async () => {
    const res = await list("ordering=-id&limit=5");
    expect(productIds(res)).toEqual(
      all
        .map((p) => p.id)
        .reverse()
        .slice(0, 5),
    );
  });

  it.each([
    ["colour=red", { colour: ["Unknown filter."] }],
    ["currency__icontains=US", { currency__icontains: ["Unknown filter."] }],
    ["attributes=x", { attributes: ["Unknown filter."] }],
    ["price__gt=abc", { price__gt: ["Enter a number."] }],
    ["stock=1.5", { stock: ["Enter a whole number."] }],
    ["is_active=maybe", { is_active: ["Select a valid choice. Use true or false."] }],
    ["ordering=name", { ordering: ["Select a valid choice. name is not one of the available choices."] }],
    ["limit=0", { limit: [POSITIVE] }],
  ])("answers 400 for %s", async (query, body) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(body);
  });

  it("paginates with X-Total-Count and Link, keeping the filters", async () => {
    const active = expectIds((p) => p.is_active);
    const res = await list("is_active=true&limit=7&page=2");
    expect(productIds(res)).toEqual(active.slice(7, 14));
    expect(res.headers.get("x-total-count")).toBe(String(active.length));
    const links = parseLinks(res.headers.get("link"));
    const lastPage = Math.ceil(active.length / 7);
    expect(
      Object.fromEntries(Object.entries(links).map(([rel, u]) => [rel, Number(u.searchParams.get("page"))])),
    ).toEqual({ first: 1, prev: 1, next: 3, last: lastPage });
    for (const u of Object.values(links)) {
      expect(u.pathname).toBe("/api/v1/products/");
      expect(u.searchParams.get("is_active")).toBe("true");
      expect(u.searchParams.get("limit")).toBe("7");
    }
  });

  it("requires authentication", async () => {
    const res = await list("", null);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_PROVIDED);
  });
});
