import { asc, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { exportEvents, exports, users, webhookDeliveries, webhookEndpoints } from "../db/schema";
import { toExportDto } from "../exports/serialize";

/** Outbox rows taken per transaction. */
const DISPATCH_BATCH = 100;

/**
 * Fan-out: outbox events become one delivery per matching active endpoint — the owner's endpoints, and
 * superusers' `scope: all` endpoints — created no later than the event. Events are taken `FOR UPDATE SKIP
 * LOCKED` and marked in the same transaction as their deliveries, and (event, endpoint) is unique: a worker
 * dying here leaves the events for the next, and nothing is delivered twice as two deliveries. The body is
 * fixed here, so every attempt sends the same bytes: `data` is the export as REST retrieve returns it.
 * Returns how many events were dispatched.
 */
export async function dispatchEvents(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    const events = await tx
      .select()
      .from(exportEvents)
      .where(isNull(exportEvents.dispatchedAt))
      .orderBy(asc(exportEvents.id))
      .limit(DISPATCH_BATCH)
      .for("update", { skipLocked: true });
    if (events.length === 0) return 0;
    const rows = await tx
      .select()
      .from(exports)
      .where(
        inArray(
          exports.id,
          events.map((e) => e.exportId),
        ),
      );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const event of events) {
      const row = byId.get(event.exportId);
      if (!row) continue;
      const body = JSON.stringify({
        type: event.type,
        timestamp: event.createdDate.toISOString(),
        data: toExportDto(row),
      });
      await tx.execute(sql`
        insert into ${webhookDeliveries} (endpoint_id, event_id, event_type, export_id, body)
        select w.id, ${event.id}, ${event.type}, ${event.exportId}, ${body}
        from ${webhookEndpoints} w join ${users} u on u.id = w.owner_id
        where w.is_active
          and ${event.type} = any(w.events)
          and w.created_date <= ${event.createdDate.toISOString()}::timestamptz
          and (w.owner_id = ${event.requestedBy} or (w.scope = 'all' and u.is_superuser))
        on conflict (event_id, endpoint_id) do nothing`);
    }
    await tx
      .update(exportEvents)
      .set({ dispatchedAt: sql`now()` })
      .where(
        inArray(
          exportEvents.id,
          events.map((e) => e.id),
        ),
      );
    return events.length;
  });
}
