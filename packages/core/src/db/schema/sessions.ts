import { index, integer, pgTable, primaryKey, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";
import { users } from "./users";

/** Dashboard sessions (auth/sessions.ts), keyed by their secret's SHA-256: a leak gives no usable cookie. */
export const sessions = pgTable(
  "sessions",
  {
    id: varchar("id", { length: 64 }).primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    csrfToken: varchar("csrf_token", { length: 64 }).notNull(),
    createdDate: createdDate(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Sliding: moved forward on use, never past created_date + the absolute maximum age. */
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    /** The client at sign-in, for a person reviewing their sessions. */
    ip: varchar("ip", { length: 64 }),
    userAgent: varchar("user_agent", { length: 512 }),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_expires_at_idx").on(t.expiresAt)],
);

/** Sign-in attempts per username and per client address in a fixed window (auth/throttle.ts). */
export const loginThrottle = pgTable(
  "login_throttle",
  {
    /** `username` or `address`. */
    scope: varchar("scope", { length: 16 }).notNull(),
    key: text("key").notNull(),
    attempts: integer("attempts").notNull(),
    windowStartedAt: timestamp("window_started_at", { withTimezone: true, precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index("login_throttle_window_idx").on(t.windowStartedAt),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;
