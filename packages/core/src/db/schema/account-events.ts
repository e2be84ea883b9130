import { bigint, index, jsonb, pgTable, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";

/**
 * Who changed which account or API key (issue 18): one row per change, written in the transaction that makes the
 * change (auth/account-events.ts). Append-only; no foreign keys, so a row outlives the user or key it names.
 */
export const accountEvents = pgTable(
  "account_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** e.g. `token.created`, `token.revoked`, `user.created`, `user.deactivated`, `user.password_changed`. */
    type: varchar("type", { length: 64 }).notNull(),
    /** Who did it; null for the CLI (a shell on the host). */
    actorId: uuid("actor_id"),
    /** The user whose account changed (a key's owner for key events). */
    userId: uuid("user_id").notNull(),
    /** The key, for key events. */
    tokenId: uuid("token_id"),
    /** What changed, never a secret (e.g. `{"is_superuser": true}`, a key's name and scopes). */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    createdDate: createdDate(),
  },
  (t) => [
    index("account_events_user_idx").on(t.userId, t.id),
    index("account_events_created_idx").on(t.createdDate),
  ],
);

export type AccountEventRow = typeof accountEvents.$inferSelect;
