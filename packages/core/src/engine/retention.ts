import { and, asc, eq, inArray, isNotNull, isNull, lte, notInArray, or, sql } from "drizzle-orm";
import { TERMINAL_STATUSES } from "../contract";
import type { Db } from "../db/client";
import { exportFilterKeys, exports } from "../db/schema";
import { keys, type Storage } from "../storage";

export interface SweepResult {
  /** Exports whose retention ended and whose files and identifiers were deleted in this sweep. */
  expired: number;
  /** Part folders removed because their export is finished, cancelled or gone (crashed runs). */
  orphanedParts: number;
  /** Multipart uploads a killed worker left unfinished, aborted (object stores that can list them). */
  abortedUploads: number;
}

/** An upload unfinished after this long was left by a dead worker: no part or result takes an hour to send. */
export const STALE_UPLOAD_MS = 3600_000;

/** An export whose part folder stays: unfinished, or failed and not expired yet (retry, partial download). */
function keepsParts(row: { status: string; purgedAt: Date | null }): boolean {
  if (row.status === "failed") return row.purgedAt === null;
  return !(TERMINAL_STATUSES as readonly string[]).includes(row.status);
}

export interface SweepOptions {
  /** Exports handled per transaction. */
  batch?: number;
}

/**
 * Housekeeping a worker runs now and then:
 * - an export past `expires_at` loses everything it owns: its result (the download then answers 410), its
 *   filter file and identifiers, any parts; `purged_at` records it. The record itself stays.
 * - part folders of crashed runs go once their export is terminal or gone. An unfinished export's parts stay:
 *   a worker may be about to record them, and its assembly removes the folder anyway; so do a failed export's
 *   until it expires (its retry goes on from them, a partial download serves them).
 *
 * Safe with many workers: a batch is locked `FOR UPDATE SKIP LOCKED`; files go first and the mark last, in
 * that transaction, so a sweep that dies half way is finished by the next.
 */
export async function sweepStorage(
  db: Db,
  storage: Storage,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const batch = options.batch ?? 100;
  let expired = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const rows = await tx
        .select({
          id: exports.id,
          status: exports.status,
          directKey: exports.directKey,
          directUpload: exports.directUpload,
        })
        .from(exports)
        .where(and(isNull(exports.purgedAt), lte(exports.expiresAt, sql`now()`)))
        .orderBy(asc(exports.expiresAt))
        .limit(batch)
        .for("update", { skipLocked: true });
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      for (const row of rows) {
        // A failed export keeps its direct upload for a retry (engine/runner.ts) until now.
        if (row.status !== "completed" && row.directKey && row.directUpload) {
          await storage.direct?.abort({ key: row.directKey, uploadId: row.directUpload });
        }
      }
      for (const id of ids) {
        await storage.removePrefix(keys.resultPrefix(id));
        await storage.removePrefix(keys.uploadPrefix(id));
        await storage.removePrefix(keys.partsPrefix(id));
      }
      await tx.delete(exportFilterKeys).where(inArray(exportFilterKeys.exportId, ids));
      await tx
        .update(exports)
        .set({ resultKey: null, purgedAt: sql`now()`, modifiedDate: sql`${exports.modifiedDate}` })
        .where(inArray(exports.id, ids));
      return ids.length;
    });
    expired += done;
    if (done < batch) break;
  }

  const folders = (await storage.list("parts")).map((key) => key.slice("parts/".length));
  const ids = folders.filter((f) => /^[0-9a-f-]{36}$/.test(f));
  let orphanedParts = 0;
  if (ids.length > 0) {
    const live = await db
      .select({ id: exports.id, status: exports.status, purgedAt: exports.purgedAt })
      .from(exports)
      .where(inArray(exports.id, ids));
    // A failed export's parts are kept for its retry and partial download until it expires.
    const unfinished = new Set(live.filter(keepsParts).map((r) => r.id));
    for (const id of ids) {
      if (unfinished.has(id)) continue;
      await storage.removePrefix(keys.partsPrefix(id));
      orphanedParts++;
    }
  }
  // An unfinished export's direct upload lives as long as the export (an hour or more in a queue, say).
  const kept = storage.abortStaleUploads
    ? await db
        .select({ upload: exports.directUpload })
        .from(exports)
        .where(
          and(
            isNotNull(exports.directUpload),
            or(
              notInArray(exports.status, [...TERMINAL_STATUSES]),
              and(eq(exports.status, "failed"), isNull(exports.purgedAt)),
            ),
          ),
        )
    : [];
  const keep = new Set(kept.map((r) => r.upload as string));
  const abortedUploads =
    (await storage.abortStaleUploads?.(new Date(Date.now() - STALE_UPLOAD_MS), keep)) ?? 0;
  return { expired, orphanedParts, abortedUploads };
}
