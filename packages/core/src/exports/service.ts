import { randomUUID } from "node:crypto";
import { and, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import type { Db } from "../db/client";
import { preparedPerDb } from "../db/prepared";
import { type ExportRow, exportFilterKeys, exports } from "../db/schema";
import { notifyRunnable } from "../engine/notify";
import { env } from "../env";
import { conflict, DomainError, FieldErrorCollector, forbidden, notFound } from "../errors";
import { compileFilters } from "../filters/grammar";
import { PAGINATION_PARAMS, type Page, parsePageRequest } from "../filters/pagination";
import { isUuid } from "../filters/values";
import { resolveRequestPath } from "../resources/request-path";
import type { Resource } from "../resources/types";
import { keys, type Storage } from "../storage";
import { parseInput, zodFieldErrors } from "../validation";
import { admit, type CreateOutcome, checkIdempotencyKey, requestFingerprint } from "./admission";
import { exportsChanged } from "./change-feed";
import {
  checkFilterFile,
  decodeFilterFile,
  type FilterFile,
  type FilterFileOptions,
  type ParsedFilterFile,
  safeFileName,
} from "./filter-file";
import { DEFAULT_EXPORT_ORDERING, exportFilterSpec, exportOrderings } from "./filters";
import { createExportInput, type ExportDto, listQueryInput } from "./schemas";
import { exportRecordColumns, toExportDto } from "./serialize";
import { ACTIVE_STATUSES } from "./states";

/** SPEC §2.8: a non-superuser sees only their own exports. */
function visibleTo(actor: Actor): SQL | undefined {
  return actor.isSuperuser ? undefined : eq(exports.requestedBy, actor.id);
}

/**
 * Validates everything before answering, so a client sees every problem at once, in one 400: the body's
 * shape (shared zod schema), the request path (a registered list with valid filters), the fields (known to
 * that list, no repeats) and the filter file (its content, read by the resource's key fields; without a
 * resource, at least its size and encoding). Each check runs whatever the others found (a bad format_type
 * does not hide an unknown field).
 *
 * The one dependency: fields and the filter file's key column belong to a resource, so while the request path
 * names none (missing, unknown, a URL, a bad filter) the path's error alone speaks for the fields; they are
 * not reported as unknown to a list nobody named.
 */
function validateCreate(input: unknown, filterFile: FilterFile | undefined, fileOptions: FilterFileOptions) {
  const errors = new FieldErrorCollector();
  const parsed = createExportInput.safeParse(input);
  if (!parsed.success) {
    for (const [field, list] of Object.entries(zodFieldErrors(parsed.error)))
      for (const m of list) errors.add(field, m);
  }
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  let resource: Resource | undefined;
  if (typeof raw.request_path === "string" && !errors.errors.request_path) {
    try {
      resource = resolveRequestPath(raw.request_path).resource;
    } catch (err) {
      if (!(err instanceof DomainError && err.fields)) throw err;
      for (const m of err.fields.request_path ?? []) errors.add("request_path", m);
    }
  }
  // The fields' own shape (a list of strings, at most 100) is the schema's; their names are checked whenever
  // that shape is right, whatever else the body got wrong.
  const fields = createExportInput.shape.request_fields.safeParse(raw.request_fields);
  if (resource && fields.success) {
    const names = new Set(resource.fields.map((f) => f.name));
    const seen = new Set<string>();
    for (const field of fields.data) {
      if (!names.has(field)) {
        errors.add(
          "request_fields",
          `Unknown field "${field}". Fields of ${resource.path}: ${[...names].join(", ")}.`,
        );
      } else if (seen.has(field))
        errors.add("request_fields", `Field "${field}" is requested more than once.`);
      seen.add(field);
    }
  }
  let filter: ParsedFilterFile | undefined;
  if (filterFile && resource) {
    const check = checkFilterFile(resource, filterFile.content, fileOptions);
    if (check.ok) filter = check.value;
    else for (const m of check.errors) errors.add("filter_file", m);
  } else if (filterFile) {
    // Without a resource there are no key fields to read the file by; its size and encoding still count.
    const check = decodeFilterFile(filterFile.content);
    if (!check.ok) for (const m of check.errors) errors.add("filter_file", m);
  }
  errors.throwIfAny();
  if (!parsed.success || !resource) throw new Error("validated input without a resource");
  if (filterFile && !filter) throw new Error("validated input without its filter file");
  return { data: parsed.data, resource, filter };
}

/** Identifiers per INSERT: one array parameter each (`unnest`), so a million take a few statements. */
const FILTER_KEYS_CHUNK = 50_000;

export interface CreateExportOptions {
  /** The uploaded filter file (multipart `filter_file`): restricts the export to the records it names. */
  filterFile?: FilterFile;
  /** Where the filter file is kept; required with a filter file. */
  storage?: Storage;
  /** The request's `Idempotency-Key` header. */
  idempotencyKey?: string;
  /** Limit of unfinished exports per user (default MAX_ACTIVE_EXPORTS_PER_USER). */
  maxActivePerUser?: number;
  /** Limit of stored filter files per user (default MAX_FILTER_FILES_PER_USER). */
  maxFilterFilesPerUser?: number;
}

/**
 * Creates an export (SPEC §3): everything is validated first (all problems at once), then the export and
 * its filter file's identifiers are inserted in one transaction, and workers are notified.
 *
 * With a filter file, the original is stored first, under the export's id (generated here), and the
 * transaction then inserts the row with `filter_file` already pointing at it: the export is never visible
 * half made, and if the transaction fails the stored file is removed, so a refused or failed create leaves
 * nothing behind (no row, no identifiers, no file).
 */
export async function createExport(
  db: Db,
  actor: Actor,
  input: unknown,
  options: CreateExportOptions = {},
): Promise<ExportDto> {
  return (await createExportWithOutcome(db, actor, input, options)).export;
}

/**
 * A prepared statement in the two shapes SPEC §2.8 visibility gives it: everyone's rows (superusers) and the
 * owner's (`visible` is `requested_by = :owner`). Executed with `owner` always given; the first shape ignores it.
 */
function preparedByVisibility<T>(name: string, build: (db: Db, visible: SQL | undefined, name: string) => T) {
  const everyone = preparedPerDb((db) => build(db, undefined, name));
  const own = preparedPerDb((db) =>
    build(db, eq(exports.requestedBy, sql.placeholder("owner")), `${name}_own`),
  );
  return (db: Db, actor: Actor) => (actor.isSuperuser ? everyone(db) : own(db));
}

/** The unfiltered list, newest first, and its count. */
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

/** createExport, also telling whether the export was created, replayed (Idempotency-Key) or in flight. */
export async function createExportWithOutcome(
  db: Db,
  actor: Actor,
  input: unknown,
  options: CreateExportOptions = {},
): Promise<{ export: ExportDto; outcome: CreateOutcome }> {
  const { data, resource, filter } = validateCreate(input, options.filterFile, {
    maxIdentifiers: env().FILTER_FILE_MAX_IDENTIFIERS,
  });
  const idempotencyKey = checkIdempotencyKey(options.idempotencyKey);
  const values = {
    requestPath: data.request_path.trim(),
    requestFields: data.request_fields,
    formatType: data.format_type,
    language: data.language,
    actionName: data.action_name ?? `export_${resource.key}`,
    viewset: resource.viewset,
    requestedBy: actor.id,
  };
  const fingerprint = requestFingerprint({
    ...values,
    filterFile: filter ? options.filterFile?.content : undefined,
  });
  const admission = {
    fingerprint,
    idempotencyKey,
    maxActive: options.maxActivePerUser ?? env().MAX_ACTIVE_EXPORTS_PER_USER,
    withFilterFile: filter !== undefined,
    maxFilterFiles: options.maxFilterFilesPerUser ?? env().MAX_FILTER_FILES_PER_USER,
  };
  const id = randomUUID();
  let uploadKey: string | null = null;
  if (filter && options.filterFile) {
    const storage = options.storage;
    if (!storage) throw new Error("createExport: a filter file needs a storage");
    uploadKey = keys.upload(id, safeFileName(options.filterFile.name));
    const file = await storage.create(uploadKey);
    try {
      file.stream.write(options.filterFile.content);
      await file.commit();
    } catch (err) {
      await file.abort();
      throw err;
    }
  }
  const removeUpload = async () => {
    if (uploadKey) await options.storage?.removePrefix(keys.uploadPrefix(id)).catch(() => {});
  };
  try {
    const result = await db.transaction(async (tx) => {
      const existing = await admit(tx, actor, admission);
      if (existing) return existing;
      const [inserted] = await tx
        .insert(exports)
        .values({
          ...values,
          id,
          idempotencyKey,
          requestFingerprint: fingerprint,
          ...(filter && uploadKey ? { filterFile: uploadKey, filterKeyField: filter.keyField } : {}),
        })
        .returning();
      if (!inserted) throw new Error("insert returned no row");
      // The file is read again as it is inserted, a chunk at a time; a repeated identifier is stored once.
      const insertKeys = (chunk: string[]) =>
        tx.execute(
          sql`insert into ${exportFilterKeys} (export_id, value) select ${id}, unnest(${sql.param(chunk)}::text[]) on conflict do nothing`,
        );
      let chunk: string[] = [];
      for (const value of filter?.identifiers() ?? []) {
        chunk.push(value);
        if (chunk.length < FILTER_KEYS_CHUNK) continue;
        await insertKeys(chunk);
        chunk = [];
      }
      if (chunk.length > 0) await insertKeys(chunk);
      // Delivered when the transaction commits.
      await notifyRunnable(tx, inserted.id);
      return { row: inserted, outcome: "created" as const };
    });
    if (result.outcome !== "created") await removeUpload();
    // Committed: this process's cached lists are stale now, before the trigger's notification comes back.
    else exportsChanged(db);
    return { export: toExportDto(result.row), outcome: result.outcome };
  } catch (err) {
    await removeUpload();
    throw err;
  }
}

export async function listExports(db: Db, actor: Actor, query: unknown): Promise<Page<ExportDto>> {
  const params = parseInput(listQueryInput, query);
  // Unknown parameters are ignored here, as the given (Django) API ignores them.
  const { where } = compileFilters(exportFilterSpec, params, {
    unknown: "ignore",
    reserved: PAGINATION_PARAMS,
  });
  const pageRequest = parsePageRequest(params, exportOrderings, DEFAULT_EXPORT_ORDERING);
  // The common request — no filter, the default order — runs prepared statements; any other is built.
  const [rows, totals] =
    where === undefined && pageRequest.ordering === DEFAULT_EXPORT_ORDERING
      ? await Promise.all([
          latestExports(db, actor).execute({
            owner: actor.id,
            limit: pageRequest.limit,
            offset: pageRequest.offset,
          }),
          countExports(db, actor).execute({ owner: actor.id }),
        ])
      : await Promise.all([
          db
            .select(exportRecordColumns)
            .from(exports)
            .where(and(visibleTo(actor), where))
            .orderBy(...pageRequest.orderBy)
            .limit(pageRequest.limit)
            .offset(pageRequest.offset),
          db
            .select({ n: count() })
            .from(exports)
            .where(and(visibleTo(actor), where)),
        ]);
  return {
    items: rows.map(toExportDto),
    total: totals[0]?.n ?? 0,
    page: pageRequest.page,
    limit: pageRequest.limit,
  };
}

/** The retrieve (prepared: the given API's hottest path). */
const exportRecordById = preparedByVisibility("export_by_id", (db, visible, name) =>
  db
    .select(exportRecordColumns)
    .from(exports)
    .where(and(eq(exports.id, sql.placeholder("id")), visible))
    .limit(1)
    .prepare(name),
);

/** An export the actor may see (SPEC §2.1, §2.8): a non-UUID or another user's export is not found. */
export async function findVisible(db: Db, actor: Actor, id: string): Promise<ExportRow> {
  // SPEC §2.1: a path id that is not a UUID is simply not found.
  if (!isUuid(id)) throw notFound();
  const rows = await db
    .select()
    .from(exports)
    .where(and(eq(exports.id, id), visibleTo(actor)))
    .limit(1);
  const row = rows[0];
  if (!row) throw notFound();
  return row;
}

/** SPEC §2.1: the given retrieve (prepared, the record's columns only). */
export async function getExport(db: Db, actor: Actor, id: string): Promise<ExportDto> {
  if (!isUuid(id)) throw notFound();
  const rows = await exportRecordById(db, actor).execute({ id, owner: actor.id });
  const row = rows[0];
  if (!row) throw notFound();
  return toExportDto(row);
}

export interface CancelDeps {
  /** Where the export's parts live: a cancelled export keeps none. */
  storage?: Storage;
}

/**
 * SPEC §2.9. Superusers only (checked before the lookup). The transition is one conditional UPDATE, so a
 * worker finishing at the same moment and this cancel resolve in the database: exactly one wins.
 */
export async function cancelExport(
  db: Db,
  actor: Actor,
  id: string,
  deps: CancelDeps = {},
): Promise<ExportDto> {
  if (!actor.isSuperuser) throw forbidden();
  if (!isUuid(id)) throw notFound();
  const [cancelled] = await db
    .update(exports)
    // A cancelled export expires as a finished one does: the retention sweep then deletes what it owns.
    .set({
      status: "cancelled",
      uploadedParts: [],
      finishedAt: sql`now()`,
      expiresAt: sql`now() + ${env().EXPORT_RETENTION_DAYS * 86_400_000} * interval '1 millisecond'`,
    })
    .where(and(eq(exports.id, id), inArray(exports.status, ACTIVE_STATUSES)))
    .returning();
  if (cancelled) {
    exportsChanged(db);
    // A worker holding a page finds its guarded update matching nothing and throws the page away too.
    // The cancel has happened; removing the files is best effort here (a worker that loses its page and the
    // retention sweep remove whatever is left), never a reason to report the cancel as failed.
    await deps.storage?.removePrefix(keys.partsPrefix(cancelled.id)).catch((err: Error) => {
      console.error(`[exports] cancel ${cancelled.id}: could not remove parts yet: ${err.message}`);
    });
    return toExportDto(cancelled);
  }
  const row = await findVisible(db, actor, id);
  if (row.status === "cancelled") return toExportDto(row);
  throw conflict(`Export is already ${row.status}.`);
}
