import { sql } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, text, uuid, varchar } from "drizzle-orm/pg-core";
import { createdDate, modifiedDate } from "./columns";
import { users } from "./users";

export const EXPORT_STATUSES = [
  "waiting",
  "waiting_next_page",
  "processing",
  "completed",
  "failed",
  "cancelled",
  "preparing_file_creation",
] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const EXPORT_FORMATS = ["csv", "xls", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const exportStatus = pgEnum("export_status", EXPORT_STATUSES);
export const exportFormat = pgEnum("export_format", EXPORT_FORMATS);

/** SPEC §1: every field of the given Export record, with its type, default and length. */
export const exports = pgTable(
  "exports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    actionName: varchar("action_name", { length: 255 }),
    collectedCount: integer("collected_count").notNull().default(0),
    errorMessage: text("error_message"),
    failCount: integer("fail_count").notNull().default(0),
    filterFile: text("filter_file"),
    formatType: exportFormat("format_type").notNull().default("csv"),
    language: varchar("language", { length: 8 }).notNull().default("en"),
    lastInstanceId: integer("last_instance_id").notNull().default(0),
    page: integer("page").notNull().default(1),
    requestFields: text("request_fields").array().notNull().default(sql`'{}'::text[]`),
    requestPath: text("request_path").notNull(),
    requestedBy: uuid("requested_by")
      .notNull()
      .references(() => users.id),
    resultFile: varchar("result_file", { length: 512 }),
    totalCount: integer("total_count").notNull().default(0),
    status: exportStatus("status").notNull().default("waiting"),
    uploadedParts: text("uploaded_parts").array().notNull().default(sql`'{}'::text[]`),
    viewset: varchar("viewset", { length: 255 }),
    createdDate: createdDate(),
    modifiedDate: modifiedDate(),
  },
  (t) => [
    // The list: a user's own exports, newest first; and everyone's, newest first (superusers).
    index("exports_requested_by_created_idx").on(t.requestedBy, t.createdDate.desc(), t.id.desc()),
    index("exports_created_idx").on(t.createdDate.desc(), t.id.desc()),
    index("exports_status_idx").on(t.status),
  ],
);

export type ExportRow = typeof exports.$inferSelect;
