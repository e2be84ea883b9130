import { sql } from "drizzle-orm";
import { type ExportRow, exports } from "../../db/schema";
import { downloadPath } from "../../exports/urls";
import { keys } from "../../storage";
import { dropIfCancelled, held, type StepDeps, type StepOutcome } from "./shared";

/**
 * The result is under `resultKey`: a guarded update marks the export completed, then its parts go. Lost (a
 * cancel won, or the lease): `dropOwn` removes what only this worker would have, then a cancel's leftovers go.
 */
export async function markCompleted(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  resultKey: string,
  dropOwn: () => Promise<void>,
): Promise<StepOutcome> {
  const updated = await deps.db
    .update(exports)
    .set({
      status: "completed",
      resultFile: downloadPath(row.id),
      resultKey,
      uploadedParts: [],
      leaseOwner: null,
      leaseExpiresAt: null,
      attempts: 0,
      notBefore: null,
      finishedAt: sql`now()`,
      expiresAt: sql`now() + ${deps.config.retentionMs} * interval '1 millisecond'`,
    })
    .where(held(row, owner))
    .returning({ id: exports.id });
  if (updated.length === 0) {
    await dropOwn();
    await dropIfCancelled(deps, row.id);
    return "lost";
  }
  deps.faults?.("export.completed");
  await deps.storage.removePrefix(keys.partsPrefix(row.id));
  deps.faults?.("parts.deleted");
  return "completed";
}
