import type { ExportDto } from "./schemas";

/**
 * How storage/direct.ts marks an `uploaded_parts` entry written straight into the result's upload (S3):
 * such pages cannot be read before the upload completes, so a failed export made of them offers no partial
 * file. Kept equal to it by packages/core/test/engine/retry.test.ts.
 */
export const DIRECT_ENTRY_PREFIX = "mpu:";

/** Whether a failed export offers what it collected (`…/download/?partial=true`; exports/partial.ts). */
export function offersPartialDownload(e: Pick<ExportDto, "status" | "uploaded_parts">): boolean {
  return (
    e.status === "failed" &&
    e.uploaded_parts.length > 0 &&
    !e.uploaded_parts.some((entry) => entry.startsWith(DIRECT_ENTRY_PREFIX))
  );
}

/** The partial file's link, next to `result_file`'s. */
export const partialDownloadPath = (id: string) => `/api/v1/exports/${id}/download/?partial=true`;
