import { eq } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import type { ExportDto, ExportStatus } from "../contract";
import type { Db } from "../db/client";
import { type ExportRow, exports } from "../db/schema";
import { notifyRunnable } from "../engine/notify";
import { conflict, notFound } from "../errors";
import { isDirectEntry, keys, type Storage } from "../storage";
import { admitRetry } from "./admission";
import { setAuditActor } from "./audit-actor";
import { exportsChanged } from "./change-feed";
import type { ExportLimits } from "./limits";
import { toExportDto } from "./serialize";
import { findExportRecord } from "./service";

/**
 * Retry (issue 17): a `failed` export goes on from its last committed page, under the same id. A failure keeps
 * what the export had recorded (engine/runner.ts: the parts, `uploaded_parts`, a direct upload), so a retry only
 * makes the export runnable again where it stood: `page`, `last_instance_id`, the counts and the point in time
 * stay, and the engine reads on from there (it never reads a committed page twice). The attempts start over.
 */

export interface RetryDeps {
  storage: Storage;
  limits: Pick<ExportLimits, "maxActivePerUser">;
}

/** Where the engine picks the export up: the step it was at, told from its bookkeeping. */
function resumeStatus(row: ExportRow): ExportStatus {
  if (row.maxInstanceId === null) return "waiting"; // failed at its start: starts again
  if (row.lastInstanceId >= row.maxInstanceId) return "preparing_file_creation"; // every page read
  // Pages may remain (a short last page assembled nothing yet: the next read finds none and assembles).
  return row.page > 1 ? "waiting_next_page" : "waiting";
}

/**
 * Whether the recorded pages can be built on: one entry per page, each part still in storage. Not so for exports
 * that failed before retries kept their parts (their parts were deleted), or parts removed since: the retry then
 * starts the export over.
 */
async function partsIntact(storage: Storage, row: ExportRow): Promise<boolean> {
  if (row.uploadedParts.length !== row.page - 1) return false;
  for (const entry of row.uploadedParts) {
    // A direct page lives in the result's upload, which cannot be listed cheaply: its completion checks it.
    if (isDirectEntry(entry)) continue;
    if ((await storage.size(entry)) === null) return false;
  }
  return true;
}

/** `POST /api/v1/exports/{id}/retry/` and tRPC `exports.retry`: the owner or a superuser. */
export async function retryExport(db: Db, actor: Actor, id: string, deps: RetryDeps): Promise<ExportDto> {
  const visible = await findExportRecord(db, actor, id); // 404 for others' exports and non-UUIDs
  const [current] = await db.select().from(exports).where(eq(exports.id, visible.id));
  if (!current) throw notFound();
  assertRetryable(current);
  const resume = await partsIntact(deps.storage, current);
  if (!resume) await discardCollected(deps.storage, current);
  const retried = await db.transaction(async (tx) => {
    const [locked] = await tx.select().from(exports).where(eq(exports.id, current.id)).for("update");
    if (!locked) throw notFound();
    assertRetryable(locked);
    await admitRetry(tx, actor, locked.requestedBy, deps.limits.maxActivePerUser);
    await setAuditActor(tx, actor.id);
    const [row] = await tx
      .update(exports)
      .set({
        status: resume ? resumeStatus(locked) : "waiting",
        errorMessage: null,
        attempts: 0,
        notBefore: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        finishedAt: null,
        expiresAt: null,
        ...(resume
          ? {}
          : {
              page: 1,
              lastInstanceId: 0,
              collectedCount: 0,
              failCount: 0,
              totalCount: 0,
              uploadedParts: [],
              maxInstanceId: null,
              directKey: null,
              directUpload: null,
              nextPart: 1,
            }),
      })
      .where(eq(exports.id, locked.id))
      .returning();
    if (!row) throw notFound();
    await notifyRunnable(tx, row.id);
    return row;
  });
  exportsChanged(db);
  return toExportDto(retried);
}

function assertRetryable(row: ExportRow) {
  if (row.status !== "failed") {
    throw conflict(`Export is ${row.status}; only a failed export can be retried.`);
  }
  if (row.purgedAt !== null || (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now())) {
    throw conflict(
      "Export expired: what it had collected is deleted, so it cannot be retried. Create a new export.",
    );
  }
}

/** Starting over: the pages of the failed run go (best effort; the sweep removes what is left). */
async function discardCollected(storage: Storage, row: ExportRow) {
  await storage.removePrefix(keys.partsPrefix(row.id)).catch(() => {});
  if (row.directKey && row.directUpload) {
    await storage.direct?.abort({ key: row.directKey, uploadId: row.directUpload }).catch(() => {});
  }
}
