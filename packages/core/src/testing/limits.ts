import type { ExportLimits } from "../exports/limits";

/** Many exports per user: the limits have their own tests (admission.test.ts, abuse-limits.test.ts). */
export const TEST_LIMITS: ExportLimits = {
  maxActivePerUser: 1_000_000,
  maxFilterFilesPerUser: 1_000_000,
  maxFilterFileIdentifiers: 1_000_000,
};
