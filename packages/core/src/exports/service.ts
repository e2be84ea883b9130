import { and, count, eq, inArray, type SQL } from "drizzle-orm";
import type { Actor } from "../auth/actor";
import type { Db } from "../db/client";
import { type ExportRow, exports } from "../db/schema";
import { notifyRunnable } from "../engine/notify";
import { conflict, DomainError, FieldErrorCollector, forbidden, notFound } from "../errors";
import { compileFilters } from "../filters/grammar";
import { PAGINATION_PARAMS, type Page, parsePageRequest } from "../filters/pagination";
import { isUuid } from "../filters/values";
import { resolveRequestPath } from "../resources/request-path";
import type { Resource } from "../resources/types";
import { keys, type Storage } from "../storage";
import { parseInput, zodFieldErrors } from "../validation";
import { DEFAULT_EXPORT_ORDERING, exportFilterSpec, exportOrderings } from "./filters";
import { createExportInput, type ExportDto, listQueryInput } from "./schemas";
import { toExportDto } from "./serialize";
import { ACTIVE_STATUSES } from "./states";

/** SPEC §2.8: a non-superuser sees only their own exports. */
function visibleTo(actor: Actor): SQL | undefined {
  return actor.isSuperuser ? undefined : eq(exports.requestedBy, actor.id);
}

/**
 * Validates everything before answering, so a client sees every problem at once: the body's shape
 * (shared zod schema), the request path (a registered list with valid filters) and the fields (known to
 * that list, no repeats).
 */
function validateCreate(input: unknown) {
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
  if (resource && parsed.success) {
    const names = new Set(resource.fields.map((f) => f.name));
    const seen = new Set<string>();
    for (const field of parsed.data.request_fields) {
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
  errors.throwIfAny();
  if (!parsed.success || !resource) throw new Error("validated input without a resource");
  return { data: parsed.data, resource };
}

export async function createExport(db: Db, actor: Actor, input: unknown): Promise<ExportDto> {
  const { data, resource } = validateCreate(input);
  const [row] = await db
    .insert(exports)
    .values({
      requestPath: data.request_path.trim(),
      requestFields: data.request_fields,
      formatType: data.format_type,
      language: data.language,
      actionName: data.action_name ?? `export_${resource.key}`,
      viewset: resource.viewset,
      requestedBy: actor.id,
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  await notifyRunnable(db, row.id);
  return toExportDto(row);
}

export async function listExports(db: Db, actor: Actor, query: unknown): Promise<Page<ExportDto>> {
  const params = parseInput(listQueryInput, query);
  // Unknown parameters are ignored here, as the given (Django) API ignores them.
  const { where } = compileFilters(exportFilterSpec, params, {
    unknown: "ignore",
    reserved: PAGINATION_PARAMS,
  });
  const pageRequest = parsePageRequest(params, exportOrderings, DEFAULT_EXPORT_ORDERING);
  const condition = and(visibleTo(actor), where);
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(exports)
      .where(condition)
      .orderBy(...pageRequest.orderBy)
      .limit(pageRequest.limit)
      .offset(pageRequest.offset),
    db.select({ n: count() }).from(exports).where(condition),
  ]);
  return {
    items: rows.map(toExportDto),
    total: totals[0]?.n ?? 0,
    page: pageRequest.page,
    limit: pageRequest.limit,
  };
}

async function findVisible(db: Db, actor: Actor, id: string): Promise<ExportRow> {
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

export async function getExport(db: Db, actor: Actor, id: string): Promise<ExportDto> {
  return toExportDto(await findVisible(db, actor, id));
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
    .set({ status: "cancelled", uploadedParts: [] })
    .where(and(eq(exports.id, id), inArray(exports.status, ACTIVE_STATUSES)))
    .returning();
  if (cancelled) {
    // A worker holding a page finds its guarded update matching nothing and throws the page away too.
    await deps.storage?.removePrefix(keys.partsPrefix(cancelled.id));
    return toExportDto(cancelled);
  }
  const row = await findVisible(db, actor, id);
  if (row.status === "cancelled") return toExportDto(row);
  throw conflict(`Export is already ${row.status}.`);
}
