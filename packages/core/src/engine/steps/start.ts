import { max, sql } from "drizzle-orm";
import { type ExportRow, exports } from "../../db/schema";
import { exportScope } from "../scope";
import { dropIfCancelled, held, type StepDeps } from "./shared";

/**
 * First step: the point in time. The highest matching id bounds every page (rows inserted later are not
 * exported) and the columns are fixed; total_count is counted beside the first page (page.ts).
 */
export async function startExport(deps: StepDeps, row: ExportRow, owner: string): Promise<ExportRow | null> {
  const scope = exportScope(row);
  const [stats] = await deps.db
    .select({ maxId: max(scope.resource.idColumn) })
    .from(scope.resource.table)
    .where(scope.where);
  const maxId = Number(stats?.maxId ?? 0);
  const [updated] = await deps.db
    .update(exports)
    .set({
      columns: scope.fields.map((f) => f.name),
      maxInstanceId: maxId,
      totalCount: 0,
      startedAt: sql`now()`,
      leaseExpiresAt: sql`${exports.leaseExpiresAt}`,
      // Nothing to read: straight to assembling an empty file (header only).
      ...(maxId === 0
        ? { status: "preparing_file_creation" as const, leaseOwner: null, leaseExpiresAt: null }
        : {}),
    })
    .where(held(row, owner))
    .returning();
  if (!updated) {
    await dropIfCancelled(deps, row.id);
    return null;
  }
  return updated;
}
