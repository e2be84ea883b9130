import { stringify } from "csv-stringify/sync";
import type { ResourceField } from "../../resources/types";
import {
  ascii,
  type ByteWriter,
  endsWithSpace,
  fieldText,
  isFormulaByte,
  put,
  startsWithSpace,
} from "./bytes";
import { compactJson, headerLabels } from "./cells";
import {
  compactJsonb,
  DATETIME_GROWTH,
  DATETIME_NULL,
  datetimeEnd,
  isoDatetime,
  isoDatetimeField,
  jsonbEnd,
} from "./pg-text";
import type { FileSegment, FormatWriter } from "./types";

const OPTIONS = { record_delimiter: "\r\n", quoted_match: /^\s|\s$/ } as const;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const TRUE = ascii("true");
/** Column kinds for the line encoder. */
const LINE_TEXT = 1;
const LINE_BOOLEAN = 2;
const LINE_JSON = 3;
const LINE_DATETIME = 4;
const LINE_JSONB = 5;
const FALSE = ascii("false");
/** The bytes that end a plain field in the line encoder: `,`, LF, and a quote (which it refuses there). */
const STOP = new Uint8Array(256);
STOP[44] = 1;
STOP[10] = 1;
STOP[34] = 1;

/** A cell quoted exactly as csv-stringify quotes it with OPTIONS (RFC 4180, quotes doubled). */
function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const isJsonb = (field: ResourceField | undefined) => field?.column.columnType === "PgJsonb";

/**
 * A jsonb cell (COPY quoted it exactly when it holds a quote or a comma, as its compact form does and
 * csv-stringify would) compacted byte by byte; false, having written nothing, when only `compactJson` can say.
 */
function jsonbCell(src: Buffer, s: number, e: number, quoted: boolean, out: ByteWriter): boolean {
  out.ensure(e - s + 3);
  const buf = out.buf;
  let p = out.pos;
  if (quoted) buf[p++] = 34;
  else if (isFormulaByte(src[s])) buf[p++] = 39;
  p = compactJsonb(buf, p, src, s, e, quoted, quoted);
  if (p < 0) return false;
  if (quoted) buf[p++] = 34;
  out.pos = p;
  return true;
}

/** The BOM and the header line (`labels` and `delimiter`: the export's options, csv-options.ts). */
export function csvHead(
  fields: readonly ResourceField[],
  language: string,
  labels = headerLabels(fields, language),
  delimiter = ",",
): string {
  return `\uFEFF${stringify([labels], delimiter === "," ? OPTIONS : { ...OPTIONS, delimiter })}`;
}

