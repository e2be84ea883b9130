import { buffer } from "node:stream/consumers";
import type { ValueType } from "../../contract";
import type { ResourceField } from "../../resources/types";
import { ascii, fieldText, put, putRange, type RowFields } from "./bytes";
import { compactJson } from "./cells";
import { compactJsonb, DATETIME_NULL, datetimeEnd, isoDatetime, isoDatetimeField, jsonbEnd } from "./pg-text";
import type { FormatWriter, LineEncoder, PartFile, RowEncoder } from "./types";

const ROW_END = ",\n";
const ROW_END_BYTES = ascii(`}${ROW_END}`);
const NULL = ascii("null");
const TRUE = ascii("true");
const FALSE = ascii("false");
const HEX = "0123456789abcdef";

/** Value kinds by type, as numbers (a cheaper switch per value). */
const TEXT = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const QUOTED = 3;
const JSON_TEXT = 4;
const DATETIME = 5;
const KIND: Record<ValueType, number> = {
  text: TEXT,
  integer: NUMBER,
  decimal: QUOTED,
  boolean: BOOLEAN,
  datetime: DATETIME,
  json: JSON_TEXT,
};

/** A date-time's value: `"…Z"` from PostgreSQL's text (`isoDatetime`), or null for ±infinity. */
function jsonDatetime(buf: Buffer, at: number, src: Buffer, s: number, e: number): number {
  const p = isoDatetime(buf, at + 1, src, s, e);
  if (p === DATETIME_NULL) return put(buf, at, NULL);
  buf[at] = 34;
  buf[p] = 34;
  return p + 1;
}

/** 1 for the bytes a JSON string holds as they are (not a control character, `"` or `\\`). */
const PLAIN = new Uint8Array(256).map((_, b) => (b >= 0x20 && b !== 34 && b !== 92 ? 1 : 0));

/** Most bytes one source byte becomes in `jsonString` (`\u00XX`). */
const JSON_GROWTH = 6;

/**
 * A text field as a JSON string written into `buf` at `at` (room: `(e - s) * JSON_GROWTH + 3`), escaped as
 * JSON.stringify escapes it, so the value is the REST list's own; JSON is no spreadsheet: no formula prefix.
 * `doubled`: the field was quoted by COPY (each quote inside doubled). Returns the position after it.
 */
function jsonString(buf: Buffer, at: number, src: Buffer, s: number, e: number, doubled: boolean) {
  let p = at;
  buf[p++] = 34;
  for (let k = s; k < e; k++) {
    const b = src[k] as number;
    if (PLAIN[b] === 1) {
      buf[p++] = b;
    } else if (b === 34) {
      if (doubled) k++;
      buf[p++] = 92;
      buf[p++] = 34;
    } else if (b === 92) {
      buf[p++] = 92;
      buf[p++] = 92;
    } else {
      buf[p++] = 92;
      const short = b === 8 ? 98 : b === 9 ? 116 : b === 10 ? 110 : b === 12 ? 102 : b === 13 ? 114 : 0;
      if (short) buf[p++] = short;
      else {
        buf[p++] = 117;
        buf[p++] = 48;
        buf[p++] = 48;
        buf[p++] = HEX.charCodeAt(b >> 4);
        buf[p++] = HEX.charCodeAt(b & 15);
      }
    }
  }
  buf[p++] = 34;
  return p;
}

/** Each field's key as it opens its value (`{"id":`, `,"sku":`), and a row's room besides its escaped bytes. */
function rowKeys(fields: readonly ResourceField[]) {
  const keys = fields.map((f, i) => ascii(`${i === 0 ? "{" : ","}${JSON.stringify(f.name)}:`));
  return { keys, fixed: keys.reduce((n, k) => n + k.length + 8, 8) };
}

