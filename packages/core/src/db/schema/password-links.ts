import { index, pgTable, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";
import { users } from "./users";

/**
 * One-time set-password links (auth/password-links.ts): a superuser creates a user, or resets a password,
 * without choosing the password. Only the link's secret's SHA-256 is stored; a link works once, until it
 * expires, and issuing another for the same user replaces it.
 */
export const passwordLinks = pgTable(
  "password_links",
  {
    /** SHA-256 (hex) of the secret in `/set-password?token=…`. */
    tokenHash: varchar("token_hash", { length: 64 }).primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Who issued it; null for the CLI. */
    createdBy: uuid("created_by"),
    createdDate: createdDate(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("password_links_user_id_idx").on(t.userId)],
);
