import { sql } from "drizzle-orm";
import {
  index,
  integer,
  json,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import { DEFAULT_EXPORT_OPTIONS, type EffectiveExportOptions } from "../../contract/options";
import { createdDate, modifiedDate } from "./columns";
import { exportFormat, exportStatus } from "./enums";
import { exportTemplates } from "./templates";
import { users } from "./users";

export { exportFormat, exportStatus };

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
    /**
     * Issue 17: the options it is written with, all of them (exports/options.ts). `json`, not `jsonb`: the text
     * is kept as written (`JSON.stringify`, keys in the contract's order), so the REST reads embed it as it is.
     */
    options: json("options")
      .$type<EffectiveExportOptions>()
      .notNull()
      .default(sql.raw(`'${JSON.stringify(DEFAULT_EXPORT_OPTIONS)}'::json`)),

    // The engine's own bookkeeping, never shown by the given API.
    /** Columns fixed when the export starts (request_fields, or the resource's defaults). */
    columns: text("columns").array(),
    /** Point in time: the highest record id when the export started; later rows are not included. */
    maxInstanceId: integer("max_instance_id"),
    /** The worker holding the export, and until when (a heartbeat extends it; expired = reclaimable). */
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, precision: 3 }),
    /** Consecutive failed attempts at the current step, and when the next may start (backoff). */
    attempts: integer("attempts").notNull().default(0),
    notBefore: timestamp("not_before", { withTimezone: true, precision: 3 }),
    /**
     * Direct mode (S3; CSV, JSON, XLSX): the result's multipart upload, begun when the export starts, whose parts the pages
     * are written as; null otherwise. `next_part` is the next free part number (reserved by guarded updates).
     */
    directKey: text("direct_key"),
    directUpload: text("direct_upload"),
    nextPart: integer("next_part").notNull().default(1),
    /** Storage key of the result file (result_file holds its download URL). */
    resultKey: text("result_key"),
    /** The field the filter file's identifiers name (e.g. sku); the identifiers are in export_filter_keys. */
    filterKeyField: varchar("filter_key_field", { length: 64 }),
    startedAt: timestamp("started_at", { withTimezone: true, precision: 3 }),
    finishedAt: timestamp("finished_at", { withTimezone: true, precision: 3 }),
    /** Set when it finishes (completed, failed, cancelled): then the sweep deletes what it owns. */
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }),
    /** When the retention sweep deleted what the export owned; null while anything may remain. */
    purgedAt: timestamp("purged_at", { withTimezone: true, precision: 3 }),
    /** The create's `Idempotency-Key`, unique per user. */
    idempotencyKey: varchar("idempotency_key", { length: 255 }),
    /** SHA-256 of what the export would produce (path, fields, format, language, filter file). */
    requestFingerprint: varchar("request_fingerprint", { length: 64 }),
    /** The saved export (issue 17) this export was made from; null when made by hand or the template is gone. */
    templateId: uuid("template_id").references(() => exportTemplates.id, { onDelete: "set null" }),
    /**
     * For a template's incremental runs: the point in time this run covers changes up to (rows modified at or
     * after it belong to the next run). Set when the run is created (templates/run.ts).
     */
    templatePoint: timestamp("template_point", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    // The list: a user's own exports, newest first; and everyone's, newest first (superusers).
    index("exports_requested_by_created_idx").on(t.requestedBy, t.createdDate.desc(), t.id.desc()),
    index("exports_created_idx").on(t.createdDate.desc(), t.id.desc()),
    index("exports_status_idx").on(t.status),
    index("exports_template_idx").on(t.templateId, t.createdDate.desc()),
    uniqueIndex("exports_idempotency_idx")
      .on(t.requestedBy, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
    // The retention sweep: exports whose retention ended and whose files are not deleted yet.
    index("exports_expiry_idx").on(t.expiresAt).where(sql`purged_at is null and expires_at is not null`),
    // The workers' claim query: unfinished exports, the least recently touched first (fair interleaving).
    index("exports_claim_idx")
      .on(t.modifiedDate)
      .where(sql`status in ('waiting', 'waiting_next_page', 'processing', 'preparing_file_creation')`),
  ],
);

/**
 * The identifiers of an export's filter file, one row each: a page then restricts its keyset query with
 * `key_field IN (SELECT value …)`, which Postgres answers with a join instead of a giant IN list.
 */
export const exportFilterKeys = pgTable(
  "export_filter_keys",
  {
    exportId: uuid("export_id")
      .notNull()
      .references(() => exports.id, { onDelete: "cascade" }),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.value] })],
);

export type ExportRow = typeof exports.$inferSelect;
