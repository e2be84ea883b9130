import { and, asc, count, eq, gt, lte, max, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type ExportRow, exports } from "../db/schema";
import { selection } from "../resources/serialize";
import { keys, type Storage } from "../storage";
import type { EngineConfig } from "./config";
import { writerFor } from "./formats";
import { exportScope } from "./scope";

export interface StepDeps {
  db: Db;
  storage: Storage;
  config: EngineConfig;
}

/** What a step did: `lost` = the export stopped being ours (cancelled or reclaimed); its work was dropped. */
export type StepOutcome = "started" | "page" | "completed" | "lost";

/** The guard every engine write carries: still ours, still in the state we claimed it in. */
function held(row: ExportRow, owner: string) {
  return and(eq(exports.id, row.id), eq(exports.leaseOwner, owner), eq(exports.status, row.status));
}

/** After losing an export: if it was cancelled, nothing of it may remain in storage. */
async function dropIfCancelled(deps: StepDeps, id: string) {
  const [now] = await deps.db.select({ status: exports.status }).from(exports).where(eq(exports.id, id));
  if (!now || now.status === "cancelled") {
    await deps.storage.removePrefix(keys.partsPrefix(id));
    await deps.storage.removePrefix(keys.resultPrefix(id));
  }
}

/**
 * First step: fix the point in time. The highest matching id bounds every later page (rows inserted
 * after this are not exported) and total_count is the number of records below it; the columns are fixed.
 */
export async function startExport(deps: StepDeps, row: ExportRow, owner: string): Promise<StepOutcome> {
  const scope = exportScope(row);
  const id = scope.resource.idColumn;
  const [stats] = await deps.db
    .select({ maxId: max(id), total: count() })
    .from(scope.resource.table)
    .where(scope.where);
  const maxId = Number(stats?.maxId ?? 0);
  const total = stats?.total ?? 0;
  const updated = await deps.db
    .update(exports)
    .set({
      columns: scope.fields.map((f) => f.name),
      maxInstanceId: maxId,
      totalCount: total,
      startedAt: sql`now()`,
      leaseExpiresAt: sql`${exports.leaseExpiresAt}`,
      // Nothing to read: straight to assembling an empty file (header only).
      ...(total === 0
        ? { status: "preparing_file_creation" as const, leaseOwner: null, leaseExpiresAt: null }
        : {}),
    })
    .where(held(row, owner))
    .returning({ id: exports.id });
  if (updated.length === 0) {
    await dropIfCancelled(deps, row.id);
    return "lost";
  }
  return "started";
}

/**
 * One page: keyset read (`id > last_instance_id AND id <= max ORDER BY id LIMIT page_size`), written as one
 * part, then ONE guarded update records the part and advances page, last_instance_id and the counts. If the
 * update matches nothing (cancelled, or the lease was lost to another worker), the part is thrown away; a
 * redone page writes a new part and only the committed one is ever listed, so no row is written twice.
 */
export async function processPage(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const scope = exportScope(row);
  const idColumn = scope.resource.idColumn;
  const rows = (await deps.db
    .select({ ...selection(scope.fields), __id: idColumn })
    .from(scope.resource.table)
    .where(and(scope.where, gt(idColumn, row.lastInstanceId), lte(idColumn, row.maxInstanceId ?? 0)))
    .orderBy(asc(idColumn))
    .limit(deps.config.pageSize)) as Array<Record<string, unknown> & { __id: number }>;
  if (signal.aborted) return "lost";
  const more = rows.length === deps.config.pageSize;
  let partKey: string | null = null;
  let written = 0;
  let failed = 0;
  if (rows.length > 0) {
    const encoded = writerFor(row.formatType).encodePage(scope.fields, rows);
    written = encoded.written;
    failed = encoded.failed;
    partKey = keys.part(row.id, row.page, owner.slice(-8));
    const file = await deps.storage.create(partKey);
    file.stream.write(encoded.data);
    await file.commit();
  }
  if (signal.aborted) {
    if (partKey) await deps.storage.remove(partKey);
    return "lost";
  }
  const lastId = rows.at(-1)?.__id ?? row.lastInstanceId;
  const updated = await deps.db
    .update(exports)
    .set({
      page: partKey ? sql`${exports.page} + 1` : exports.page,
      lastInstanceId: lastId,
      collectedCount: sql`${exports.collectedCount} + ${written}`,
      failCount: sql`${exports.failCount} + ${failed}`,
      uploadedParts: partKey
        ? sql`array_append(${exports.uploadedParts}, ${partKey})`
        : exports.uploadedParts,
      status: more ? "waiting_next_page" : "preparing_file_creation",
      leaseOwner: null,
      leaseExpiresAt: null,
      attempts: 0,
      notBefore: null,
    })
    .where(and(held(row, owner), eq(exports.page, row.page)))
    .returning({ id: exports.id });
  if (updated.length === 0) {
    if (partKey) await deps.storage.remove(partKey);
    await dropIfCancelled(deps, row.id);
    return "lost";
  }
  return "page";
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
 * Last step: stream the parts, in page order, into the final file (a temp file renamed into place), then
 * one guarded update marks it completed. A cancel that won the race leaves no result behind.
 */
export async function assembleExport(
  deps: StepDeps,
  row: ExportRow,
  owner: string,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const scope = exportScope(row);
  const writer = writerFor(row.formatType);
  const resultKey = keys.result(row.id, resultFilename(row, scope.resource.key, writer.extension));
  const file = await deps.storage.create(resultKey);
  try {
    await writer.assemble(file.stream, {
      fields: scope.fields,
      language: row.language,
      parts: async function* () {
        for (const key of row.uploadedParts) {
          if (signal.aborted) throw new Error("export was taken away while assembling");
          yield deps.storage.read(key);
        }
      },
    });
    await file.commit();
  } catch (err) {
    await file.abort();
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
    await deps.storage.remove(resultKey);
    await dropIfCancelled(deps, row.id);
    return "lost";
  }
  await deps.storage.removePrefix(keys.partsPrefix(row.id));
  return "completed";
}
