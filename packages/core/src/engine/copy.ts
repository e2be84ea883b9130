import { Transform, type TransformCallback } from "node:stream";
import { type SQL, sql } from "drizzle-orm";
import { type AnyPgColumn, PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import type { ResourceField } from "../resources/types";
import { ByteWriter, type RowFields } from "./formats/bytes";
import type { DatetimeForm } from "./formats/cells";
import type { RowEncoder } from "./formats/types";

/**
 * Reading a page with `COPY (SELECT …) TO STDOUT`: PostgreSQL streams the rows as CSV text, the worker parses
 * them as they arrive and encodes each row into the part (neutralisation, quoting, JSON, XLSX cells), so
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
 * Parses PostgreSQL's COPY CSV output (`,` between fields, `"` quotes with `""` inside, NULL an unquoted empty
 * field, `\n` after each row) into rows of `columns` fields, byte ranges of the input, and encodes each row
 * into the output bytes. The last column is the row's id (not written; the page's keyset cursor). A row the
 * encoder refuses is skipped and counted.
 */
export class CopyRowEncoder extends Transform {
  rows = 0;
  written = 0;
  failed = 0;
  lastId: number | null = null;
  private carry: Buffer | null = null;
  private readonly row: RowFields;

  constructor(
    private readonly columns: number,
    private readonly encode: RowEncoder,
  ) {
    super({ readableHighWaterMark: 256 * 1024 });
    this.row = {
      src: EMPTY,
      start: new Int32Array(columns),
      end: new Int32Array(columns),
      quoted: new Uint8Array(columns),
      plain: true,
    };
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
    try {
      let data = chunk;
      if (this.carry) {
        // Finish the carried row with the head of this chunk, without copying the whole chunk.
        const nl = chunk.indexOf(10);
        if (nl !== -1) {
          const head = this.process(chunk.subarray(0, nl + 1));
          if (head.length > 0) this.push(Buffer.from(head));
          data = chunk.subarray(nl + 1);
        }
      }
      const out = this.process(data);
      if (out.length > 0) this.push(out);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback) {
    if (this.carry && this.carry.length > 0) callback(new Error("COPY output ended inside a row"));
    else callback();
  }

  /** Encodes a whole COPY output at once (the row-by-row path); throws if it ends inside a row. */
  encodeAll(data: Buffer): Buffer {
    const out = this.process(data);
    if (this.carry && this.carry.length > 0) throw new Error("COPY output ended inside a row");
    return out;
  }

  /** Encodes every complete row of the carried bytes and `chunk`; keeps an incomplete last row. */
  private process(chunk: Buffer): Buffer {
    const src = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const out = new ByteWriter(Math.max(1 << 16, src.length * 2));
    const len = src.length;
    const n = this.columns;
    const row = this.row;
    const { start, end, quoted } = row;
    row.src = src;
    let p = 0;
    rows: while (p < len) {
      let q = p;
      let plain = true;
      for (let i = 0; i < n; i++) {
        if (q >= len) break rows;
        if (src[q] === 34) {
          plain = false;
          let k = q + 1;
          for (;;) {
            k = src.indexOf(34, k);
            if (k === -1 || k + 1 >= len) break rows; // the rest has not arrived yet
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
          if (k >= len) break rows;
          start[i] = q;
          end[i] = k;
          quoted[i] = 0;
          q = k;
        }
        if (src[q] !== (i === n - 1 ? 10 : 44)) throw new Error("unexpected COPY output");
        q++;
      }
      row.plain = plain;
      this.rows++;
      let id = 0;
      for (let k = start[n - 1] as number; k < (end[n - 1] as number); k++)
        id = id * 10 + ((src[k] as number) - 48);
      this.lastId = id;
      const mark = out.pos;
      try {
        this.encode(row, out);
        this.written++;
      } catch {
        out.pos = mark;
        this.failed++;
      }
      p = q;
    }
    if (p < len) this.carry = Buffer.from(src.subarray(p));
    row.src = EMPTY;
    return out.buf.subarray(0, out.pos);
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
