import type { Actor } from "../auth/actor";
import type { ExportDto } from "../contract";
import type { Db } from "../db/client";
import type { ExportLimits } from "../exports/limits";
import { type CreateExportOptions, createExport } from "../exports/service";

/** Many exports per user: the limits have their own tests (admission.test.ts, abuse-limits.test.ts). */
export const TEST_LIMITS: ExportLimits = {
  maxActivePerUser: 1_000_000,
  maxFilterFilesPerUser: 1_000_000,
  maxFilterFileIdentifiers: 1_000_000,
};

/** An export created as a door would, under TEST_LIMITS (options add a filter file, storage, …). */
export async function createTestExport(
  db: Db,
  actor: Actor,
  input: unknown,
  options: Omit<CreateExportOptions, "limits"> = {},
): Promise<ExportDto> {
  return (await createExport(db, actor, input, { limits: TEST_LIMITS, ...options })).export;
}
