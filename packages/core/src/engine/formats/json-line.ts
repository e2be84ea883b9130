import type { ResourceField } from "../../resources/types";
import { put } from "./bytes";
import {
  BOOLEAN,
  DATETIME,
  FALSE,
  JSON_TEXT,
  KIND,
  NULL,
  PLAIN,
  QUOTED,
  ROW_END_BYTES,
  rowKeys,
  storeBytes,
  TEXT,
  TRUE,
} from "./json-bytes";
import { compactJsonb, datetimeEnd, isoDatetimeField, jsonbEnd } from "./pg-text";
import type { LineEncoder } from "./types";

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
        // Digits, a sign, a point: copied (decimals between quotes). Never quoted by COPY.
        const quote = kind === QUOTED;
        if (quote) buf[p++] = 34;
        if (kind === ID_ONLY) while (FIELD_STOP[b] === 0) b = src[++k] as number;
        else
          while (FIELD_STOP[b] === 0) {
            buf[p++] = b;
            b = src[++k] as number;
          }
        if (b === 34) return -1;
        // A boolean: PostgreSQL's `t`/`f` (the projection's) written as the word; a word is copied.
        if (kind === BOOLEAN && k - at < 4) {
          if (k - at !== 1) return -1;
          p = put(buf, p - 1, src[at] === 116 ? TRUE : FALSE);
        }
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
        "if (b === 34) return -1;",
        kind === BOOLEAN
          ? `if (k - at < 4) { if (k - at !== 1) return -1; p -= 1; if (src[at] === 116) { ${storeBytes(TRUE)} } else { ${storeBytes(FALSE)} } }`
          : "",
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
