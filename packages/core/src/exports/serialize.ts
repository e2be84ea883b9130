import type { ExportRow } from "../db/schema";
import type { ExportDto } from "./schemas";

/** A row → the contract's Export record, every field present, field names exactly as given. */
export function toExportDto(row: ExportRow): ExportDto {
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
