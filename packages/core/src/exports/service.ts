import { randomUUID } from "node:crypto";
import type { Actor } from "../auth/actor";
import { type ExportDto, listQueryInput } from "../contract";
import type { Db, Tx } from "../db/client";
import type { exports } from "../db/schema";
import { notifyRunnable } from "../engine/notify";
import { env } from "../env";
import { conflict, forbidden, notFound } from "../errors";
import { compileFilters } from "../filters/grammar";
import { PAGINATION_PARAMS, type Page, parsePageRequest } from "../filters/pagination";
import { isUuid } from "../filters/values";
import type { Resource } from "../resources/types";
import { keys, type Storage } from "../storage";
import { parseInput } from "../validation";
import {
  type AdmissionRequest,
  admit,
  type CreateOutcome,
  checkIdempotencyKey,
  requestFingerprint,
} from "./admission";
import { setAuditActor } from "./audit-actor";
import { exportsChanged } from "./change-feed";
import { type FilterFile, type ParsedFilterFile, safeFileName } from "./filter-file";
import { DEFAULT_EXPORT_ORDERING, exportFilterSpec, exportOrderings } from "./filters";
import type { ExportLimits } from "./limits";
import {
  cancelActiveExport,
  insertExport,
  insertFilterKeys,
  selectExportsPage,
  selectUsernames,
  selectVisibleExport,
} from "./queries";
import { selectLatestExportsJson } from "./record-reads";
import { toExportDto } from "./serialize";
import { validateCreate } from "./validate-create";

export interface CreateExportOptions {
  limits: ExportLimits;
  /** Multipart `filter_file`: restricts the export to the records it names; needs `storage`. */
  filterFile?: FilterFile;
  storage?: Storage;
  idempotencyKey?: string;
}

/** The export to answer with, and how: `created` (201), `replayed` (201) or `in_flight` (200). */
export interface CreatedExport {
  export: ExportDto;
  outcome: CreateOutcome;
}

/**
 * SPEC §3: validated first (every problem at once), then admitted and inserted with the filter file's
 * identifiers in one transaction. The file is stored before, under the export's id, so the row is never
 * visible half made; a create that inserts nothing removes it, leaving nothing behind.
 */
export async function createExport(
  db: Db,
  actor: Actor,
  input: unknown,
  options: CreateExportOptions,
): Promise<CreatedExport> {
  const { limits, filterFile } = options;
  const {
    data,
    resource,
    filter,
    options: exportOptions,
  } = validateCreate(input, filterFile, limits.maxFilterFileIdentifiers);
  const values = { ...requestValues(actor, data, resource), options: exportOptions };
  const admission: AdmissionRequest = {
    fingerprint: requestFingerprint({ ...values, filterFile: filter ? filterFile?.content : undefined }),
    idempotencyKey: checkIdempotencyKey(options.idempotencyKey),
    maxActive: limits.maxActivePerUser,
    withFilterFile: filter !== undefined,
    maxFilterFiles: limits.maxFilterFilesPerUser,
  };
  const id = randomUUID();
  const upload = filter && filterFile ? await storeFilterFile(options.storage, id, filterFile) : undefined;
  try {
    const row = {
      ...values,
      id,
      idempotencyKey: admission.idempotencyKey,
      requestFingerprint: admission.fingerprint,
      ...(upload && filter ? { filterFile: upload.key, filterKeyField: filter.keyField } : {}),
    };
    const result = await db.transaction((tx) => admitAndInsert(tx, actor, admission, row, filter));
    if (result.outcome !== "created") await upload?.remove();
    // Committed: this process's cached lists are stale now, before the trigger's notification comes back.
    else exportsChanged(db);
    return { export: toExportDto(result.row), outcome: result.outcome };
  } catch (err) {
    await upload?.remove();
    throw err;
  }
}

/** The record's values as its user asked for it (also what its fingerprint is made of). */
function requestValues(actor: Actor, data: ReturnType<typeof validateCreate>["data"], resource: Resource) {
  return {
    requestPath: data.request_path.trim(),
    requestFields: data.request_fields,
    formatType: data.format_type,
    language: data.language,
    actionName: data.action_name ?? `export_${resource.key}`,
    viewset: resource.viewset,
    requestedBy: actor.id,
  };
}

/** Stores the original filter file under the export's id; `remove` undoes it (best effort). */
async function storeFilterFile(storage: Storage | undefined, id: string, file: FilterFile) {
  if (!storage) throw new Error("createExport: a filter file needs a storage");
  const key = keys.upload(id, safeFileName(file.name));
  const pending = await storage.create(key);
  try {
    pending.stream.write(file.content);
    await pending.commit();
  } catch (err) {
    await pending.abort();
    throw err;
  }
  return { key, remove: () => storage.removePrefix(keys.uploadPrefix(id)).catch(() => {}) };
}

