import { and, eq, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../../db/client";
import { preparedPerDb } from "../../db/prepared";
import { type ExportRow, exports } from "../../db/schema";
import { isDirectEntry, keys, type Storage } from "../../storage";
import { type EngineConfig, RUNNABLE_CHANNEL } from "../config";
import type { Faults } from "../faults";
import type { ExportScope } from "../scope";

export interface StepDeps {
  db: Db;
  /** The pool behind `db`: a COPY takes a client of its own for the length of its stream. */
  pool: pg.Pool;
  storage: Storage;
  config: EngineConfig;
  /** Asked at each page's end of a run: true ends it there (the worker is stopping). */
  endRun?: () => boolean;
  /** Fault-injection points (faults.ts). */
  faults?: Faults;
}

/** What a step did: `lost` = the export stopped being ours (cancelled or reclaimed); its work was dropped. */
export type StepOutcome = "page" | "completed" | "lost";

/** An export as a step holds it: its row as claimed, the claim's owner, and the signal that the claim is lost. */
export interface Claim {
  row: ExportRow;
  owner: string;
  signal: AbortSignal;
}

/** A page step: the claim and its keyset read. */
export interface PageStep extends Claim {
  scope: ExportScope;
  keyset: SQL;
}

/** The guard every engine write carries: still ours, still in the state we claimed it in. */
export function held(row: ExportRow, owner: string) {
  return and(eq(exports.id, row.id), eq(exports.leaseOwner, owner), eq(exports.status, row.status));
}

/**
 * After losing an export: if it was cancelled, nothing of it may remain in storage (its direct upload aborted
 * where the server can; s3rver cannot, and no part of it is ever listed).
 */
export async function dropIfCancelled(deps: Pick<StepDeps, "db" | "storage">, id: string) {
  const [now] = await deps.db
    .select({ status: exports.status, directKey: exports.directKey, directUpload: exports.directUpload })
    .from(exports)
    .where(eq(exports.id, id));
  if (!now || now.status === "cancelled") {
    if (now?.directKey && now.directUpload) {
      await deps.storage.direct?.abort({ key: now.directKey, uploadId: now.directUpload });
    }
    await deps.storage.removePrefix(keys.partsPrefix(id));
    await deps.storage.removePrefix(keys.resultPrefix(id));
  }
}

export interface PageRead {
  /** written + failed */
  rows: number;
  written: number;
  failed: number;
  lastId: number | null;
  /**
   * The page's `uploaded_parts` entry: its committed part's key, or its parts of the direct upload
   * (`isDirectEntry`); null when no row was written.
   */
  partKey: string | null;
}

export interface PageRecord {
  /** total_count, when this page's step counted it. */
  totalCount: number | null;
  /** Records remain: the export waits for its next page, else for its assembly. */
  more: boolean;
  /** The claim is kept for the run's next page (the updated row is returned), not released. */
  keepClaim: boolean;
}

const ph = (name: string) => sql.placeholder(name);

/**
 * A page's record that keeps the claim (every page of a run but its last), prepared: rendering the update cost the
 * worker more than PostgreSQL's running it. The same changes as `recordPage`'s update, with `modified_date` from
 * the server's clock (a prepared statement cannot take the client's `$onUpdate` time). Returns the columns a
 * record changes; the part's key is appended to the row's own list by the caller.
 */
const recordKeptQuery = preparedPerDb((db) =>
  db
    .update(exports)
    .set({
      page: sql`${exports.page} + ${ph("advance")}::int`,
      lastInstanceId: sql`${ph("lastId")}::int`,
      collectedCount: sql`${exports.collectedCount} + ${ph("written")}::int`,
      failCount: sql`${exports.failCount} + ${ph("failed")}::int`,
      totalCount: sql`coalesce(${ph("totalCount")}::int, ${exports.totalCount})`,
      uploadedParts: sql`case when ${ph("partKey")}::text is null then ${exports.uploadedParts} else array_append(${exports.uploadedParts}, ${ph("partKey")}::text) end`,
      attempts: 0,
      notBefore: sql`null`,
      leaseExpiresAt: sql`now() + ${ph("leaseMs")}::int * interval '1 millisecond'`,
      modifiedDate: sql`now()`,
    })
    .where(
      and(
        eq(exports.id, ph("id")),
        eq(exports.leaseOwner, ph("owner")),
        sql`${exports.status} = ${ph("status")}::export_status`,
        eq(exports.page, ph("page")),
      ),
    )
    .returning({
      page: exports.page,
      lastInstanceId: exports.lastInstanceId,
      collectedCount: exports.collectedCount,
      failCount: exports.failCount,
      totalCount: exports.totalCount,
      attempts: exports.attempts,
      notBefore: exports.notBefore,
      leaseExpiresAt: exports.leaseExpiresAt,
      modifiedDate: exports.modifiedDate,
    })
    .prepare("engine_record_page_kept"),
);

/** `recordPage`'s update when the claim is kept: the row as recorded, or null when it matched none. */
async function recordKept(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  read: PageRead,
  totalCount: number | null,
): Promise<ExportRow | null> {
  const [changed] = await recordKeptQuery(deps.db).execute({
    advance: read.partKey ? 1 : 0,
    lastId: read.lastId ?? row.lastInstanceId,
    written: read.written,
    failed: read.failed,
    totalCount,
    partKey: read.partKey,
    leaseMs: deps.config.leaseMs,
    id: row.id,
    owner,
    status: row.status,
    page: row.page,
  });
  if (!changed) return null;
  const uploadedParts = read.partKey ? [...row.uploadedParts, read.partKey] : row.uploadedParts;
  return { ...row, ...changed, uploadedParts };
}

/**
 * Records a page: ONE guarded statement records the part and advances page, last_instance_id and the counts; a
 * released claim wakes idle workers in it (NOTIFY, delivered on commit). Null when the export stopped being
 * ours (cancelled, or the lease lost): the part is removed. Only recorded parts are listed, so a redone page
 * never writes a row twice.
 */
export async function recordPage(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  read: PageRead,
  { totalCount, more, keepClaim }: PageRecord,
): Promise<ExportRow | null> {
  if (keepClaim) {
    const recorded = await recordKept(deps, row, owner, read, totalCount);
    if (!recorded) await afterLost(deps, row, read);
    return recorded;
  }
  const update = deps.db
    .update(exports)
    .set({
      page: read.partKey ? sql`${exports.page} + 1` : exports.page,
      lastInstanceId: read.lastId ?? row.lastInstanceId,
      collectedCount: sql`${exports.collectedCount} + ${read.written}`,
      failCount: sql`${exports.failCount} + ${read.failed}`,
      ...(totalCount === null ? {} : { totalCount }),
      uploadedParts: read.partKey
        ? sql`array_append(${exports.uploadedParts}, ${read.partKey})`
        : exports.uploadedParts,
      attempts: 0,
      notBefore: null,
      status: more ? ("waiting_next_page" as const) : ("preparing_file_creation" as const),
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(and(held(row, owner), eq(exports.page, row.page)));
  // The update and the wake-up in one statement (one round trip).
  const committed = await deps.db.execute<{ id: string }>(
    sql`with done as (${update.returning({ id: exports.id }).getSQL()}) select id, pg_notify(${RUNNABLE_CHANNEL}, id::text) from done`,
  );
  if (committed.rows.length > 0) return row;
  await afterLost(deps, row, read);
  return null;
}

/** A record that matched no row: the export is no longer ours, and the page's part goes. */
async function afterLost(deps: StepDeps, row: ExportRow, read: PageRead) {
  // A page's direct parts are simply never listed.
  if (read.partKey && !isDirectEntry(read.partKey)) await deps.storage.remove(read.partKey);
  await dropIfCancelled(deps, row.id);
}