/** RFC 4180 CSV (CRLF, quotes doubled), UTF-8 with a BOM so Excel reads "İstanbul" right. */
export const csvWriter: FormatWriter = {
  extension: "csv",
  contentType: "text/csv; charset=utf-8",
  datetime: "iso",
  rowEncoder(fields) {
    const types = fields.map((f) => f.type);
    const last = types.length - 1;
    const texts = types.flatMap((t, i) => (t === "text" ? [i] : []));
    const bools = types.flatMap((t, i) => (t === "boolean" ? [i] : []));
    const jsonb = fields.map(isJsonb);
    const copyable = !types.includes("json") && !types.includes("datetime");
    return (row, out) => {
      const { src, start, end, quoted } = row;
      if (copyable && row.plain && last >= 0) {
        // The common row: COPY's line is the CSV line if no text cell needs a `'` or quotes.
        let same = true;
        for (const i of texts) {
          const s = start[i] as number;
          const e = end[i] as number;
          if (s !== e && (isFormulaByte(src[s]) || startsWithSpace(src, s, e) || endsWithSpace(src, s, e))) {
            same = false;
            break;
          }
        }
        for (const i of bools) if ((end[i] as number) - (start[i] as number) === 1) same = false;
        if (same) {
          out.range(src, start[0] as number, end[last] as number);
          out.byte(13);
          out.byte(10);
          return;
        }
      }
      for (let i = 0; i <= last; i++) {
        const s = start[i] as number;
        const e = end[i] as number;
        // NULL and the empty string are both an empty cell.
        if (s !== e) {
          switch (types[i]) {
            case "text": {
              const neutral = isFormulaByte(src[s]);
              if (quoted[i]) {
                // PostgreSQL quoted it (a quote, comma, CR or LF inside): decided on the text itself.
                const text = fieldText(row, i);
                out.string(csvCell(neutral ? `'${text}` : text));
              } else {
                // No quote, comma, CR or LF inside: only white space at an edge needs quotes.
                const quote = (!neutral && startsWithSpace(src, s, e)) || endsWithSpace(src, s, e);
                if (quote) out.byte(34);
                if (neutral) out.byte(39);
                out.range(src, s, e);
                if (quote) out.byte(34);
              }
              break;
            }
            case "boolean":
              out.ascii(src[s] === 116 ? TRUE : FALSE);
              break;
            case "datetime": {
              out.ensure(e - s + DATETIME_GROWTH);
              const p = isoDatetime(out.buf, out.pos, src, s, e);
              if (p !== DATETIME_NULL) out.pos = p;
              break;
            }
            case "json": {
              if (jsonb[i] && jsonbCell(src, s, e, quoted[i] === 1, out)) break;
              const json = compactJson(fieldText(row, i));
              out.string(csvCell(isFormulaByte(json.charCodeAt(0)) ? `'${json}` : json));
              break;
            }
            default:
              // Digits: never quoted.
              out.range(src, s, e);
          }
        }
        if (i === last) {
          out.byte(13);
          out.byte(10);
        } else out.byte(44);
      }
    };
  },
  lineEncoder(fields, columns, idColumn) {
    const kinds = Uint8Array.from({ length: columns }, (_, i) => {
      const type = fields[i]?.type;
      return type === "text"
        ? LINE_TEXT
        : type === "boolean"
          ? LINE_BOOLEAN
          : type === "json"
            ? isJsonb(fields[i])
              ? LINE_JSONB
              : LINE_JSON
            : type === "datetime"
              ? LINE_DATETIME
              : 0;
    });
    // (A first field that is a date-time is left to the field-by-field encoder: the scan finds them after a comma.)
    if (fields.length === 0 || kinds.includes(LINE_JSON) || kinds[0] === LINE_DATETIME) return null;
    const last = fields.length - 1;
    const n = columns;
    const growth =
      2 +
      DATETIME_GROWTH * kinds.filter((k) => k === LINE_DATETIME).length +
      4 * kinds.filter((k) => k === LINE_BOOLEAN).length;
    // COPY's line is the CSV line when no field but a jsonb one is quoted and no text needs a `'` or quotes for
    // white space at an edge: it is copied field by field (a table lookup per byte finds each field's end: less CPU
    // than testing the bytes in turn, ~5–15% on orders in noisy runs), without an id column that is no field;
    // date-times are written in their ISO form, jsonb compacted, PostgreSQL's `t`/`f` as `true`/`false`.
    return (src, s, e, out) => {
      // Every scan below stops at the line's LF at the latest.
      if (e <= s || src[e - 1] !== 10) return -1;
      out.ensure(e - s + growth);
      const buf = out.buf;
      let p = out.pos;
      let id = -1;
      let at = s;
      for (let field = 0; ; field++) {
        const kind = kinds[field];
        const fieldAt = p;
        let k = at;
        let b = src[k] as number;
        if (kind === LINE_DATETIME) {
          // The common form read and written in one pass; any other found, then written in its ISO form.
          const q = isoDatetimeField(buf, p, src, at);
          if (q >= 0) {
            p = q;
            k = datetimeEnd.at;
            b = src[k] as number;
          } else {
            while (b !== 44 && b !== 10) b = src[++k] as number;
            if (k > at) {
              const r = isoDatetime(buf, p, src, at, k);
              if (r !== DATETIME_NULL) p = r;
            }
          }
        } else if (b === 34) {
          // Only a whole quoted jsonb field: compacted to its closing quote (the line's end as its bound).
          if (kind !== LINE_JSONB) return -1;
          buf[p++] = 34;
          p = compactJsonb(buf, p, src, k + 1, e, true, true);
          if (p < 0 || jsonbEnd.at >= e) return -1;
          buf[p++] = 34;
          k = jsonbEnd.at + 1;
          b = src[k] as number;
        } else {
          // Copied up to its comma (not an id column that is no field), then checked.
          if (field <= last)
            while (STOP[b] === 0) {
              buf[p++] = b;
              b = src[++k] as number;
            }
          else while (STOP[b] === 0) b = src[++k] as number;
          if (b === 34) return -1;
          if (kind === LINE_TEXT) {
            if (
              at < k &&
              (isFormulaByte(src[at]) || startsWithSpace(src, at, k) || endsWithSpace(src, at, k))
            )
              return -1;
          } else if (kind === LINE_BOOLEAN) {
            if (k - at === 1) p = put(buf, fieldAt, src[at] === 116 ? TRUE : FALSE);
          } else if (kind === LINE_JSONB && at < k) {
            // Unquoted: no quote or comma, so no space either; a number must print as JavaScript prints it.
            if (isFormulaByte(src[at])) return -1;
            p = compactJsonb(buf, fieldAt, src, at, k, false, false);
            if (p < 0) return -1;
          }
        }
        if (field === idColumn) {
          id = 0;
          for (let d = at; d < k; d++) id = id * 10 + ((src[d] as number) - 48);
        }
        if (b === 10) {
          if (field !== n - 1 || k !== e - 1) return -1;
          break;
        }
        if (b !== 44) return -1;
        if (field < last) buf[p++] = 44;
        at = k + 1;
      }
      if (id < 0) return -1;
      buf[p++] = 13;
      buf[p++] = 10;
      out.pos = p;
      return id;
    };
  },
  directHead(fields, language) {
    return Buffer.from(csvHead(fields, language));
  },
  async layout(input) {
    const segments: FileSegment[] = [{ bytes: Buffer.from(csvHead(input.fields, input.language)) }];
    let part = 0;
    for await (const _ of input.parts()) segments.push({ part: part++ });
    return segments;
  },
};
