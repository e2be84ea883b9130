import type { Actor } from "../auth/actor";
import {
  actorOfTokenRow,
  authenticateHeader,
  TOKEN_ACTOR_COLUMNS,
  TOKEN_ACTOR_FROM,
  type TokenActorRow,
  tokenKeyHashOf,
} from "../auth/token-actor";
import type { ExportDto } from "../contract";
import type { Db } from "../db/client";
import { namedStatement } from "../db/statement";
import { notFound } from "../errors";
import { isUuid } from "../filters/values";
import { isoTimestampText } from "./serialize";

/**
 * The reads every REST request makes, each one statement run without the ORM (db/statement.ts): the retrieve
 * with its token lookup folded in, and the default list page with its total. BENCHMARKS.md, "REST at the bare
 * server's speed", has what each round trip and ORM step cost.
 */

/** The Export record's fields, in the contract's order; each is the `exports` column of the same name. */
const RECORD_FIELDS = [
  "id",
  "action_name",
  "collected_count",
  "error_message",
  "fail_count",
  "filter_file",
  "format_type",
  "language",
  "last_instance_id",
  "page",
  "request_fields",
  "request_path",
  "requested_by",
  "result_file",
  "total_count",
  "status",
  "uploaded_parts",
  "viewset",
  "created_date",
  "modified_date",
] as const satisfies readonly (keyof ExportDto)[];

/** The record's columns of `exports e`, named as its fields; the timestamps as `toISOString()` writes them. */
export const RECORD_COLUMNS = RECORD_FIELDS.map((f) =>
  f === "created_date" || f === "modified_date" ? `${isoTimestampText(`e.${f}`)} as ${f}` : `e.${f}`,
).join(", ");

/** A row of RECORD_COLUMNS (node-postgres parsed its integers and arrays) → the record, fields in order. */
export function recordOfRow(r: ExportDto): ExportDto {
  return {
    id: r.id,
    action_name: r.action_name,
    collected_count: r.collected_count,
    error_message: r.error_message,
    fail_count: r.fail_count,
    filter_file: r.filter_file,
    format_type: r.format_type,
    language: r.language,
    last_instance_id: r.last_instance_id,
    page: r.page,
    request_fields: r.request_fields,
    request_path: r.request_path,
    requested_by: r.requested_by,
    result_file: r.result_file,
    total_count: r.total_count,
    status: r.status,
    uploaded_parts: r.uploaded_parts,
    viewset: r.viewset,
    created_date: r.created_date,
    modified_date: r.modified_date,
  };
}

/** The token's actor and, when that actor may see it (SPEC §2.8), the export: one round trip. */
const exportForToken = namedStatement<TokenActorRow & (ExportDto | Record<keyof ExportDto, null>)>(
  "rest_export_for_token",
  `select ${TOKEN_ACTOR_COLUMNS}, ${RECORD_COLUMNS} from ${TOKEN_ACTOR_FROM}
   left join exports e on e.id = $2::uuid and (u.is_superuser or e.requested_by = u.id)
   where t.key_hash = $1 limit 1`,
);

/**
 * SPEC §2.1 behind token authentication: the actor of an `Authorization: Token` header and the export it
 * may see, in one statement. As authenticateHeader then findExport: 401 first, then 404.
 */
export async function findExportForToken(
  db: Db,
  authorization: string | null | undefined,
  id: string,
): Promise<{ actor: Actor; record: ExportDto }> {
  if (!isUuid(id)) {
    await authenticateHeader(db, authorization);
    throw notFound();
  }
  const keyHash = tokenKeyHashOf(authorization);
  const row = (await exportForToken(db, [keyHash, id]))[0];
  const actor = await actorOfTokenRow(db, keyHash, row);
  if (!row || row.id === null) throw notFound();
  return { actor, record: recordOfRow(row) };
}

/**
 * The default list page (newest first, as exportOrderings' `-created_date`) and the total, for everyone's
 * exports (superusers) or an owner's: one row per record, each with the total; a single row of nulls but the
 * total when the page is empty.
 */
const pageOf = (name: string, visible: string) =>
  namedStatement<{ total: string } & (ExportDto | Record<keyof ExportDto, null>)>(
    name,
    `select c.total, ${RECORD_FIELDS.map((f) => `p.${f}`).join(", ")}
     from (select count(*) as total from exports e ${visible}) c
     left join lateral (select ${RECORD_COLUMNS}, e.created_date as sort_date, e.id as sort_id from exports e
       ${visible} order by e.created_date desc nulls last, e.id desc nulls last limit $1 offset $2) p on true
     order by p.sort_date desc nulls last, p.sort_id desc nulls last`,
  );
const everyonesPage = pageOf("rest_exports_page", "");
const ownPage = pageOf("rest_exports_page_own", "where e.requested_by = $3");

/** The default ordering's page (exportOrderings' `-created_date`) of what the actor may see, and the total. */
export async function selectLatestExports(
  db: Db,
  actor: Actor,
  limit: number,
  offset: number,
): Promise<{ items: ExportDto[]; total: number }> {
  const rows = actor.isSuperuser
    ? await everyonesPage(db, [limit, offset])
    : await ownPage(db, [limit, offset, actor.id]);
  const items: ExportDto[] = [];
  for (const row of rows) if (row.id !== null) items.push(recordOfRow(row));
  return { items, total: Number(rows[0]?.total ?? 0) };
}