/** The generic row encoder: any fields, each value's case decided per row. */
function genericRowEncoder(fields: readonly ResourceField[]): RowEncoder {
  const kinds = Uint8Array.from(fields, (f) => KIND[f.type]);
  const jsonb = fields.map((f) => f.column.columnType === "PgJsonb");
  const { keys, fixed } = rowKeys(fields);
  const count = kinds.length;
  const room = (row: RowFields) => fixed + ((row.end[count - 1] ?? 0) - (row.start[0] ?? 0)) * JSON_GROWTH;
  return (row, out) => {
    const { src, start, end, quoted } = row;
    out.ensure(room(row));
    let buf = out.buf;
    let p = out.pos;
    if (count === 0) buf[p++] = 123;
    for (let i = 0; i < count; i++) {
      // Keys are copied natively: TypedArray#set beats a loop here (~10% of the encoder's CPU, measured).
      const key = keys[i] as Uint8Array;
      buf.set(key, p);
      p += key.length;
      const s = start[i] as number;
      const e = end[i] as number;
      if (quoted[i] === 0 && s === e) {
        p = put(buf, p, NULL);
        continue;
      }
      switch (kinds[i]) {
        case NUMBER:
          p = putRange(buf, p, src, s, e);
          break;
        case BOOLEAN:
          p = put(buf, p, src[s] === 116 ? TRUE : FALSE);
          break;
        case TEXT:
          p = jsonString(buf, p, src, s, e, quoted[i] === 1);
          break;
        case DATETIME:
          p = jsonDatetime(buf, p, src, s, e);
          break;
        case JSON_TEXT: {
          // jsonb's text compacted in place (never longer), unless only JSON.parse can tell the bytes.
          const q = jsonb[i] ? compactJsonb(buf, p, src, s, e, quoted[i] === 1, false) : -1;
          if (q >= 0) {
            p = q;
            break;
          }
          // Compacted JSON can be longer than its source: written by the writer, then the row's room again.
          out.pos = p;
          out.string(compactJson(fieldText(row, i)));
          out.ensure(room(row));
          buf = out.buf;
          p = out.pos;
          break;
        }
        default:
          // Decimals as strings (as the API shows them): digits, signs, a point.
          buf[p++] = 34;
          p = putRange(buf, p, src, s, e);
          buf[p++] = 34;
      }
    }
    out.pos = put(buf, p, ROW_END_BYTES);
  };
}

/** A byte store per key byte: `buf[p+0]=123;buf[p+1]=34;…;p+=n;` (numbers only). */
function storeBytes(bytes: Uint8Array): string {
  return `${Array.from(bytes, (b, j) => `buf[p+${j}]=${b};`).join("")}p+=${bytes.length};`;
}

/**
 * The row encoder compiled for these fields, as fast-json-stringify does: keys as constant bytes, each field's
 * case decided once — ~20% less CPU than the generic encoder (1,000,000 products, same bytes). The generated
 * source holds only numbers and fixed code: field names reach it as bytes, never as text. Not for JSON values.
 */
function compiledRowEncoder(fields: readonly ResourceField[]): RowEncoder | null {
  const kinds = fields.map((f) => KIND[f.type]);
  if (kinds.length === 0 || kinds.includes(JSON_TEXT)) return null;
  const { keys, fixed } = rowKeys(fields);
  const last = kinds.length - 1;
  const code = [
    "const src = row.src, start = row.start, end = row.end, quoted = row.quoted;",
    `out.ensure(${fixed} + (end[${last}] - start[0]) * ${JSON_GROWTH});`,
    "const buf = out.buf;",
    "let p = out.pos, s = 0, e = 0;",
  ];
  kinds.forEach((kind, i) => {
    code.push(storeBytes(keys[i] as Uint8Array), `s = start[${i}]; e = end[${i}];`);
    code.push(`if (quoted[${i}] === 0 && s === e) { ${storeBytes(NULL)} } else {`);
    if (kind === NUMBER) code.push("for (let k = s; k < e; k++) buf[p++] = src[k];");
    else if (kind === BOOLEAN)
      code.push(`if (src[s] === 116) { ${storeBytes(TRUE)} } else { ${storeBytes(FALSE)} }`);
    else if (kind === TEXT) code.push(`p = jsonString(buf, p, src, s, e, quoted[${i}] === 1);`);
    else if (kind === DATETIME) code.push("p = jsonDatetime(buf, p, src, s, e);");
    else code.push("buf[p++] = 34; for (let k = s; k < e; k++) buf[p++] = src[k]; buf[p++] = 34;");
    code.push("}");
  });
  code.push(`${storeBytes(ROW_END_BYTES)} out.pos = p;`);
  const factory = new Function(
    "jsonString",
    "jsonDatetime",
    `return function jsonRow(row, out) {\n${code.join("\n")}\n};`,
  );
  return factory(jsonString, jsonDatetime) as RowEncoder;
}

