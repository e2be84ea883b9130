import { and, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { exports } from "../db/schema";
import { TERMINAL_STATUSES } from "../exports/states";
import { keys, type Storage } from "../storage";

export interface SweepResult {
  /** Result files removed because their export's retention ended. */
  expiredResults: number;
  /** Part folders removed because their export is finished, cancelled or gone (crashed runs). */
  orphanedParts: number;
}

/**
 * Housekeeping a worker runs now and then:
 * - result files past `expires_at` are deleted (`result_key` cleared; the download then answers 410);
 * - part folders left behind by crashed runs are deleted when their export is terminal or no longer exists.
 *   Parts of an unfinished export are left alone: a worker may be about to commit them, and assembly
 *   removes the whole folder anyway.
 */
export async function sweepStorage(db: Db, storage: Storage): Promise<SweepResult> {
  const expired = await db
    .update(exports)
    .set({ resultKey: null, modifiedDate: sql`${exports.modifiedDate}` })
    .where(and(isNotNull(exports.resultKey), lte(exports.expiresAt, sql`now()`)))
    .returning({ id: exports.id });
  for (const { id } of expired) await storage.removePrefix(keys.resultPrefix(id));

  const folders = (await storage.list("parts")).map((key) => key.slice("parts/".length));
  const ids = folders.filter((f) => /^[0-9a-f-]{36}$/.test(f));
  let orphanedParts = 0;
  if (ids.length > 0) {
    const live = await db
      .select({ id: exports.id, status: exports.status })
      .from(exports)
      .where(inArray(exports.id, ids));
    const unfinished = new Set(
      live.filter((r) => !(TERMINAL_STATUSES as readonly string[]).includes(r.status)).map((r) => r.id),
    );
    for (const id of ids) {
      if (unfinished.has(id)) continue;
      await storage.removePrefix(keys.partsPrefix(id));
      orphanedParts++;
    }
  }
  return { expiredResults: expired.length, orphanedParts };
}
