import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { createDatabase } from "./client";

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** An arbitrary constant: the advisory lock that serialises concurrent migrators (web, workers, CLI). */
const MIGRATION_LOCK = 7_349_112;

/** Applies the committed SQL migrations in `packages/core/drizzle`. Safe to call from several processes. */
export async function migrateDatabase(url: string): Promise<void> {
  const database = createDatabase(url, { max: 2, name: "exports-migrate" });
  try {
    const client = await database.pool.connect();
    try {
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
      try {
        await migrate(database.db, { migrationsFolder });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  } finally {
    await database.close();
  }
}