/** JSON's row encoder: compiled for the fields where it can be (`compiled: false`: the generic one, for tests). */
export function jsonRowEncoder(
  fields: readonly ResourceField[],
  options: { compiled?: boolean } = {},
): RowEncoder {
  return (options.compiled !== false ? compiledRowEncoder(fields) : null) ?? genericRowEncoder(fields);
}

/** The bytes that end an unquoted COPY field (`,`, LF) or that it cannot hold (a quote: the field was quoted). */
const FIELD_STOP = new Uint8Array(256);
FIELD_STOP[44] = 1;
FIELD_STOP[10] = 1;
FIELD_STOP[34] = 1;
/** Kinds of the line encoder's columns: JSONB (compacted), and ID_ONLY for an id column that is no field. */
const JSONB = 6;
/** `PLAIN` but for the comma, which ends an unquoted COPY field (LF, its line's end, is not plain). */
const FIELD_PLAIN = PLAIN.map((v, b) => (b === 44 ? 0 : v));
const ID_ONLY = 7;

/**
 * JSON's one-pass line encoder (`LineEncoder`): COPY's line straight to the row's object, without parsing it
 * into `RowFields` first. It takes the common rows — no quoted field but a jsonb one, text without a byte
 * JSON.stringify escapes, date-times in their common form — and leaves the others (-1) to the row encoder,
 * whose bytes it writes. Null for fields with `json` (not jsonb) values.
 */
