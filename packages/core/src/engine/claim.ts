import { and, asc, eq, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import { RUNNABLE_STATUSES } from "../contract";
import type { Db } from "../db/client";
import { preparedPerDb } from "../db/prepared";
import { type ExportRow, exports } from "../db/schema";

const now = sql`now()`;
const leaseUntil = (leaseMs: number) => sql`now() + ${leaseMs} * interval '1 millisecond'`;

/** Claimable: runnable (or assembling) without a live lease (its holder died), and not deferred by a backoff. */
function claimable() {
  const notDeferred = or(isNull(exports.notBefore), lte(exports.notBefore, now));
  const leaseFree = or(isNull(exports.leaseExpiresAt), lt(exports.leaseExpiresAt, now));
  return and(
    inArray(exports.status, [...RUNNABLE_STATUSES, "processing", "preparing_file_creation"]),
    notDeferred,
    or(inArray(exports.status, RUNNABLE_STATUSES), leaseFree),
  );
}

/**
 * Claims one export for `owner`, the least recently touched first so exports interleave page by page. `FOR
 * UPDATE SKIP LOCKED`: any number of workers claim at once, never the same export.
 */
export async function claimNext(db: Db, owner: string, leaseMs: number): Promise<ExportRow | null> {
  const candidate = db
    .select({ id: exports.id })
    .from(exports)
    .where(claimable())
    .orderBy(asc(exports.modifiedDate))
    .limit(1)
    .for("update", { skipLocked: true });
  const [row] = await db
    .update(exports)
    .set({
      status: sql`case when ${exports.status} = 'preparing_file_creation' then ${exports.status} else 'processing'::export_status end`,
      leaseOwner: owner,
      leaseExpiresAt: leaseUntil(leaseMs),
    })
    .where(inArray(exports.id, candidate))
    .returning();
  return row ?? null;
}

/** Extends a held lease; false when the export is no longer ours (cancelled, or reclaimed). */
export async function extendLease(db: Db, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(exports)
    .set({ leaseExpiresAt: leaseUntil(leaseMs), modifiedDate: sql`${exports.modifiedDate}` })
    .where(
      and(
        eq(exports.id, id),
        eq(exports.leaseOwner, owner),
        inArray(exports.status, ["processing", "preparing_file_creation"]),
      ),
    )
    .returning({ id: exports.id });
  return rows.length > 0;
}

/**
 * Whether an export other than `id` waits to be claimed (a worker reading a run of pages then stops). Asked at
 * every page of a run: prepared, as rendering it cost the worker more than PostgreSQL's answer.
 */
const othersWaitingQuery = preparedPerDb((db) =>
  db
    .select({ id: exports.id })
    .from(exports)
    .where(and(claimable(), ne(exports.id, sql.placeholder("id"))))
    .limit(1)
    .prepare("engine_others_waiting"),
);

export async function othersWaiting(db: Db, id: string): Promise<boolean> {
  const [row] = await othersWaitingQuery(db).execute({ id });
  return row !== undefined;
}
