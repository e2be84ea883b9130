import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate } from "./columns";
import { exports } from "./exports";
import { users } from "./users";

/**
 * The audit trail (issue 17): what happened to an export, who did it, when. Apart from `export_events` (the
 * webhook and email OUTBOX) on purpose: the outbox is a queue whose rows each reader marks (its partial indexes
 * hold what is not delivered yet), while the trail is an append-only history of more kinds of event (every
 * download among them) that nothing delivers. Sharing the table would make every download a row the two
 * fan-outs must skip or pre-mark. Lifecycle rows are written by a trigger on `exports` (migration 0012) in the
 * statement that causes them, the acting user read from the transaction's `exports.actor` setting
 * (exports/audit.ts); downloads by the web process.
 */
export const exportAudit = pgTable(
  "export_audit",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    exportId: uuid("export_id")
      .notNull()
      .references(() => exports.id, { onDelete: "cascade" }),
    /** created, started, completed, failed, cancelled, retried, downloaded (contract/audit.ts). */
    type: varchar("type", { length: 32 }).notNull(),
    /** Who did it; null for the workers' own steps and a schedule's runs (or a user since deleted). */
    actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
    /** What the type tells: the template, the error message, the bytes of a download… */
    detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
    createdDate: createdDate(),
  },
  (t) => [
    // An export's trail, in order; the superusers' list, newest first, whole or by type or by user.
    index("export_audit_export_idx").on(t.exportId, t.id),
    index("export_audit_created_idx").on(t.createdDate.desc(), t.id.desc()),
    index("export_audit_type_idx").on(t.type, t.createdDate.desc(), t.id.desc()),
    index("export_audit_actor_idx").on(t.actorId, t.createdDate.desc(), t.id.desc()),
  ],
);

export type ExportAuditRow = typeof exportAudit.$inferSelect;