function jsonLineEncoder(
  fields: readonly ResourceField[],
  columns: number,
  idColumn: number,
): LineEncoder | null {
  if (fields.length === 0) return null;
  const kinds = Uint8Array.from({ length: columns }, (_, i) => {
    const field = fields[i];
    if (!field) return ID_ONLY;
    const kind = KIND[field.type];
    return kind === JSON_TEXT ? (field.column.columnType === "PgJsonb" ? JSONB : 255) : kind;
  });
  if (kinds.includes(255)) return null;
  const { keys, fixed } = rowKeys(fields);
  const last = columns - 1;
  return (src, s, e, out) => {
    if (e <= s || src[e - 1] !== 10) return -1;
    // Never longer than the row encoder's room for the same row: each value grows by at most 8 bytes.
    out.ensure(fixed + (e - s));
    const buf = out.buf;
    let p = out.pos;
    let id = -1;
    let at = s;
    for (let field = 0; ; field++) {
      const kind = kinds[field];
      let k = at;
      let b = src[k] as number;
      if (kind !== ID_ONLY) {
        const key = keys[field] as Uint8Array;
        buf.set(key, p);
        p += key.length;
      }
      if (b === 44 || b === 10) {
        // NULL (an empty string would be quoted).
        if (kind !== ID_ONLY) p = put(buf, p, NULL);
      } else if (kind === TEXT) {
        if (b === 34) return -1;
        buf[p++] = 34;
        while (FIELD_PLAIN[b] === 1) {
          buf[p++] = b;
          b = src[++k] as number;
        }
        // A byte to escape (a control character, a backslash): the row encoder's.
        if (b !== 44 && b !== 10) return -1;
        buf[p++] = 34;
      } else if (kind === DATETIME) {
        buf[p] = 34;
        // The common form; ±infinity, BC, years past 9999 are the row encoder's.
        const q = isoDatetimeField(buf, p + 1, src, at);
        if (q < 0) return -1;
        buf[q] = 34;
        p = q + 1;
        k = datetimeEnd.at;
        b = src[k] as number;
      } else if (kind === JSONB) {
        if (b === 34) {
          // A whole quoted jsonb field, compacted to its closing quote (the line's end as its bound).
          p = compactJsonb(buf, p, src, k + 1, e, true, false);
          if (p < 0 || jsonbEnd.at >= e) return -1;
          k = jsonbEnd.at + 1;
        } else {
          // Unquoted: a number, true, false, null or an empty container.
          while (FIELD_STOP[b] === 0) b = src[++k] as number;
          if (b === 34) return -1;
          p = compactJsonb(buf, p, src, at, k, false, false);
          if (p < 0) return -1;
        }
        b = src[k] as number;
      } else {
        // Digits, a sign, a point; booleans as words: copied (decimals between quotes). Never quoted by COPY.
        const quote = kind === QUOTED;
        if (quote) buf[p++] = 34;
        if (kind === ID_ONLY) while (FIELD_STOP[b] === 0) b = src[++k] as number;
        else
          while (FIELD_STOP[b] === 0) {
            buf[p++] = b;
            b = src[++k] as number;
          }
        // A boolean must be a word (`true`/`false`, as JSON's COPY selects it) to be copied.
        if (b === 34 || (kind === BOOLEAN && k - at < 4)) return -1;
        if (quote) buf[p++] = 34;
      }
      if (field === idColumn) {
        id = 0;
        for (let d = at; d < k; d++) id = id * 10 + ((src[d] as number) - 48);
      }
      if (b === 10) {
        if (field !== last || k !== e - 1) return -1;
        break;
      }
      if (b !== 44 || field === last) return -1;
      at = k + 1;
    }
    if (id < 0) return -1;
    out.pos = put(buf, p, ROW_END_BYTES);
    return id;
  };
}

/**
 * `jsonLineEncoder` compiled for these columns, as `compiledRowEncoder` is: keys as constant stores, each
 * column's case decided once. Same bytes, same rows taken; the generated source holds only numbers and fixed
 * code.
 */
