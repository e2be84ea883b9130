import type { Actor } from "../auth/actor";
import { type Access, assertAccess } from "../auth/scopes";
import {
  actorOfTokenRow,
  authenticateToken,
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
 * The reads every REST request makes, each one statement run without the ORM (db/statement.ts), the record
 * serialised by PostgreSQL: the retrieve with its token lookup folded in, and the default list page with its
 * total. BENCHMARKS.md ("REST at the bare server's speed") has what each round trip, ORM step and serialising
 * in node cost.
 *
 * `row_to_json` writes what `JSON.stringify(toExportDto(row))` writes, byte for byte: the fields in the
 * contract's order, no spaces, integers as numbers, text[] as arrays of strings, NULL as null, strings escaped
 * alike (`\"`, `\\`, `\b\f\n\r\t`, other control characters as lowercase `\u00XX`, nothing else; PostgreSQL's
 * UTF-8 text has no lone surrogates). test/record-reads.test.ts holds them to it.
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
  "template",
  "options",
] as const satisfies readonly (keyof ExportDto)[];

/** A field whose column has another name. */
const COLUMN_OF: Partial<Record<(typeof RECORD_FIELDS)[number], string>> = { template: "template_id" };
const column = (f: (typeof RECORD_FIELDS)[number]) => COLUMN_OF[f] ?? f;

/** The record's columns of the `exports` row `alias`, named as its fields; timestamps as toISOString() writes them. */
const recordColumns = (alias: string, table = false) =>
  RECORD_FIELDS.map((f) =>
    f === "created_date" || f === "modified_date"
      ? `${isoTimestampText(`${alias}.${f}`)} as ${f}`
      : `${alias}.${table ? column(f) : f} as ${f}`,
  ).join(", ");

/** The token's actor and, when that actor may see it (SPEC §2.8), the export's JSON: one round trip. */
const exportForToken = namedStatement<TokenActorRow & { record: string | null }>(
  "rest_export_for_token",
  `select ${TOKEN_ACTOR_COLUMNS}, x.record from ${TOKEN_ACTOR_FROM}
   left join lateral (select row_to_json(r)::text as record from (select ${recordColumns("e", true)} from exports e
     where e.id = $2::uuid and (u.is_superuser or e.requested_by = u.id)) r) x on true
   where t.key_hash = $1 limit 1`,
);

/**
 * SPEC §2.1 behind token authentication: the actor of an `Authorization: Token` header and, as JSON, the export
 * it may see, in one statement. As authenticateHeader then findExport: 401 first (an unknown, revoked or
 * expired key), then 403 (the key lacks what the route declares it `need`s), then 404.
 */
export async function findExportJsonForToken(
  db: Db,
  authorization: string | null | undefined,
  id: string,
  need: Access,
): Promise<{ actor: Actor; json: string }> {
  if (!isUuid(id)) {
    assertAccess({ via: "token", scopes: (await authenticateToken(db, authorization)).scopes }, need);
    throw notFound();
  }
  const keyHash = tokenKeyHashOf(authorization);
  const row = (await exportForToken(db, [keyHash, id]))[0];
  const actor = await actorOfTokenRow(db, keyHash, row, need);
  if (!row || row.record === null) throw notFound();
  return { actor, json: row.record };
}

/**
 * The default list page (newest first, as exportOrderings' `-created_date`) and the total, for everyone's
 * exports (superusers) or an owner's: one row per record (its JSON and the total); a single row with a null
 * record when the page is empty. The records are serialised per row after the LIMIT, so only the page's are.
 */
const pageOf = (name: string, visible: string) =>
  namedStatement<{ total: string; record: string | null }>(
    name,
    `select c.total, p.record from (select count(*) as total from exports e ${visible}) c
     left join lateral (
       select row_to_json(r)::text as record, o.created_date, o.id
       from (select ${RECORD_FIELDS.map((f) => `e.${column(f)} as ${f}`).join(", ")} from exports e ${visible}
         order by e.created_date desc nulls last, e.id desc nulls last limit $1 offset $2) o
       cross join lateral (select ${recordColumns("o")}) r
     ) p on true
     order by p.created_date desc nulls last, p.id desc nulls last`,
  );
const everyonesPage = pageOf("rest_exports_page", "");
const ownPage = pageOf("rest_exports_page_own", "where e.requested_by = $3");

/** The default ordering's page of what the actor may see as a JSON array, and the total. */
export async function selectLatestExportsJson(
  db: Db,
  actor: Actor,
  limit: number,
  offset: number,
): Promise<{ json: string; total: number }> {
  const rows = actor.isSuperuser
    ? await everyonesPage(db, [limit, offset])
    : await ownPage(db, [limit, offset, actor.id]);
  const records: string[] = [];
  for (const row of rows) if (row.record !== null) records.push(row.record);
  return { json: `[${records.join(",")}]`, total: Number(rows[0]?.total ?? 0) };
}
