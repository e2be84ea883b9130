import { type Column, sql } from "drizzle-orm";
import { DEFAULT_EXPORT_OPTIONS, type ExportDto } from "../contract";
import { type ExportRow, exports } from "../db/schema";

/** `Date#toISOString()`'s form, as a to_char format literal. */
const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * A timestamp exactly as `Date#toISOString()` writes it (stored to the millisecond), formatted by PostgreSQL:
 * no Date per value (Next.js wraps the Date constructor, which made the timestamps of 100 records the largest
 * cost of a list answer).
 */
export const isoTimestamp = (column: Column) =>
  sql<string>`to_char(${column} at time zone 'UTC', ${sql.raw(ISO_FORMAT)})`;

/** isoTimestamp of a column named in SQL text (`e.created_date`). */
export const isoTimestampText = (column: string) => `to_char(${column} at time zone 'UTC', ${ISO_FORMAT})`;

/** The Export record's columns only: what the list and the retrieve select (the rest has four timestamps). */
export const exportRecordColumns = {
  id: exports.id,
  actionName: exports.actionName,
  collectedCount: exports.collectedCount,
  errorMessage: exports.errorMessage,
  failCount: exports.failCount,
  filterFile: exports.filterFile,
  formatType: exports.formatType,
  language: exports.language,
  lastInstanceId: exports.lastInstanceId,
  page: exports.page,
  requestFields: exports.requestFields,
  requestPath: exports.requestPath,
  requestedBy: exports.requestedBy,
  resultFile: exports.resultFile,
  totalCount: exports.totalCount,
  status: exports.status,
  uploadedParts: exports.uploadedParts,
  viewset: exports.viewset,
  createdDate: isoTimestamp(exports.createdDate),
  modifiedDate: isoTimestamp(exports.modifiedDate),
  templateId: exports.templateId,
  options: exports.options,
};

type RecordColumn = Exclude<keyof typeof exportRecordColumns, "createdDate" | "modifiedDate">;

/** A whole row, or the record's columns as selected above (timestamps already as text). */
export type ExportRecordRow = Pick<ExportRow, RecordColumn> & {
  createdDate: Date | string;
  modifiedDate: Date | string;
};

const iso = (t: Date | string) => (typeof t === "string" ? t : t.toISOString());

/** A row → the contract's Export record, every field present, field names exactly as given. */
export function toExportDto(row: ExportRecordRow): ExportDto {
  return {
    id: row.id,
    action_name: row.actionName,
    collected_count: row.collectedCount,
    error_message: row.errorMessage,
    fail_count: row.failCount,
    filter_file: row.filterFile,
    format_type: row.formatType,
    language: row.language,
    last_instance_id: row.lastInstanceId,
    page: row.page,
    request_fields: row.requestFields,
    request_path: row.requestPath,
    requested_by: row.requestedBy,
    result_file: row.resultFile,
    total_count: row.totalCount,
    status: row.status,
    uploaded_parts: row.uploadedParts,
    viewset: row.viewset,
    created_date: iso(row.createdDate),
    modified_date: iso(row.modifiedDate),
    template: row.templateId,
    options: row.options ?? DEFAULT_EXPORT_OPTIONS,
  };
}
