/** SPEC §1, §4: an export's states, in the order of the database enum (migrations depend on it). */
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

/** SPEC §2.3: the formats we produce (`xls` is an XLSX file; the given enum's `xml` is not one of them). */
export const EXPORT_FORMATS = ["csv", "xls", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const LANGUAGES = ["en", "tr"] as const;
export type Language = (typeof LANGUAGES)[number];

/** SPEC §4: the states an export is still moving through (the list's `pending`). */
export const ACTIVE_STATUSES = [
  "waiting",
  "waiting_next_page",
  "processing",
  "preparing_file_creation",
] as const satisfies readonly ExportStatus[];

/** States a worker may claim. */
export const RUNNABLE_STATUSES = ["waiting", "waiting_next_page"] as const satisfies readonly ExportStatus[];

export const TERMINAL_STATUSES = [
  "completed",
  "failed",
  "cancelled",
] as const satisfies readonly ExportStatus[];

export function isActive(status: ExportStatus): boolean {
  return (ACTIVE_STATUSES as readonly ExportStatus[]).includes(status);
}
