import { type ExportRow, exports } from "../db/schema";
import type { ExportDto } from "./schemas";

/**
 * The columns of the contract's Export record, and nothing of the engine's bookkeeping: what the list and the
 * retrieve select (fewer columns to read and parse than the whole row; four of the others are timestamps).
 */
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
  createdDate: exports.createdDate,
  modifiedDate: exports.modifiedDate,
};

export type ExportRecordRow = Pick<ExportRow, keyof typeof exportRecordColumns>;

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
    created_date: row.createdDate.toISOString(),
    modified_date: row.modifiedDate.toISOString(),
  };
}
