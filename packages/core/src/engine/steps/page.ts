import { and, count, gt, lte, sql } from "drizzle-orm";
import type { ExportRow } from "../../db/schema";
import { writerOf } from "../formats";
import { pageRows } from "../page-size";
import { readPageIntoPart } from "../row-by-row";
import { type ExportScope, exportScope } from "../scope";
import { copyRun } from "./copy-run";
import { beginDirect } from "./direct";
import {
  type Claim,
  dropIfCancelled,
  type PageStep,
  recordPage,
  type StepDeps,
  type StepOutcome,
} from "./shared";

/** total_count is still to be counted: records match, and no page recorded it yet (the first, or its retry). */
function countPending(row: ExportRow): boolean {
  return row.totalCount === 0 && (row.maxInstanceId ?? 0) > 0;
}

/**
 * The records the export captures (matching, up to its max id). Without parallel workers: it runs beside the
 * first page, which keeps two cores busy, and a parallel count costs twice the CPU (1,000,000 products: ~210 ms
 * against ~105 ms).
 */
async function countRecords(deps: StepDeps, scope: ExportScope, maxId: number): Promise<number> {
  return deps.db.transaction(async (tx) => {
    await tx.execute(sql`set local max_parallel_workers_per_gather = 0`);
    const [stats] = await tx
      .select({ total: count() })
      .from(scope.resource.table)
      .where(and(scope.where, lte(scope.resource.idColumn, maxId)));
    return stats?.total ?? 0;
  });
}

/**
 * Reads on from `last_instance_id` (`id > last_instance_id AND id <= max ORDER BY id`): a run of pages
 * through one COPY (`copyRun`), or, where a column has no exact COPY form, one page read row by row.
 */
export async function processPage(deps: StepDeps, claim: Claim): Promise<StepOutcome> {
  let { row } = claim;
  // Direct mode is decided once, before the first page is recorded (a begin that failed is tried again).
  if (row.uploadedParts.length === 0 && !row.directUpload) {
    const begun = await beginDirect(deps, row, claim.owner);
    if (!begun) {
      await dropIfCancelled(deps, row.id);
      return "lost";
    }
    row = begun;
  }
  const scope = exportScope(row);
  const idColumn = scope.resource.idColumn;
  const keyset = and(scope.where, gt(idColumn, row.lastInstanceId), lte(idColumn, row.maxInstanceId ?? 0));
  if (!keyset) throw new Error("no keyset condition");
  const step: PageStep = { ...claim, row, scope, keyset };
  // Counted on a connection of its own while the first page streams.
  const counting = countPending(row) ? countRecords(deps, scope, row.maxInstanceId ?? 0) : null;
  counting?.catch(() => {}); // awaited later; a page that fails first must not leave it unhandled
  return (await copyRun(deps, step, counting)) ?? (await rowByRowPage(deps, step, counting));
}

/** One page read row by row; the claim is released with its record. */
async function rowByRowPage(
  deps: StepDeps,
  step: PageStep,
  counting: Promise<number> | null,
): Promise<StepOutcome> {
  const { row, owner, signal } = step;
  const pageSize = pageRows(deps.config, row);
  const limit = writerOf(row).pageLimit?.(row.collectedCount, pageSize) ?? pageSize;
  const read = await readPageIntoPart(deps, step, limit);
  if (signal.aborted) {
    if (read.partKey) await deps.storage.remove(read.partKey);
    return "lost";
  }
  const totalCount = counting ? await counting : null;
  // A full page may have been the last: nothing is read past the point-in-time bound.
  const more = read.rows === limit && (read.lastId ?? 0) < (row.maxInstanceId ?? 0);
  const recorded = await recordPage(deps, row, owner, read, { totalCount, more, keepClaim: false });
  if (recorded) deps.faults?.("page.recorded");
  return recorded ? "page" : "lost";
}
