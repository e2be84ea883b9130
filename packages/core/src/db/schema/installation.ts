import { sql } from "drizzle-orm";
import { pgTable, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";

/**
 * This database's identity: one row, created on first use (storage/binding.ts). The storage a database uses
 * records it, so that no other database's processes use — and sweep — the same files.
 */
export const installation = pgTable(
  "installation",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    createdDate: createdDate(),
  },
  // At most one row.
  () => [uniqueIndex("installation_singleton").on(sql`(true)`)],
);
