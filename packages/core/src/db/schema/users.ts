import { sql } from "drizzle-orm";
import { boolean, check, index, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
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
    /** What the key is for, as its owner named it (issue 18); empty for keys made before names. */
    name: varchar("name", { length: 100 }).notNull().default(""),
    /**
     * What the key may do (auth/scopes.ts). The default is every scope: keys made before scopes, by the CLI
     * and at first start keep doing everything they did.
     */
    scopes: text("scopes").array().notNull().default(sql`ARRAY['exports:read', 'exports:write']::text[]`),
    /** After this the key is 401 "Token expired."; null: never. A revoked key is deleted (revoke is at once). */
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }),
    createdDate: createdDate(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("api_tokens_user_id_idx").on(t.userId),
    check("api_tokens_scopes_known", sql`${t.scopes} <@ ARRAY['exports:read', 'exports:write']::text[]`),
  ],
);

export type User = typeof users.$inferSelect;
