import { index, integer, pgTable, primaryKey, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";
import { users } from "./users";

/**
 * Dashboard sessions (auth/sessions.ts). The id is the SHA-256 (hex) of the random secret the browser holds
 * in its cookie: a database leak gives no usable cookie, and the secret has far too much entropy to be found
 * from its hash.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: varchar("id", { length: 64 }).primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Echoed by the dashboard in `x-csrf-token` on cookie-authenticated mutations. */
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

/**
 * Sign-in attempts counted per username and per client address (auth/throttle.ts): one row per key, a
 * fixed window from its first counted attempt. Rows whose window has ended are swept on later sign-ins.
 */
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
