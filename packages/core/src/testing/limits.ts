import type { ExportLimits } from "../exports/limits";

/**
 * Limits for tests that create exports directly: many per user, so the per-user limits never interfere (they
 * have their own tests: core's admission.test.ts, web's abuse-limits.test.ts); a filter file's identifiers as
 * FILTER_FILE_MAX_IDENTIFIERS's default.
 */
export const TEST_LIMITS: ExportLimits = {
  maxActivePerUser: 1_000_000,
  maxFilterFilesPerUser: 1_000_000,
  maxFilterFileIdentifiers: 1_000_000,
};
