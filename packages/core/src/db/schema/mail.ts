import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";
import { users } from "./users";
import { exportEvents } from "./webhooks";

/**
 * Export emails (issue 16): one row per outbox event that a user is to hear of by email, made by the email
 * fan-out (mail/fanout.ts). The message is fixed when the row is made, so every attempt sends the same one.
 */
export const emailDeliveries = pgTable(
  "email_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    eventId: bigint("event_id", { mode: "number" })
      .notNull()
      .unique()
      .references(() => exportEvents.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    exportId: uuid("export_id").notNull(),
    recipient: varchar("recipient", { length: 254 }).notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    /** pending, sent or failed (the attempts spent). */
    status: varchar("status", { length: 16 }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, precision: 3 }),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).default(sql`now()`),
    /** The attempt that holds the row (a lease until next_attempt_at). */
    leaseOwner: text("lease_owner"),
    createdDate: createdDate(),
  },
  (t) => [index("email_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`)],
);
