import { sql } from "drizzle-orm";
import type { Executor } from "../db/client";
import { RUNNABLE_CHANNEL } from "./config";

/** Wakes idle workers (LISTEN/NOTIFY): an export has a runnable step. Delivered when the transaction commits. */
export async function notifyRunnable(db: Executor, exportId: string) {
  await db.execute(sql`select pg_notify(${RUNNABLE_CHANNEL}, ${exportId})`);
}