function compiledLineEncoder(
  fields: readonly ResourceField[],
  columns: number,
  idColumn: number,
): LineEncoder | null {
  if (jsonLineEncoder(fields, columns, idColumn) === null) return null;
  const { keys, fixed } = rowKeys(fields);
  const code = [
    "if (e <= s || src[e - 1] !== 10) return -1;",
    `out.ensure(${fixed} + (e - s));`,
    "const buf = out.buf;",
    "let p = out.pos, k = s, at = s, b = 0, q = 0, id = -1;",
  ];
  for (let i = 0; i < columns; i++) {
    const field = fields[i];
    const kind = field ? KIND[field.type] : ID_ONLY;
    code.push("at = k; b = src[k];");
    if (field) code.push(storeBytes(keys[i] as Uint8Array));
    code.push(`if (b === 44 || b === 10) { ${field ? storeBytes(NULL) : ""} } else {`);
    if (kind === TEXT) {
      code.push(
        "if (b === 34) return -1;",
        "buf[p++] = 34;",
        "while (FIELD_PLAIN[b] === 1) { buf[p++] = b; b = src[++k]; }",
        "if (b !== 44 && b !== 10) return -1;",
        "buf[p++] = 34;",
      );
    } else if (kind === DATETIME) {
      code.push(
        "buf[p] = 34;",
        "q = isoDatetimeField(buf, p + 1, src, at);",
        "if (q < 0) return -1;",
        "buf[q] = 34; p = q + 1; k = datetimeEnd.at; b = src[k];",
      );
    } else if (kind === JSON_TEXT) {
      code.push(
        "if (b === 34) {",
        "  p = compactJsonb(buf, p, src, k + 1, e, true, false);",
        "  if (p < 0 || jsonbEnd.at >= e) return -1;",
        "  k = jsonbEnd.at + 1;",
        "} else {",
        "  while (FIELD_STOP[b] === 0) b = src[++k];",
        "  if (b === 34) return -1;",
        "  p = compactJsonb(buf, p, src, at, k, false, false);",
        "  if (p < 0) return -1;",
        "}",
        "b = src[k];",
      );
    } else if (kind === ID_ONLY) {
      code.push("while (FIELD_STOP[b] === 0) b = src[++k];", "if (b === 34) return -1;");
    } else {
      const quote = kind === QUOTED ? "buf[p++] = 34;" : "";
      code.push(
        quote,
        "while (FIELD_STOP[b] === 0) { buf[p++] = b; b = src[++k]; }",
        kind === BOOLEAN ? "if (b === 34 || k - at < 4) return -1;" : "if (b === 34) return -1;",
        quote,
      );
    }
    code.push("}");
    if (i === idColumn) code.push("id = 0; for (let d = at; d < k; d++) id = id * 10 + (src[d] - 48);");
    code.push(
      i === columns - 1 ? "if (b !== 10 || k !== e - 1) return -1;" : "if (b !== 44) return -1; k++;",
    );
  }
  code.push("if (id < 0) return -1;", `${storeBytes(ROW_END_BYTES)} out.pos = p;`, "return id;");
  const factory = new Function(
    "FIELD_PLAIN",
    "FIELD_STOP",
    "isoDatetimeField",
    "datetimeEnd",
    "compactJsonb",
    "jsonbEnd",
    `return function jsonLine(src, s, e, out) {\n${code.join("\n")}\n};`,
  );
  return factory(
    FIELD_PLAIN,
    FIELD_STOP,
    isoDatetimeField,
    datetimeEnd,
    compactJsonb,
    jsonbEnd,
  ) as LineEncoder;
}

/** JSON's line encoder: compiled where it can be (`compiled: false`: the interpreted one, for tests). */
export function jsonLineEncoderFor(
  fields: readonly ResourceField[],
  columns: number,
  idColumn: number,
  options: { compiled?: boolean } = {},
): LineEncoder | null {
  return options.compiled === false
    ? jsonLineEncoder(fields, columns, idColumn)
    : compiledLineEncoder(fields, columns, idColumn);
}

/**
 * One JSON array of objects keyed by field name, each value byte for byte as the REST list shows it. A row in
 * a part is its object and `,\n`; the layout drops the last separator.
 */
export const jsonWriter: FormatWriter = {
  extension: "json",
  contentType: "application/json; charset=utf-8",
  booleans: "words",
  datetime: "iso",
  rowEncoder(fields) {
    return jsonRowEncoder(fields);
  },
  lineEncoder(fields, columns, idColumn) {
    return jsonLineEncoderFor(fields, columns, idColumn);
  },
  async layout({ parts }) {
    const files: PartFile[] = [];
    for await (const part of parts()) files.push(part);
    const last = files.at(-1);
    if (!last) return [{ bytes: Buffer.from("[]\n") }];
    const size = await last.size();
    if (size === null || size < ROW_END.length) throw new Error("a JSON part does not end with a row");
    const tail = await buffer(last.read({ start: size - ROW_END.length, end: size }));
    if (tail.toString("latin1") !== ROW_END) throw new Error("a JSON part does not end with a row");
    return [
      { bytes: Buffer.from("[\n") },
      ...files.map((_, i) =>
        i === files.length - 1 ? { part: i, end: size - ROW_END.length } : { part: i },
      ),
      { bytes: Buffer.from("\n]\n") },
    ];
  },
};
