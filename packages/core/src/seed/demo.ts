import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { seedOrders } from "./orders";
import { seedProducts } from "./products";

/** The demo set a new user meets: enough for lists with pages and an export that takes a moment. */
export const DEMO_DATA = { products: 10_000, orders: 2_000 } as const;

/** An arbitrary constant: two launchers starting on one empty database seed once. */
const DEMO_SEED_LOCK = 7_349_114;

/**
 * On a database with no users, products or orders (a first start), seeds DEMO_DATA and returns what it
 * inserted; otherwise inserts nothing and returns null. Call it before creating the first user.
 */
export async function seedDemoDataIfEmpty(db: Db): Promise<{ products: number; orders: number } | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${DEMO_SEED_LOCK})`);
    const { rows } = await tx.execute<{ empty: boolean }>(
      sql`select not exists (select 1 from users) and not exists (select 1 from products)
            and not exists (select 1 from orders) as empty`,
    );
    if (!rows[0]?.empty) return null;
    const products = await seedProducts(tx as unknown as Db, DEMO_DATA.products);
    const orders = await seedOrders(tx as unknown as Db, DEMO_DATA.orders);
    return { products, orders };
  });
}
