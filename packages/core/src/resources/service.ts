import { asc, count, desc } from "drizzle-orm";
import type { Db } from "../db/client";
import { compileFilters, type QueryParams } from "../filters/grammar";
import { PAGINATION_PARAMS, type Page, parsePageRequest } from "../filters/pagination";
import { resourceByKey } from "./registry";
import { type RecordValue, selection, toApiRecord } from "./serialize";
import type { Resource } from "./types";

export function getResource(key: string): Resource {
  const resource = resourceByKey(key);
  if (!resource) throw new Error(`unknown resource ${key}`);
  return resource;
}

/**
 * A resource's list, in id order (`ordering=-id`: newest first). An unknown parameter is a 400: a mistyped
 * filter silently listing everything would make a wrong export.
 */
export async function listResource(
  db: Db,
  resource: Resource,
  params: QueryParams,
): Promise<Page<Record<string, RecordValue>>> {
  const { where } = compileFilters(resource.filterSpec, params, {
    unknown: "error",
    reserved: PAGINATION_PARAMS,
  });
  const pageRequest = parsePageRequest(
    params,
    { id: [asc(resource.idColumn)], "-id": [desc(resource.idColumn)] },
    "id",
  );
  const fields = resource.fields;
  const [rows, totals] = await Promise.all([
    db
      .select(selection(fields))
      .from(resource.table)
      .where(where)
      .orderBy(...pageRequest.orderBy)
      .limit(pageRequest.limit)
      .offset(pageRequest.offset),
    db.select({ n: count() }).from(resource.table).where(where),
  ]);
  return {
    items: rows.map((r) => toApiRecord(r, fields)),
    total: totals[0]?.n ?? 0,
    page: pageRequest.page,
    limit: pageRequest.limit,
  };
}
