import { asc, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { emailDeliveries, exportEvents, exports, users } from "../db/schema";
import { exportEmail } from "./message";

/** Outbox rows taken per transaction. */
const FANOUT_BATCH = 100;

/** Events older than this are marked without an email (e.g. piled up while SMTP_URL was unset): news only. */
export const MAIL_MAX_EVENT_AGE_MS = 86_400_000;

/**
 * The email reader of the outbox: beside the webhook fan-out, with its own mark (`mailed_at`), so both see
 * every event. Events are taken `FOR UPDATE SKIP LOCKED` and marked in the same transaction as the emails they
 * make, and an event makes at most one email (unique `event_id`): many workers, each event mailed once. An
 * email is made for a completed or failed export whose owner has an address and notifications on; the
 * message is fixed here, so every attempt sends the same one. Returns how many events were taken.
 */
export async function fanOutEmails(db: Db, appUrl: string): Promise<number> {
  return db.transaction(async (tx) => {
    const events = await tx
      .select()
      .from(exportEvents)
      .where(isNull(exportEvents.mailedAt))
      .orderBy(asc(exportEvents.id))
      .limit(FANOUT_BATCH)
      .for("update", { skipLocked: true });
    if (events.length === 0) return 0;
    const exportIds = events.map((e) => e.exportId);
    const rows = await tx
      .select({
        id: exports.id,
        requestPath: exports.requestPath,
        actionName: exports.actionName,
        errorMessage: exports.errorMessage,
        email: users.email,
        notifications: users.emailNotifications,
      })
      .from(exports)
      .innerJoin(users, sql`${users.id} = ${exports.requestedBy}`)
      .where(inArray(exports.id, exportIds));
    const byId = new Map(rows.map((r) => [r.id, r]));
    const fresh = Date.now() - MAIL_MAX_EVENT_AGE_MS;
    const emails = [];
    for (const event of events) {
      const row = byId.get(event.exportId);
      if (!row?.email || !row.notifications || event.createdDate.getTime() < fresh) continue;
      const message = exportEmail({ type: event.type, exportId: row.id, appUrl, ...row });
      if (!message) continue;
      emails.push({
        eventId: event.id,
        userId: event.requestedBy,
        exportId: event.exportId,
        recipient: row.email,
        subject: message.subject,
        body: message.text,
      });
    }
    if (emails.length > 0) {
      await tx
        .insert(emailDeliveries)
        .values(emails)
        .onConflictDoNothing({ target: emailDeliveries.eventId });
    }
    await tx
      .update(exportEvents)
      .set({ mailedAt: sql`now()` })
      .where(
        inArray(
          exportEvents.id,
          events.map((e) => e.id),
        ),
      );
    return events.length;
  });
}
