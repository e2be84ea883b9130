import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDatabase, createUser, type Database } from "@exports/core";
import {
  canConnect,
  ensureEmbeddedPostgres,
  LOCAL_ADMIN_URL,
  migrateDatabase,
  seedOrders,
  seedProducts,
  withDatabase,
} from "@exports/core/node";
import pg from "pg";

export interface BenchDatabase {
  url: string;
  name: string;
  database: Database;
  drop(): Promise<void>;
}

/**
 * The bench's own database, created fresh on DATABASE_URL's server, else the local server on 127.0.0.1:5432,
 * else an embedded PostgreSQL in a temporary folder; migrated.
 */
export async function createBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let adminUrl = "";
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (process.env.DATABASE_URL) adminUrl = withDatabase(process.env.DATABASE_URL, "postgres");
  else if (await canConnect(LOCAL_ADMIN_URL)) adminUrl = LOCAL_ADMIN_URL;
  else {
    log("no PostgreSQL on 127.0.0.1:5432: starting an embedded one");
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "exports-bench-pg-"));
    const embedded = await ensureEmbeddedPostgres({
      dataDir,
      port: 55_000 + Math.floor(Math.random() * 900),
      database: "postgres",
    });
    adminUrl = embedded.url;
    stopEmbedded = () => embedded.stop();
  }
  const name = process.env.BENCH_DATABASE ?? "exports_bench";
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  await migrateDatabase(url);
  const database = createDatabase(url, { max: 10, name: "exports-bench" });
  return {
    url,
    name,
    database,
    async drop() {
      await database.close();
      if (process.env.BENCH_KEEP_DB === "1") return;
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      await c.end();
      await stopEmbedded?.();
    },
  };
}

export interface Seeded {
  products: number;
  admin: { id: string; token: string };
  alice: { id: string; token: string };
  exports: number;
}

/**
 * Products and orders (core's deterministic seeds), a superuser and a regular user with API tokens, and `exports`
 * finished exports split between them (for the REST measurements), then ANALYZE.
 */
export async function seed(
  db: BenchDatabase,
  counts: { products: number; orders: number; exports: number },
  log: (line: string) => void,
): Promise<Seeded> {
  const t = performance.now();
  await seedProducts(db.database.db, counts.products);
  log(
    `seeded ${counts.products.toLocaleString("en")} products in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const o = performance.now();
  await seedOrders(db.database.db, counts.orders);
  log(
    `seeded ${counts.orders.toLocaleString("en")} orders in ${((performance.now() - o) / 1000).toFixed(1)} s`,
  );
  const admin = await createUser(db.database.db, { username: "bench-admin", isSuperuser: true });
  const alice = await createUser(db.database.db, { username: "bench-alice" });
  // Finished exports, one every 10 seconds back from now; every third belongs to the superuser.
  await db.database.pool.query(
    `insert into exports (request_path, request_fields, format_type, language, action_name, viewset, requested_by,
       status, total_count, collected_count, page, last_instance_id, result_file, created_date, modified_date)
     select '/api/v1/products/?is_active=true', '{sku,name,price}', (array['csv','xls','json'])[1 + i % 3]::export_format,
       'en', 'export_products', 'ProductViewSet', case when i % 3 = 0 then $1::uuid else $2::uuid end,
       'completed', 1000, 1000, 2, 1000, '/api/v1/exports/' || gen_random_uuid() || '/download/',
       now() - i * interval '10 seconds', now() - i * interval '10 seconds'
     from generate_series(1, $3::int) as i`,
    [admin.id, alice.id, counts.exports],
  );
  await db.database.pool.query("vacuum analyze");
  return {
    products: counts.products,
    admin: { id: admin.id, token: admin.token },
    alice: { id: alice.id, token: alice.token },
    exports: counts.exports,
  };
}
