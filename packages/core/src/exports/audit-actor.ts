import { sql } from "drizzle-orm";
import type { Executor } from "../db/client";

/**
 * Names the acting user for the audit trail's trigger (migration 0012) for the rest of the transaction (a
 * SET LOCAL): the `created`, `cancelled` or `retried` row its next statement causes records who did it. Apart
 * from audit.ts, which reads exports through the service, so that the service can import it without a cycle.
 */
export async function setAuditActor(tx: Executor, actorId: string): Promise<void> {
  await tx.execute(sql`select set_config('exports.actor', ${actorId}, true)`);
}
