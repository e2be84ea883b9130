import { boolean, index, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate, modifiedDate } from "./columns";

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  username: varchar("username", { length: 150 }).notNull().unique(),
  /** scrypt hash (see auth/passwords.ts); null for token-only accounts. */
  passwordHash: text("password_hash"),
  isSuperuser: boolean("is_superuser").notNull().default(false),
  /** A deactivated user's schedules stop firing (issue 17). */
  isActive: boolean("is_active").notNull().default(true),
  /** Where export emails go (issue 16); null: none are sent. */
  email: varchar("email", { length: 254 }),
  /** The user's opt-out of export emails. */
  emailNotifications: boolean("email_notifications").notNull().default(true),
  createdDate: createdDate(),
  modifiedDate: modifiedDate(),
});

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** SHA-256 of the key (hex). The key itself is shown once, when it is created, and never stored. */
    keyHash: varchar("key_hash", { length: 64 }).notNull().unique(),
    /** First characters of the key, to tell tokens apart in listings. */
    keyPrefix: varchar("key_prefix", { length: 8 }).notNull(),
    createdDate: createdDate(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [index("api_tokens_user_id_idx").on(t.userId)],
);

export type User = typeof users.$inferSelect;