/** Inside the create's transaction: the existing export to answer with, or the new one. */
async function admitAndInsert(
  tx: Tx,
  actor: Actor,
  admission: AdmissionRequest,
  row: typeof exports.$inferInsert,
  filter: ParsedFilterFile | undefined,
) {
  const existing = await admit(tx, actor, admission);
  if (existing) return existing;
  // The audit trail's `created` names who made it (the insert's trigger reads it).
  await setAuditActor(tx, actor.id);
  const inserted = await insertExport(tx, row);
  if (filter) await insertFilterKeys(tx, inserted.id, filter.identifiers());
  // Delivered when the transaction commits.
  await notifyRunnable(tx, inserted.id);
  return { row: inserted, outcome: "created" as const };
}

function listRequest(query: unknown) {
  const params = parseInput(listQueryInput, query);
  // Unknown parameters are ignored here, as the given (Django) API ignores them.
  const { where } = compileFilters(exportFilterSpec, params, {
    unknown: "ignore",
    reserved: PAGINATION_PARAMS,
  });
  return { where, page: parsePageRequest(params, exportOrderings, DEFAULT_EXPORT_ORDERING) };
}

/**
 * The dashboard's list (tRPC): the page, and the usernames of its owners (user id → username), which the
 * superusers' Owner column shows; a non-superuser's page is all their own.
 */
export async function listExports(
  db: Db,
  actor: Actor,
  query: unknown,
): Promise<Page<ExportDto> & { owners: Record<string, string> }> {
  const { where, page } = listRequest(query);
  const { rows, total } = await selectExportsPage(db, actor, where, page);
  const owners = await selectUsernames(db, [...new Set(rows.map((r) => r.requestedBy))]);
  return { items: rows.map(toExportDto), total, page: page.page, limit: page.limit, owners };
}

/**
 * listExports with the page's items as their JSON array (the REST list's body): the common request (no
 * filter, newest first) is one statement whose records PostgreSQL serialises (record-reads.ts).
 */
export async function listExportsJson(
  db: Db,
  actor: Actor,
  query: unknown,
): Promise<Omit<Page<never>, "items"> & { json: string }> {
  const { where, page } = listRequest(query);
  const { json, total } =
    where === undefined && page.ordering === DEFAULT_EXPORT_ORDERING
      ? await selectLatestExportsJson(db, actor, page.limit, page.offset)
      : await selectExportsPage(db, actor, where, page).then(({ rows, total }) => ({
          json: JSON.stringify(rows.map(toExportDto)),
          total,
        }));
  return { json, total, page: page.page, limit: page.limit };
}

/** SPEC §2.1, §2.8: an export the actor may see (a non-UUID id is not found), with what a download needs. */
export async function findExportRecord(db: Db, actor: Actor, id: string) {
  if (!isUuid(id)) throw notFound();
  const row = await selectVisibleExport(db, actor, id);
  if (!row) throw notFound();
  return row;
}

/** SPEC §2.1: the given retrieve. */
export async function findExport(db: Db, actor: Actor, id: string): Promise<ExportDto> {
  return toExportDto(await findExportRecord(db, actor, id));
}

export interface CancelDeps {
  /** Where the export's parts live: a cancelled export keeps none. */
  storage?: Storage;
}

/** SPEC §2.9, superusers only. One conditional UPDATE: a worker finishing meanwhile or the cancel wins. */
export async function cancelExport(
  db: Db,
  actor: Actor,
  id: string,
  deps: CancelDeps = {},
): Promise<ExportDto> {
  if (!actor.isSuperuser) throw forbidden();
  if (!isUuid(id)) throw notFound();
  // The audit trail's `cancelled` names who did it (the trigger reads the transaction's actor).
  const cancelled = await db.transaction(async (tx) => {
    await setAuditActor(tx, actor.id);
    return cancelActiveExport(tx, id, env().EXPORT_RETENTION_DAYS);
  });
  if (cancelled) {
    exportsChanged(db);
    // Best effort: a worker holding a page throws it away, and the retention sweep removes what is left.
    await deps.storage?.removePrefix(keys.partsPrefix(cancelled.id)).catch((err: Error) => {
      console.error(`[exports] cancel ${cancelled.id}: could not remove parts yet: ${err.message}`);
    });
    // A CSV export to S3 writes its pages into its result's upload (direct mode): aborted where the server can.
    if (cancelled.directKey && cancelled.directUpload) {
      await deps.storage?.direct?.abort({ key: cancelled.directKey, uploadId: cancelled.directUpload });
    }
    return toExportDto(cancelled);
  }
  const row = await findExportRecord(db, actor, id);
  if (row.status === "cancelled") return toExportDto(row);
  throw conflict(`Export is already ${row.status}.`);
}
