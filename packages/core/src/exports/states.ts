import type { ExportStatus } from "../db/schema";

/** SPEC §4: the states an export is still moving through. */
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
