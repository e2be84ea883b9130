import { randomBytes } from "node:crypto";
import { Readable, type Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { and, asc, count, eq, gt, lte, max, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../db/client";
import { type ExportRow, exports } from "../db/schema";
import { selection } from "../resources/serialize";
import { keys, type PendingFile, type Segment, type Storage } from "../storage";
import { othersWaiting } from "./claim";
import { type EngineConfig, RUNNABLE_CHANNEL } from "./config";
import { copyProjection, inlineQuery, UnsupportedCopy } from "./copy";
import { type CopyPart, CopyRows } from "./copy-rows";
import type { Faults } from "./faults";
import { writerFor } from "./formats";
import type { AssembleInput } from "./formats/types";
import { type ExportScope, exportScope } from "./scope";

export interface StepDeps {
  db: Db;
  storage: Storage;
  config: EngineConfig;
  /** Asked at each page's end of a run: true ends the run there (the worker is stopping). */
  endRun?: () => boolean;
  /** Fault-injection points (tests kill the worker there; see faults.ts). */
  faults?: Faults;
}

/** What a step did: `lost` = the export stopped being ours (cancelled or reclaimed); its work was dropped. */
export type StepOutcome = "page" | "completed" | "lost";

/** The guard every engine write carries: still ours, still in the state we claimed it in. */
function held(row: ExportRow, owner: string) {
  return and(eq(exports.id, row.id), eq(exports.leaseOwner, owner), eq(exports.status, row.status));
}

/** After losing an export: if it was cancelled, nothing of it may remain in storage. */
export async function dropIfCancelled(deps: StepDeps, id: string) {
  const [now] = await deps.db.select({ status: exports.status }).from(exports).where(eq(exports.id, id));
  if (!now || now.status === "cancelled") {
    await deps.storage.removePrefix(keys.partsPrefix(id));
    await deps.storage.removePrefix(keys.resultPrefix(id));
  }
}

/**
 * First step: fix the point in time. The highest matching id bounds every later page (rows inserted
 * after this are not exported); the columns are fixed. total_count, the number of records up to that id,
 * is counted while the first page is read (see `countPending`): a full count costs a scan of its own.
 */
export async function startExport(deps: StepDeps, row: ExportRow, owner: string): Promise<ExportRow | null> {
  const scope = exportScope(row);
  const id = scope.resource.idColumn;
  const [stats] = await deps.db
    .select({ maxId: max(id) })
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

/**
 * Whether total_count is still to be counted: a started export with matching records (its max id > 0)
 * whose count no page has recorded yet (the first page, or its retry after a crash).
 */
function countPending(row: ExportRow): boolean {
  return row.totalCount === 0 && (row.maxInstanceId ?? 0) > 0;
}

/**
 * The number of records the export captures: matching, up to its max id. Without parallel workers: it runs
 * beside the first page, whose COPY and encoding already keep two cores busy; PostgreSQL's parallel count
 * (a leader and two workers) cost about twice the CPU of one index-only scan (measured on 1,000,000 products:
 * ~210 ms against ~105 ms), taken from that page.
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

interface PageRead {
  /** Rows read (written + failed). */
  rows: number;
  written: number;
  failed: number;
  lastId: number | null;
  /** The committed part, or null when no row was written. */
  partKey: string | null;
}

/**
 * How a page's read is planned. A page is a keyset read in id order with a LIMIT: reading the id index in order
 * and stopping after the page is the right plan whatever the statistics say, but the planner picks it only when
 * it expects many rows. On a table whose statistics are missing or stale (just bulk-loaded, not yet analyzed) it
 * expects a handful and chooses a bitmap scan of the whole remaining id range plus a sort, so every page reads
 * and sorts everything after it (measured: 1,000,000 unanalyzed products, a CSV export took 6 s instead of 2 s,
 * its first page 1.2 s with a 60 MB on-disk sort; it grows with the square of the table). Sorting discouraged,
 * the in-order index scan is left (for a very selective filter this reads the id range once over the whole
 * export instead of sorting its matches: predictable, never quadratic). SET LOCAL: only for the page's (or
 * run's) transaction.
 */
export const PAGE_PLAN_SETTINGS = "set local enable_sort = off";

/** The pool behind `db`: COPY needs a client of its own for the length of the stream. */
function poolOf(db: Db): pg.Pool {
  return (db as unknown as { $client: pg.Pool }).$client;
}

/** The COPY of a run of pages: the keyset SELECT's text, its column count, and where the id (the cursor) is. */
export interface CopyPageQuery {
  text: string;
  columns: number;
  idColumnAt: number;
}

/** The keyset SELECT for COPY, up to `limit` rows, or null when a column has no exact COPY form. */
export function copyPageQuery(
  row: ExportRow,
  scope: ExportScope,
  keyset: SQL,
  limit: number,
): CopyPageQuery | null {
  const writer = writerFor(row.formatType);
  const projections = scope.fields.map((f) => copyProjection(f, writer.datetime, writer.booleans));
  if (projections.some((p) => p === null)) return null;
  const idColumn = scope.resource.idColumn;
  // The page's cursor is the last row's id: a selected id field (printed as its digits) is read as it, else
  // the id is one more column at the end.
  const idField = scope.fields.findIndex((f) => f.column === idColumn && f.type === "integer");
  const columns = idField === -1 ? [...(projections as SQL[]), sql`${idColumn}`] : (projections as SQL[]);
  try {
    const text = inlineQuery(
      sql`select ${sql.join(columns, sql`, `)} from ${scope.resource.table} where ${keyset} order by ${idColumn} limit ${limit}`,
    );
    return { text, columns: columns.length, idColumnAt: idField === -1 ? columns.length - 1 : idField };
  } catch (err) {
    if (err instanceof UnsupportedCopy) return null;
    throw err;
  }
}

/**
 * A page being written from the COPY into its part file (not committed yet), through the format's part stages.
 * The part is taken once the file exists: a part nobody reads must not be failed later with nobody listening.
 */
class PartWrite {
  part: CopyPart | null = null;
  /** Resolves once every row of the part is in the file; the file is then committed or thrown away. */
  readonly written: Promise<{ file: PendingFile; part: CopyPart }>;
  private cancelled = false;

  constructor(storage: Storage, nextPart: () => CopyPart, stages: Transform[], partKey: string) {
    this.written = this.write(storage, nextPart, stages, partKey);
    this.written.catch(() => {}); // awaited in turn; a run that stops first discards it
  }

  /** Stops it: no part is taken any more, the one being read is failed. */
  cancel() {
    this.cancelled = true;
    this.part?.destroy(new Error("page discarded"));
  }

  private async write(storage: Storage, nextPart: () => CopyPart, stages: Transform[], partKey: string) {
    const file = await storage.create(partKey);
    if (this.cancelled) {
      await file.abort();
      throw new Error("page discarded");
    }
    const part = nextPart();
    this.part = part;
    try {
      await pipeline([part, ...stages, file.stream]);
    } catch (err) {
      await file.abort();
      throw err;
    }
    return { file, part };
  }
}

/** Stops a part being written (or written, not committed) and throws its file away. */
async function discardPart(write: PartWrite | null) {
  if (!write) return;
  write.cancel();
  const done = await write.written.catch(() => null);
  await done?.file.abort();
}

/** Commits a written part (synced) or, with no row written, throws it away. */
async function commitPart(partKey: string, file: PendingFile, part: CopyPart): Promise<PageRead> {
  const page = part.page;
  if (page.written === 0) await file.abort();
  else await file.commit();
  return {
    rows: page.rows,
    written: page.written,
    failed: page.failed,
    lastId: page.lastId,
    partKey: page.written > 0 ? partKey : null,
  };
}

/**
 * A run of pages through one COPY: `COPY (keyset SELECT of the raw values, and the id, LIMIT runPages × pageSize)
 * TO STDOUT` is cut into parts of a page each (the format's row encoder → the part file). Each part is recorded
 * by its own guarded update as soon as it is synced, while PostgreSQL goes on sending and the next part is
 * already being encoded (it is thrown away if the run stops there); the claim is kept from page to page while no
 * other export waits (`othersWaiting`, asked at each page's end), so a smaller export created meanwhile waits
 * for one page, as with a claim per page. Returns null when a column has no exact COPY form (the caller then
 * reads one page row by row).
 */
async function copyRun(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  signal: AbortSignal,
  scope: ExportScope,
  keyset: SQL,
  counting: Promise<number> | null,
): Promise<StepOutcome | null> {
  const writer = writerFor(row.formatType);
  const { pageSize } = deps.config;
  const runLimit = pageSize * Math.max(1, deps.config.runPages);
  const query = copyPageQuery(row, scope, keyset, runLimit);
  if (!query) return null;
  const copy = new CopyRows(
    `COPY (${query.text}) TO STDOUT WITH (FORMAT csv)`,
    query.columns,
    query.idColumnAt,
  );
  const client = await poolOf(deps.db).connect();
  let failure: Error | undefined;
  // A connection that dies mid-COPY (server restart, pg_terminate_backend) is reported as an 'error' event on
  // the checked-out client, which nobody else listens to: without this the process would crash. The COPY's
  // part is failed instead, and the step retries.
  const onClientError = (err: Error) => {
    failure ??= err;
    copy.fail(err);
  };
  client.on("error", onClientError);
  /** Starts reading the page that begins at row `at.collectedCount`, numbered `at.page`. */
  const begin = (at: { collectedCount: number; page: number }) => {
    const limit = writer.pageLimit?.(at.collectedCount, pageSize) ?? pageSize;
    const key = keys.part(row.id, at.page);
    const encoder = writer.rowEncoder(scope.fields, at.collectedCount);
    const line = writer.lineEncoder?.(scope.fields, query.columns, query.idColumnAt) ?? null;
    const write = new PartWrite(
      deps.storage,
      () => copy.part(limit, encoder, line),
      writer.partStages?.(at.collectedCount) ?? [],
      key,
    );
    return { write, limit, key };
  };
  let current = row;
  let read = 0;
  // The page read ahead while the last one is recorded: thrown away if the run stops.
  let next: ReturnType<typeof begin> | null = null;
  // A part synced but not recorded yet: removed if the run ends before its update commits.
  let unrecorded: string | null = null;
  try {
    await client.query(`begin; ${PAGE_PLAN_SETTINGS}`);
    client.query(copy);
    let step = begin(current);
    for (;;) {
      const { file, part } = await step.write.written;
      const rows = part.page.rows;
      read += rows;
      if (failure) throw failure;
      // Fewer rows than asked: the COPY ended, and if it ended before the run's limit, the data did.
      const exhausted = rows < step.limit && read < runLimit;
      const lastId = part.page.lastId ?? current.lastInstanceId;
      const more = !exhausted && lastId < (current.maxInstanceId ?? 0);
      const mayGoOn = more && read < runLimit && !copy.done && !signal.aborted;
      // The next page is read while this one is synced and recorded.
      const written = part.page.written;
      next = mayGoOn
        ? begin({
            collectedCount: current.collectedCount + written,
            page: current.page + (written > 0 ? 1 : 0),
          })
        : null;
      const [page, waiting] = await Promise.all([
        commitPart(step.key, file, part),
        mayGoOn ? othersWaiting(deps.db, row.id) : Promise.resolve(false),
      ]);
      unrecorded = page.partKey;
      if (next) deps.faults?.("readahead.started");
      if (signal.aborted) return "lost";
      const goOn = mayGoOn && !waiting && !deps.endRun?.();
      const total = counting ? await counting : null;
      counting = null;
      // From here the part may be recorded: an error while recording (the connection lost after the update
      // committed) says nothing about whether it was, so the part is kept (an orphan at worst: the assembly
      // and the sweep remove the parts' folder). Only a record that matched no row removes it (recordPage).
      unrecorded = null;
      const recorded = await recordPage(deps, current, owner, page, total, more, goOn);
      if (!recorded) return "lost";
      deps.faults?.("page.recorded");
      if (!goOn || !next) {
        await discardPart(next?.write ?? null);
        next = null;
        // At the export's last row or the run's LIMIT, the COPY has nothing more to send: it is read to its
        // end and the connection kept. Stopped for another export, it is broken off (the connection closed;
        // PostgreSQL logs "could not send data to client"), which costs a connection, not a page of rows.
        if (!copy.done && (!more || read >= runLimit)) await finishCopy(copy);
        return "page";
      }
      current = recorded;
      step = next;
      next = null;
    }
  } catch (err) {
    failure ??= err as Error;
    throw err;
  } finally {
    await discardPart(next?.write ?? null);
    client.off("error", onClientError);
    if (!failure && copy.done) {
      // The COPY ran to its end: the transaction is closed and the connection goes back to the pool.
      await client.query("commit").catch((err: Error) => {
        failure = err;
      });
    }
    // A COPY broken off mid-stream (an error, a cancel, another export waiting) leaves the connection
    // unusable: it is closed, not returned to the pool.
    client.release(failure ?? (copy.done ? undefined : new Error("COPY stopped early")));
    if (unrecorded) await deps.storage.remove(unrecorded).catch(() => {});
  }
}

/**
 * Reads what the COPY still sends after the export's last row (CopyDone): nothing, since no row after the
 * point-in-time bound matches; a row would mean a broken keyset and fails the step.
 */
async function finishCopy(copy: CopyRows) {
  const rest = copy.part(Number.POSITIVE_INFINITY, () => {
    throw new Error("unexpected row after the export's last one");
  });
  rest.resume();
  await finished(rest);
  if (rest.page.rows > 0) throw new Error("unexpected row after the export's last one");
}

/** The same page read as JS rows and encoded by the format's `encodePage` (same bytes, slower). */
async function readPageIntoPart(
  deps: StepDeps,
  row: ExportRow,
  scope: ExportScope,
  keyset: SQL,
  limit: number,
  partKey: string,
): Promise<PageRead> {
  const idColumn = scope.resource.idColumn;
  const rows = (await deps.db.transaction(async (tx) => {
    await tx.execute(sql.raw(PAGE_PLAN_SETTINGS));
    return tx
      .select({ ...selection(scope.fields), __id: idColumn })
      .from(scope.resource.table)
      .where(keyset)
      .orderBy(asc(idColumn))
      .limit(limit);
  })) as Array<Record<string, unknown> & { __id: number }>;
  const writer = writerFor(row.formatType);
  const encoded = writer.encodePage(scope.fields, rows, row.collectedCount);
  let key: string | null = null;
  if (encoded.written > 0) {
    const file = await deps.storage.create(partKey);
    try {
      await pipeline([
        Readable.from([Buffer.from(encoded.data, "utf8")]),
        ...(writer.partStages?.(row.collectedCount) ?? []),
        file.stream,
      ]);
    } catch (err) {
      await file.abort();
      throw err;
    }
    await file.commit();
    key = partKey;
  }
  return {
    rows: rows.length,
    written: encoded.written,
    failed: encoded.failed,
    lastId: rows.at(-1)?.__id ?? null,
    partKey: key,
  };
}

/**
 * Records a page: ONE guarded statement records the part, advances page, last_instance_id and the counts (and
 * total_count, once counted). The claim is either kept for the next page of a run (`keep`: the updated row is
 * returned) or released, waking idle workers in the same statement (NOTIFY, delivered on commit). Returns null
 * when the export stopped being ours (cancelled, or the lease was lost to another worker): the caller throws
 * the part away; a redone page writes a new part and only the committed one is ever listed, so no row is
 * written twice.
 */
async function recordPage(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  read: PageRead,
  total: number | null,
  more: boolean,
  keep: boolean,
): Promise<ExportRow | null> {
  const update = deps.db
    .update(exports)
    .set({
      page: read.partKey ? sql`${exports.page} + 1` : exports.page,
      lastInstanceId: read.lastId ?? row.lastInstanceId,
      collectedCount: sql`${exports.collectedCount} + ${read.written}`,
      failCount: sql`${exports.failCount} + ${read.failed}`,
      ...(total === null ? {} : { totalCount: total }),
      uploadedParts: read.partKey
        ? sql`array_append(${exports.uploadedParts}, ${read.partKey})`
        : exports.uploadedParts,
      attempts: 0,
      notBefore: null,
      ...(keep
        ? { leaseExpiresAt: sql`now() + ${deps.config.leaseMs} * interval '1 millisecond'` }
        : {
            status: more ? ("waiting_next_page" as const) : ("preparing_file_creation" as const),
            leaseOwner: null,
            leaseExpiresAt: null,
          }),
    })
    .where(and(held(row, owner), eq(exports.page, row.page)));
  let recorded: ExportRow | null;
  if (keep) {
    [recorded = null] = await update.returning();
  } else {
    // The update and the wake-up in one statement (one round trip).
    const committed = await deps.db.execute<{ id: string }>(
      sql`with done as (${update.returning({ id: exports.id }).getSQL()}) select id, pg_notify(${RUNNABLE_CHANNEL}, id::text) from done`,
    );
    recorded = committed.rows.length > 0 ? row : null;
  }
  if (!recorded) {
    if (read.partKey) await deps.storage.remove(read.partKey);
    await dropIfCancelled(deps, row.id);
  }
  return recorded;
}

/**
 * Reads on from `last_instance_id` (`id > last_instance_id AND id <= max ORDER BY id`): a run of pages
 * through one COPY (`copyRun`), or, where a column has no exact COPY form, one page read row by row.
 */
export async function processPage(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const scope = exportScope(row);
  const idColumn = scope.resource.idColumn;
  const keyset = and(scope.where, gt(idColumn, row.lastInstanceId), lte(idColumn, row.maxInstanceId ?? 0));
  if (!keyset) throw new Error("no keyset condition");
  // The count runs on a connection of its own while the first page streams (PostgreSQL does both at once).
  const counting = countPending(row) ? countRecords(deps, scope, row.maxInstanceId ?? 0) : null;
  counting?.catch(() => {}); // awaited below; a page that fails first must not leave it unhandled
  const run = await copyRun(deps, row, owner, signal, scope, keyset, counting);
  if (run) return run;
  const pageSize = deps.config.pageSize;
  const limit = writerFor(row.formatType).pageLimit?.(row.collectedCount, pageSize) ?? pageSize;
  const partKey = keys.part(row.id, row.page);
  const read = await readPageIntoPart(deps, row, scope, keyset, limit, partKey);
  if (signal.aborted) {
    if (read.partKey) await deps.storage.remove(read.partKey);
    return "lost";
  }
  const total = counting ? await counting : null;
  // A full page may have been the last: past the point-in-time bound there is nothing more to read.
  const more = read.rows === limit && (read.lastId ?? 0) < (row.maxInstanceId ?? 0);
  const recorded = await recordPage(deps, row, owner, read, total, more, false);
  if (recorded) deps.faults?.("page.recorded");
  return recorded ? "page" : "lost";
}

function resultFilename(row: ExportRow, resourceKey: string, extension: string) {
  const stamp = (row.startedAt ?? row.createdDate)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace("T", "-")
    .slice(0, 15);
  return `${resourceKey}-export-${stamp}-${row.id.slice(0, 8)}.${extension}`;
}

export const downloadPath = (id: string) => `/api/v1/exports/${id}/download/`;

/**
 * Last step: the parts, in page order, become the final file — composed where they are (CSV, JSON: the
 * format's bytes around them, no copy) or streamed into a temp file renamed into place (XLSX) — then one
 * guarded update marks it completed. A cancel that won the race leaves no result behind.
 */
export async function assembleExport(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const scope = exportScope(row);
  const writer = writerFor(row.formatType);
  const attempt = randomBytes(4).toString("hex");
  const resultKey = keys.result(row.id, attempt, resultFilename(row, scope.resource.key, writer.extension));
  const sizes = await Promise.all(row.uploadedParts.map((key) => deps.storage.size(key)));
  const input: AssembleInput = {
    fields: scope.fields,
    language: row.language,
    rows: row.collectedCount,
    partsBytes: sizes.every((n) => n !== null) ? sizes.reduce((a: number, n) => a + (n ?? 0), 0) : undefined,
    parts: async function* () {
      for (const key of row.uploadedParts) {
        if (signal.aborted) throw new Error("export was taken away while assembling");
        yield {
          read: (range?: { start: number; end: number }) => {
            if (signal.aborted) throw new Error("export was taken away while assembling");
            return deps.storage.read(key, range);
          },
          size: () => deps.storage.size(key),
        };
      }
    },
  };
  try {
    // The parts become the file where they are (composed, not copied), where the format can say how.
    const layout = writer.layout ? await writer.layout(input) : null;
    if (layout) {
      if (signal.aborted) throw new Error("export was taken away while assembling");
      const segments: Segment[] = layout.map((s) => {
        if ("bytes" in s) return s;
        const key = row.uploadedParts[s.part];
        if (key === undefined) throw new Error(`no part ${s.part}`);
        return { key, start: s.start, end: s.end };
      });
      await deps.storage.compose(resultKey, segments);
    } else {
      const file = await deps.storage.create(resultKey);
      try {
        await writer.assemble(file.stream, input);
        await file.commit();
      } catch (err) {
        await file.abort();
        throw err;
      }
    }
  } catch (err) {
    // Nothing of a failed assembly stays (its folder included); the step is retried or the export lost.
    await deps.storage.removePrefix(keys.resultAttempt(row.id, attempt)).catch(() => {});
    if (signal.aborted) {
      await dropIfCancelled(deps, row.id);
      return "lost";
    }
    throw err;
  }
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
    await deps.storage.removePrefix(keys.resultAttempt(row.id, attempt));
    await dropIfCancelled(deps, row.id);
    return "lost";
  }
  deps.faults?.("export.completed");
  await deps.storage.removePrefix(keys.partsPrefix(row.id));
  deps.faults?.("parts.deleted");
  return "completed";
}
