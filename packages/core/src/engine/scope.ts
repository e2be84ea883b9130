import { and, inArray, type SQL, sql } from "drizzle-orm";
import { type ExportRow, exportFilterKeys } from "../db/schema";
import { resolveRequestPath } from "../resources/request-path";
import { fieldsByName } from "../resources/serialize";
import type { Resource, ResourceField } from "../resources/types";

export interface ExportScope {
  resource: Resource;
  fields: ResourceField[];
  /** The records the export captures: the request path's filters, and the filter file's identifiers. */
  where: SQL | undefined;
}

/** What an export reads, derived from its row (the same resolution the create call validated). */
export function exportScope(row: ExportRow): ExportScope {
  const { resource, filters } = resolveRequestPath(row.requestPath);
  const names = row.columns ?? (row.requestFields.length ? row.requestFields : resource.defaultFields);
  const fields = fieldsByName(resource, names);
  let fileFilter: SQL | undefined;
  if (row.filterKeyField) {
    const keyField = fieldsByName(resource, [row.filterKeyField])[0];
    if (!keyField) throw new Error(`unknown filter key field ${row.filterKeyField}`);
    const cast =
      keyField.type === "integer" ? sql`${exportFilterKeys.value}::int` : sql`${exportFilterKeys.value}`;
    fileFilter = inArray(
      keyField.column,
      sql`(select ${cast} from ${exportFilterKeys} where ${exportFilterKeys.exportId} = ${row.id})`,
    );
  }
  return { resource, fields, where: and(filters.where, fileFilter) };
}
