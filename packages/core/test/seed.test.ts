import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { products } from "../src/db/schema";
import { createTestDatabase, seedProducts, type TestDatabase } from "../src/testing";

let t: TestDatabase;
let other: TestDatabase;

beforeAll(async () => {
  [t, other] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.all([t?.destroy(), other?.destroy()]);
});

const sku = (n: number) => `SKU-${String(n).padStart(8, "0")}`;

async function all(db: TestDatabase["db"]) {
  return db.select().from(products).orderBy(asc(products.id));
}

/** The values product n always gets (the formulas of seedProducts, restated). */
function expected(n: number) {
  const cents = Number((BigInt(n) * 7919n) % 100000n);
  return {
    sku: sku(n),
    price: (cents / 100 + 1).toFixed(2),
    currency: ["TRY", "USD", "EUR"][n % 3],
    stock: Number((BigInt(n) * 31n) % 500n),
    isActive: n % 10 !== 0,
    createdDate: new Date(Date.UTC(2025, 0, 1) + n * 60_000),
  };
}

describe("seedProducts", () => {
  it("inserts N products with numbered skus and known values", async () => {
    const progress: number[] = [];
    expect(await seedProducts(t.db, 1000, (done) => progress.push(done))).toBe(1000);
    expect(progress.at(-1)).toBe(1000);
    const rows = await all(t.db);
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => r.sku)).toEqual(Array.from({ length: 1000 }, (_, i) => sku(i + 1)));
    for (const n of [1, 2, 10, 500, 999]) expect(rows[n - 1]).toMatchObject(expected(n));
    expect(rows[0]?.name).toBe("Red Mug 1");
    expect(rows[0]?.attributes).toEqual({ color: "red", size: "M" });
    // The deliberately hostile names: a spreadsheet formula, and quotes, a comma and a new line.
    expect(rows[999]?.name).toBe('=HYPERLINK("http://example.invalid","Product 1000")');
    expect(rows[996]?.name).toBe('Çay bardağı, "İnce belli" 997\nİstanbul');
  });

  it("is deterministic: another database gets the very same products", async () => {
    await seedProducts(other.db, 1000);
    const strip = (rows: Awaited<ReturnType<typeof all>>) => rows.map(({ id: _id, ...rest }) => rest);
    expect(strip(await all(other.db))).toEqual(strip(await all(t.db)));
  });

  it("continues the numbering on a second call", async () => {
    expect(await seedProducts(t.db, 10)).toBe(10);
    const rows = await all(t.db);
    expect(rows).toHaveLength(1010);
    expect(rows.slice(1000).map((r) => r.sku)).toEqual(Array.from({ length: 10 }, (_, i) => sku(1001 + i)));
    expect(new Set(rows.map((r) => r.sku)).size).toBe(1010);
    expect(rows[1000]).toMatchObject(expected(1001));
  });

  it("ignores products whose sku is not a seeded one", async () => {
    await t.db.insert(products).values({ sku: "CUSTOM-99999", name: "Hand made", price: "1.00" });
    await seedProducts(t.db, 1);
    const [last] = await t.db.select().from(products).orderBy(sql`id desc`).limit(1);
    expect(last?.sku).toBe(sku(1011));
  });

  it("keeps working past product 271,181 (where n * 7919 exceeds a 32-bit integer)", async () => {
    await other.db.insert(products).values({ sku: sku(300_000), name: "placeholder", price: "1.00" });
    await seedProducts(other.db, 2);
    const rows = await all(other.db);
    expect(rows.slice(-2)).toEqual([
      expect.objectContaining(expected(300_001)),
      expect.objectContaining(expected(300_002)),
    ]);
  });

  it("widens the sku past 8 digits and numbers past 2^31 (bigint), instead of truncating or overflowing", async () => {
    await other.db.insert(products).values({ sku: sku(99_999_999), name: "placeholder", price: "1.00" });
    await seedProducts(other.db, 1);
    expect((await all(other.db)).at(-1)).toMatchObject(expected(100_000_000));
    expect((await all(other.db)).at(-1)?.sku).toBe("SKU-100000000");
    await other.db.insert(products).values({ sku: "SKU-3000000000", name: "placeholder", price: "1.00" });
    await seedProducts(other.db, 1);
    expect((await all(other.db)).at(-1)).toMatchObject(expected(3_000_000_001));
  });
});
