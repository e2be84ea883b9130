import { createTestDatabase, type TestDatabase } from "@exports/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExit, jsonLine, runCli } from "./run";

let a: TestDatabase;
let b: TestDatabase;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.all([a?.destroy(), b?.destroy()]);
});

const PRODUCT_COLUMNS =
  "id, sku, name, price::text, currency, stock, is_active, attributes::text, created_date, modified_date";

async function products(db: TestDatabase) {
  const result = await db.pool.query(`select ${PRODUCT_COLUMNS} from products order by id`);
  return result.rows;
}

describe("seed --products", () => {
  it("inserts exactly N rows, and a second run continues deterministically", async () => {
    const first = await runCli(a.url, ["seed", "--products", "1000"]);
    expectExit(first, 0);
    expect(jsonLine(first)).toEqual({ products: 1000 });
    expect(first.stderr).toContain("[seed] added 1000 products");
    const count = await a.pool.query("select count(*)::int as n, min(sku), max(sku) from products");
    expect(count.rows[0]).toEqual({ n: 1000, min: "SKU-00000001", max: "SKU-00001000" });

    const second = await runCli(a.url, ["seed", "--products", "1000"]);
    expectExit(second, 0);
    expect(jsonLine(second)).toEqual({ products: 1000 });
    const next = await a.pool.query(
      "select min(sku), max(sku), count(*)::int as n from products where id > 1000",
    );
    expect(next.rows[0]).toEqual({ min: "SKU-00001001", max: "SKU-00002000", n: 1000 });

    // 1000 + 1000 in two runs gives the very rows that 2000 in one run gives.
    const once = await runCli(b.url, ["seed", "--products", "2000"]);
    expectExit(once, 0);
    const [twice, single] = await Promise.all([products(a), products(b)]);
    expect(twice).toHaveLength(2000);
    expect(twice).toEqual(single);
  });
});

describe("seed --orders", () => {
  it("inserts orders alongside products in one call", async () => {
    const run = await runCli(b.url, ["seed", "--orders", "500", "--products", "10"]);
    expectExit(run, 0);
    expect(jsonLine(run)).toEqual({ products: 10, orders: 500 });
    const count = await b.pool.query("select count(*)::int as n, min(number), max(number) from orders");
    expect(count.rows[0]).toMatchObject({ n: 500 });
  });
});
