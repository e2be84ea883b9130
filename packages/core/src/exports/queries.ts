import { and, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import { ACTIVE_STATUSES } from "../contract";
import type { Db, Executor, Tx } from "../db/client";
import { preparedPerDb } from "../db/prepared";
import { exportFilterKeys, exports, users } from "../db/schema";
import type { PageRequest } from "../filters/pagination";
import { DEFAULT_EXPORT_ORDERING, exportOrderings } from "./filters";
import { exportRecordColumns, isoTimestamp } from "./serialize";

/** SPEC §2.8: a non-superuser sees only their own exports. */
function visibleTo(actor: Actor): SQL | undefined {
  return actor.isSuperuser ? undefined : eq(exports.requestedBy, actor.id);
}

/** A prepared statement for superusers (everyone's rows) and one for owners (`requested_by = :owner`). */
function preparedByVisibility<T>(name: string, build: (db: Db, visible: SQL | undefined, name: string) => T) {
  const everyone = preparedPerDb((db) => build(db, undefined, name));
  const own = preparedPerDb((db) =>
    build(db, eq(exports.requestedBy, sql.placeholder("owner")), `${name}_own`),
  );
  return (db: Db, actor: Actor) => (actor.isSuperuser ? everyone(db) : own(db));
}

const lookupColumns = {
  ...exportRecordColumns,
  resultKey: exports.resultKey,
  expiresAt: sql<string | null>`${isoTimestamp(exports.expiresAt)}`,
};

/** The retrieve, prepared: the given API's hottest path. */
const exportById = preparedByVisibility("export_by_id", (db, visible, name) =>
  db
    .select(lookupColumns)
    .from(exports)
    .where(and(eq(exports.id, sql.placeholder("id")), visible))
    .limit(1)
    .prepare(name),
);

export async function selectVisibleExport(db: Db, actor: Actor, id: string) {
  const rows = await exportById(db, actor).execute({ id, owner: actor.id });
  return rows[0];
}

/** The common list request (no filter, newest first), prepared. */
const latestExports = preparedByVisibility("exports_latest", (db, visible, name) =>
  db
    .select(exportRecordColumns)
    .from(exports)
    .where(visible)
    .orderBy(...exportOrderings[DEFAULT_EXPORT_ORDERING])
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare(name),
);
const countExports = preparedByVisibility("exports_count", (db, visible, name) =>
  db.select({ n: count() }).from(exports).where(visible).prepare(name),
);

/** A page of the exports the actor may see, and their total. */
export async function selectExportsPage(db: Db, actor: Actor, where: SQL | undefined, page: PageRequest) {
  const [rows, totals] =
    where === undefined && page.ordering === DEFAULT_EXPORT_ORDERING
      ? await Promise.all([
          latestExports(db, actor).execute({ owner: actor.id, limit: page.limit, offset: page.offset }),
          countExports(db, actor).execute({ owner: actor.id }),
        ])
      : await Promise.all([
          db
            .select(exportRecordColumns)
            .from(exports)
            .where(and(visibleTo(actor), where))
            .orderBy(...page.orderBy)
            .limit(page.limit)
            .offset(page.offset),
          db
            .select({ n: count() })
            .from(exports)
            .where(and(visibleTo(actor), where)),
        ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

export async function insertExport(tx: Tx, values: typeof exports.$inferInsert) {
  const [inserted] = await tx.insert(exports).values(values).returning();
  if (!inserted) throw new Error("insert returned no row");
  return inserted;
}

/** Identifiers per INSERT: one array parameter each (`unnest`), so a million take a few statements. */
const FILTER_KEYS_CHUNK = 50_000;

/** Inserted a chunk at a time as they are read; a repeat is stored once. */
export async function insertFilterKeys(tx: Tx, exportId: string, identifiers: Iterable<string>) {
  const insert = (chunk: string[]) =>
    tx.execute(
      sql`insert into ${exportFilterKeys} (export_id, value) select ${exportId}, unnest(${sql.param(chunk)}::text[]) on conflict do nothing`,
    );
  let chunk: string[] = [];
  for (const value of identifiers) {
    chunk.push(value);
    if (chunk.length < FILTER_KEYS_CHUNK) continue;
    await insert(chunk);
    chunk = [];
  }
  if (chunk.length > 0) await insert(chunk);
}

/** Cancels an export in flight (it then expires as a finished one); undefined if it was not in flight. */
export async function cancelActiveExport(db: Executor, id: string, retentionDays: number) {
  const [cancelled] = await db
    .update(exports)
    .set({
      status: "cancelled",
      uploadedParts: [],
      finishedAt: sql`now()`,
      expiresAt: sql`now() + ${retentionDays * 86_400_000} * interval '1 millisecond'`,
    })
    .where(and(eq(exports.id, id), inArray(exports.status, ACTIVE_STATUSES)))
    .returning();
  return cancelled;
}

/** user id → username, for the ids given (a page's owners). */
export async function selectUsernames(db: Db, ids: string[]): Promise<Record<string, string>> {
  if (ids.length === 0) return {};
  const rows = await db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(inArray(users.id, ids));
  return Object.fromEntries(rows.map((r) => [r.id, r.username]));
}
