import type { Env } from "../env";

/**
 * What one user's creates may do (issue 6 §9, issue 12). Core does not read them from the environment: the
 * door that creates (REST, tRPC) passes the configured ones, a test or the bench its own.
 */
export interface ExportLimits {
  /** Unfinished exports per user; past it a create is a 429 (MAX_ACTIVE_EXPORTS_PER_USER). */
  maxActivePerUser: number;
  /** Stored filter files per user; past it a create with a file is a 429 (MAX_FILTER_FILES_PER_USER). */
  maxFilterFilesPerUser: number;
  /** Identifiers one filter file may hold; past it the create is a 400 (FILTER_FILE_MAX_IDENTIFIERS). */
  maxFilterFileIdentifiers: number;
}

export function exportLimitsFromEnv(e: Env): ExportLimits {
  return {
    maxActivePerUser: e.MAX_ACTIVE_EXPORTS_PER_USER,
    maxFilterFilesPerUser: e.MAX_FILTER_FILES_PER_USER,
    maxFilterFileIdentifiers: e.FILTER_FILE_MAX_IDENTIFIERS,
  };
}
