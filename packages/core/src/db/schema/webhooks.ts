import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import { createdDate, modifiedDate } from "./columns";
import { exports } from "./exports";
import { users } from "./users";

/**
 * The outbox (issue 16): one row per export that reached completed, failed or cancelled, written by a trigger on
 * `exports` (migration 0008) in the statement that changes the status — so it commits or rolls back with it.
 * Readers (the webhook fan-out, the email fan-out) each mark what they have taken.
 */
export const exportEvents = pgTable(
  "export_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** `export.completed`, `export.failed` or `export.cancelled`. */
    type: varchar("type", { length: 64 }).notNull(),
    exportId: uuid("export_id")
      .notNull()
      .references(() => exports.id, { onDelete: "cascade" }),
    /** The export's owner: whose endpoints hear of it. */
    requestedBy: uuid("requested_by").notNull(),
    createdDate: createdDate(),
    /** When the webhook fan-out turned it into deliveries; null until then. */
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true, precision: 3 }),
    /** When the email fan-out took it (mail/fanout.ts); null until then. Each reader has its own mark. */
    mailedAt: timestamp("mailed_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("export_events_undispatched_idx").on(t.id).where(sql`dispatched_at is null`),
    index("export_events_unmailed_idx").on(t.id).where(sql`mailed_at is null`),
  ],
);

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: varchar("description", { length: 255 }).notNull().default(""),
    events: text("events").array().notNull(),
    /** `own`: the owner's exports; `all`: everyone's (superusers only). */
    scope: varchar("scope", { length: 8 }).notNull().default("own"),
    /** `whsec_…`: kept to sign with; shown to its owner once, at creation. */
    secret: text("secret").notNull(),
    isActive: boolean("is_active").notNull().default(true),
    /** Since when every attempt failed (null after a success); 3 days of it deactivates the endpoint. */
    failingSince: timestamp("failing_since", { withTimezone: true, precision: 3 }),
    /** Set when delivery deactivated it (the owner is told on the Webhooks page). */
    disabledReason: text("disabled_reason"),
    createdDate: createdDate(),
    modifiedDate: modifiedDate(),
  },
  (t) => [index("webhook_endpoints_owner_idx").on(t.ownerId, t.createdDate.desc())],
);

/** One (event, endpoint) pair; its id is the `webhook-id` header, the same on every attempt. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** Null for a `webhook.test` event. */
    eventId: bigint("event_id", { mode: "number" }).references(() => exportEvents.id, {
      onDelete: "cascade",
    }),
    eventType: varchar("event_type", { length: 64 }).notNull(),
    exportId: uuid("export_id"),
    /** The exact body sent on every attempt. */
    body: text("body").notNull(),
    /** pending, succeeded or failed. */
    status: varchar("status", { length: 16 }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, precision: 3 }),
    /** When it may be attempted (again); while an attempt runs, the end of its lease; null once finished. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).defaultNow(),
    /** The worker whose attempt is in flight; its result is recorded only if it still holds it. */
    leaseOwner: text("lease_owner"),
    createdDate: createdDate(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_endpoint_idx").on(t.eventId, t.endpointId),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdDate.desc()),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
