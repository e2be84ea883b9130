import { type SQL, sql } from "drizzle-orm";
import { type AnyPgColumn, PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import type { ExportRow } from "../../db/schema";
import type { ResourceField } from "../../resources/types";
import { writerOf } from "../formats";
import type { DatetimeForm } from "../formats/cells";
import type { ExportScope } from "../scope";

/**
 * A page's plan: the id index read in order, stopped after the page. Without statistics (a table just
 * bulk-loaded) the planner prefers a bitmap scan of the whole remaining id range plus a sort on every page,
 * which grows with the square of the table (1,000,000 unanalyzed products: a CSV export took 6 s, not 2 s).
 * With sorting discouraged only the in-order index scan is left. SET LOCAL: the page's (or run's) transaction.
 */
export const PAGE_PLAN_SETTINGS = "set local enable_sort = off";

const dialect = new PgDialect();

class UnsupportedCopy extends Error {}

/**
 * A query with its parameters inlined as literals, for COPY (which takes no bind parameters): strings and dates
 * through `pg.escapeLiteral`, finite numbers, booleans, NULL; anything else is refused. Placeholders are
 * replaced outside quoted strings and identifiers only.
 */
function inlineQuery(query: SQL): string {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const literal = (value: unknown): string => {
    if (value === null || value === undefined) return "NULL";
    if (typeof value === "string") return pg.escapeLiteral(value);
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new UnsupportedCopy(`cannot inline the number ${value}`);
      return value < 0 || Object.is(value, -0) ? `(${value})` : String(value);
    }
    if (typeof value === "bigint") return value < 0n ? `(${value})` : String(value);
    if (typeof value === "boolean") return value ? "true" : "false";
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new UnsupportedCopy("cannot inline an invalid date");
      return pg.escapeLiteral(value.toISOString());
    }
    throw new UnsupportedCopy(`cannot inline a parameter of type ${typeof value}`);
  };
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      // A quoted literal or identifier: copied as it is (a doubled quote stays inside).
      let j = i + 1;
      for (;;) {
        const k = text.indexOf(c, j);
        if (k === -1) throw new UnsupportedCopy("unterminated quote in SQL");
        if (text[k + 1] === c) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      out += text.slice(i, j);
      i = j;
    } else if (c === "$" && /[0-9]/.test(text[i + 1] ?? "")) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j] ?? "")) j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > params.length) throw new UnsupportedCopy(`no parameter $${n}`);
      out += literal(params[n - 1]);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const INTEGER_COLUMNS = new Set(["PgInteger", "PgSerial", "PgSmallInt", "PgSmallSerial"]);
const TEXT_COLUMNS = new Set(["PgText", "PgVarchar", "PgChar", "PgUUID", "PgEnumColumn"]);
const JSON_COLUMNS = new Set(["PgJsonb", "PgJson"]);

/**
 * What COPY prints for a field: the raw form the row encoders read (the text node-postgres hands the
 * row-by-row path). Null when the column's type has no exact COPY form; the page is then read row by row.
 */
export function copyProjection(
  field: ResourceField,
  datetime: DatetimeForm,
  zone: string | null = null,
): SQL | null {
  const col = field.column as AnyPgColumn & { withTimezone?: boolean; precision?: number };
  const type = col.columnType;
  switch (field.type) {
    case "integer":
      return INTEGER_COLUMNS.has(type) ? sql`${col}` : null;
    case "decimal":
      return type === "PgNumeric" ? sql`${col}` : null;
    case "text":
      return TEXT_COLUMNS.has(type) ? sql`${col}` : null;
    case "boolean":
      // `t`/`f`, which every encoder writes in its format's form: a CASE to the words here cost the server
      // ~90 ms per 1M rows (BENCHMARKS.md, "Issues 14 and 15: every target held", changes 4 and 5).
      return type === "PgBoolean" ? sql`${col}` : null;
    case "json":
      return JSON_COLUMNS.has(type) ? sql`${col}` : null;
    case "datetime": {
      if (type !== "PgTimestamp") return null;
      // node-postgres and drizzle read a timestamp to the millisecond: so does the file.
      const ms =
        col.precision !== undefined && col.precision <= 3
          ? sql`${col}`
          : sql`date_trunc('milliseconds', ${col})`;
      if (zone !== null) {
        // In a zone (an export option): as a timestamp with zone, which COPY prints with its offset under the
        // run's `set local timezone`; as serial days, its wall clock there.
        const instant = col.withTimezone ? ms : sql`(${ms} at time zone 'UTC')`;
        if (datetime === "serial")
          return sql`(date_part('epoch', ${instant} at time zone ${zone}) / 86400 + 25569)`;
        return instant;
      }
      if (datetime === "serial") return sql`(date_part('epoch', ${ms}) / 86400 + 25569)`;
      // A timestamp without zone is read as UTC (as drizzle reads it); one with a zone prints in UTC (`+00`) under
      // the run's DATETIME_TEXT_SETTINGS. Either text is made ISO 8601 by the row encoders (`isoDatetime`):
      // `to_char` here cost the server ~0.45 s per 1M values, `at time zone 'UTC'` ~40 ms (BENCHMARKS.md).
      return ms;
    }
  }
  return null;
}

/** The keyset SELECT of a run, its column count, and the id's (the cursor's) column. */
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
  const writer = writerOf(row);
  const projections = scope.fields.map((f) => copyProjection(f, writer.datetime, writer.zone ?? null));
  if (projections.some((p) => p === null)) return null;
  const idColumn = scope.resource.idColumn;
  // The cursor: a selected integer id field, else the id as one more column at the end.
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
