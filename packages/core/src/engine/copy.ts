import { type SQL, sql } from "drizzle-orm";
import { type AnyPgColumn, PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import type { ResourceField } from "../resources/types";
import { ByteWriter, type RowFields } from "./formats/bytes";
import type { DatetimeForm } from "./formats/cells";
import type { RowEncoder } from "./formats/types";

/**
 * Reading a page with `COPY (SELECT …) TO STDOUT`: PostgreSQL streams the rows as CSV text, the worker parses
 * them as they arrive and encodes each row into the part (CSV quoting and neutralisation, JSON, XLSX cells), so
 * nothing holds a page and PostgreSQL and the worker run side by side.
 */

const dialect = new PgDialect();

export class UnsupportedCopy extends Error {}

/**
 * A query as SQL text with its parameters inlined as literals, for COPY (which takes no bind parameters).
 * Strings (and dates) go through PostgreSQL's literal escaping (`pg.escapeLiteral`), numbers must be finite,
 * booleans and NULL are keywords; anything else is refused. Placeholders are replaced outside quoted strings
 * and identifiers only. Everywhere else the engine keeps bind parameters.
 */
export function inlineQuery(query: SQL): string {
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
 * What COPY prints for a field: the raw form the row encoders read (the same text node-postgres hands the
 * row-by-row path). Null when the column's type has no exact COPY form here; the page is then read row by row.
 */
export function copyProjection(
  field: ResourceField,
  datetime: DatetimeForm,
  booleans: "tf" | "words" = "tf",
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
      if (type !== "PgBoolean") return null;
      return booleans === "words"
        ? sql`case when ${col} then 'true' when not ${col} then 'false' end`
        : sql`${col}`;
    case "json":
      return JSON_COLUMNS.has(type) ? sql`${col}` : null;
    case "datetime": {
      if (type !== "PgTimestamp") return null;
      // node-postgres and drizzle read a timestamp to the millisecond: so does the file.
      const ms =
        col.precision !== undefined && col.precision <= 3
          ? sql`${col}`
          : sql`date_trunc('milliseconds', ${col})`;
      if (datetime === "serial") return sql`(date_part('epoch', ${ms}) / 86400 + 25569)`;
      // A timestamp without zone is read as UTC (as drizzle reads it).
      const utc = col.withTimezone ? sql`(${ms} at time zone 'UTC')` : ms;
      return sql`to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    }
  }
  return null;
}

const EMPTY = Buffer.alloc(0);

/**
 * Parses one row of PostgreSQL's COPY CSV output (`,` between fields, `"` quotes with `""` inside, NULL an
 * unquoted empty field, `\n` after the row) starting at `p`, into `row` (byte ranges of `src`). Returns the
 * index after the row's `\n`, or -1 when the row does not end before `len` (the rest has not arrived yet).
 */
export function parseRow(src: Buffer, p: number, len: number, row: RowFields): number {
  const { start, end, quoted } = row;
  const n = start.length;
  let q = p;
  let plain = true;
  for (let i = 0; i < n; i++) {
    if (q >= len) return -1;
    if (src[q] === 34) {
      plain = false;
      let k = q + 1;
      for (;;) {
        k = src.indexOf(34, k);
        if (k === -1 || k + 1 >= len) return -1;
        if (src[k + 1] === 34) {
          k += 2;
          continue;
        }
        break;
      }
      start[i] = q + 1;
      end[i] = k;
      quoted[i] = 1;
      q = k + 1;
    } else {
      let k = q;
      while (k < len) {
        const c = src[k];
        if (c === 44 || c === 10) break;
        k++;
      }
      if (k >= len) return -1;
      start[i] = q;
      end[i] = k;
      quoted[i] = 0;
      q = k;
    }
    if (src[q] !== (i === n - 1 ? 10 : 44)) throw new Error("unexpected COPY output");
    q++;
  }
  row.src = src;
  row.plain = plain;
  return q;
}

/**
 * A page's rows as they are parsed: each is encoded by the format's row encoder (a row it refuses is
 * skipped and counted). Column `idColumn` (by default the last, then not a field: not written) is the row's
 * id, the page's keyset cursor.
 */
export class PageRows {
  rows = 0;
  written = 0;
  failed = 0;
  lastId: number | null = null;
  readonly row: RowFields;

  constructor(
    columns: number,
    private readonly encode: RowEncoder,
    private readonly idColumn = columns - 1,
  ) {
    this.row = {
      src: EMPTY,
      start: new Int32Array(columns),
      end: new Int32Array(columns),
      quoted: new Uint8Array(columns),
      plain: true,
    };
  }

  /** Counts a row a `LineEncoder` wrote. */
  added(id: number) {
    this.rows++;
    this.written++;
    this.lastId = id;
  }

  /** Encodes the row `parseRow` just parsed into `out`. */
  add(out: ByteWriter) {
    const row = this.row;
    const { src, start, end } = row;
    const at = this.idColumn;
    this.rows++;
    let id = 0;
    for (let k = start[at] as number; k < (end[at] as number); k++) id = id * 10 + ((src[k] as number) - 48);
    this.lastId = id;
    // Relative to the unflushed start: the encoder may move the bytes to a larger buffer.
    const mark = out.pos - out.start;
    try {
      this.encode(row, out);
      this.written++;
    } catch {
      out.pos = out.start + mark;
      this.failed++;
    }
  }
}

/** Encodes COPY CSV text (rows of `columns` fields, the id last) in one go (the row-by-row path). */
export class CopyRowEncoder extends PageRows {
  encodeAll(data: Buffer): Buffer {
    const out = new ByteWriter(Math.max(1 << 16, data.length * 2));
    let p = 0;
    while (p < data.length) {
      const next = parseRow(data, p, data.length, this.row);
      if (next === -1) throw new Error("COPY output ended inside a row");
      this.add(out);
      p = next;
    }
    this.row.src = EMPTY;
    return out.flush();
  }
}

/** A raw value as COPY's CSV prints it (NULL empty, an empty string and specials quoted). */
function copyField(value: string | null): string {
  if (value === null) return "";
  if (value === "" || value === "\\." || /[",\r\n]/.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/** Rows of raw values → the bytes COPY would print for them (with a 0 id column), for `CopyRowEncoder`. */
export function copyLines(rows: readonly (readonly (string | null)[])[]): Buffer {
  let text = "";
  for (const values of rows) text += `${values.map(copyField).join(",")}${values.length ? "," : ""}0\n`;
  return Buffer.from(text, "utf8");
}
