import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BULK_ROWS } from "../src/seed/bulk";
import { createTestDatabase, seedOrders, seedProducts, type TestDatabase } from "../src/testing";

let bulk: TestDatabase;
let rowByRow: TestDatabase;

beforeAll(async () => {
  [bulk, rowByRow] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.all([bulk?.destroy(), rowByRow?.destroy()]);
});

/** The table's indexes and constraints as PostgreSQL prints them. */
async function shape(t: TestDatabase, table = "products") {
  const { rows } = await t.pool.query(
    `select 'index ' || indexdef as def from pg_indexes where tablename = $1
     union all select 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
     where conrelid = $1::regclass order by 1`,
    [table],
  );
  return rows.map((r) => r.def as string);
}

describe("seedProducts into an empty table, indexes built after the rows", () => {
  it("gives the same rows, indexes and constraints as a seed that keeps them up to date", async () => {
    const before = await shape(bulk);
    expect(before.some((d) => d.includes("PRIMARY KEY"))).toBe(true);
    await seedProducts(bulk.db, BULK_ROWS);
    // Into a table that is not empty, rows are inserted with the indexes in place.
    await rowByRow.pool.query("insert into products (sku, name, price) values ('CUSTOM-1', 'x', 1)");
    await seedProducts(rowByRow.db, BULK_ROWS);
    await rowByRow.pool.query("delete from products where sku = 'CUSTOM-1'");
    expect(await shape(bulk)).toEqual(before);
    expect(await shape(rowByRow)).toEqual(before);
    const digest = async (t: TestDatabase) =>
      (
        await t.db.execute<{ n: number; md5: string }>(sql`
          select count(*)::int as n, md5(string_agg(p::text, '|' order by sku)) as md5
          from (select sku, name, price, currency, stock, is_active, attributes, created_date, modified_date from products) p`)
      ).rows[0];
    expect(await digest(bulk)).toEqual(await digest(rowByRow));
    expect((await digest(bulk))?.n).toBe(BULK_ROWS);
    await expect(
      bulk.pool.query("insert into products (sku, name, price) values ('SKU-00000001', 'twice', 1)"),
    ).rejects.toThrow(/unique/);
  });

  it("orders too: the same rows, indexes and constraints", async () => {
    const before = await shape(bulk, "orders");
    expect(before.some((d) => d.includes("orders_status_idx"))).toBe(true);
    await seedOrders(bulk.db, BULK_ROWS);
    await rowByRow.pool.query(
      "insert into orders (number, customer_email, status, amount, currency, item_count) values ('X-1', 'x@example.com', 'pending', 1, 'TRY', 1)",
    );
    await seedOrders(rowByRow.db, BULK_ROWS);
    await rowByRow.pool.query("delete from orders where number = 'X-1'");
    expect(await shape(bulk, "orders")).toEqual(before);
    expect(await shape(rowByRow, "orders")).toEqual(before);
    const digest = async (t: TestDatabase) =>
      (
        await t.pool.query(
          `select count(*)::int as n, md5(string_agg(o::text, '|' order by number)) as md5 from (select number,
             customer_email, status, amount, currency, item_count, created_date, modified_date from orders) o`,
        )
      ).rows[0];
    expect(await digest(bulk)).toEqual(await digest(rowByRow));
    expect((await digest(bulk))?.n).toBe(BULK_ROWS);
  });
});
