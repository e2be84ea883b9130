import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate, modifiedDate } from "./columns";
import { exportFormat } from "./enums";
import { users } from "./users";

/** Issue 17: saved exports, run by hand or on a cron schedule in the template's time zone. */
export const exportTemplates = pgTable(
  "export_templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: varchar("name", { length: 255 }).notNull(),
    requestPath: text("request_path").notNull(),
    requestFields: text("request_fields").array().notNull().default(sql`'{}'::text[]`),
    formatType: exportFormat("format_type").notNull().default("csv"),
    language: varchar("language", { length: 8 }).notNull().default("en"),
    options: jsonb("options").$type<Record<string, unknown>>().notNull().default({}),
    scheduleCron: text("schedule_cron"),
    scheduleTimezone: text("schedule_timezone"),
    paused: boolean("paused").notNull().default(false),
    onlyChangedSinceLastRun: boolean("only_changed_since_last_run").notNull().default(false),
    /** The slot the scheduler fires next; null: no schedule, or paused. Advanced by a guarded UPDATE. */
    nextRunAt: timestamp("next_run_at", { withTimezone: true, precision: 3 }),
    lastRunAt: timestamp("last_run_at", { withTimezone: true, precision: 3 }),
    createdDate: createdDate(),
    modifiedDate: modifiedDate(),
  },
  (t) => [
    index("export_templates_owner_idx").on(t.ownerId, t.createdDate.desc()),
    // The scheduler's query: due slots.
    index("export_templates_due_idx").on(t.nextRunAt).where(sql`next_run_at is not null`),
  ],
);

export type TemplateRow = typeof exportTemplates.$inferSelect;
