import { stringify } from "csv-stringify/sync";
import type { ResourceField } from "../../resources/types";
import { ascii, endsWithSpace, fieldText, isFormulaByte, startsWithSpace } from "./bytes";
import { compactJson, headerLabels } from "./cells";
import type { FileSegment, FormatWriter } from "./types";

const OPTIONS = { record_delimiter: "\r\n", quoted_match: /^\s|\s$/ } as const;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const TRUE = ascii("true");
/** Column kinds for the line encoder. */
const LINE_TEXT = 1;
const LINE_BOOLEAN = 2;
const LINE_JSON = 3;
const FALSE = ascii("false");

/** A cell quoted exactly as csv-stringify quotes it with OPTIONS (RFC 4180, quotes doubled). */
function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The BOM and the header line. */
function csvHead(fields: readonly ResourceField[], language: string): string {
  return `\uFEFF${stringify([headerLabels(fields, language)], OPTIONS)}`;
}

/** RFC 4180 CSV (CRLF, quotes doubled), UTF-8 with a BOM so Excel reads "İstanbul" right. */
export const csvWriter: FormatWriter = {
  extension: "csv",
  contentType: "text/csv; charset=utf-8",
  booleans: "words",
  datetime: "iso",
  rowEncoder(fields) {
    const types = fields.map((f) => f.type);
    const last = types.length - 1;
    const texts = types.flatMap((t, i) => (t === "text" ? [i] : []));
    const bools = types.flatMap((t, i) => (t === "boolean" ? [i] : []));
    const copyable = !types.includes("json");
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
            case "json": {
              const json = compactJson(fieldText(row, i));
              out.string(csvCell(isFormulaByte(json.charCodeAt(0)) ? `'${json}` : json));
              break;
            }
            default:
              // Digits and ISO date-times: never quoted.
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
            ? LINE_JSON
            : 0;
    });
    if (fields.length === 0 || kinds.includes(LINE_JSON)) return null;
    const last = fields.length - 1;
    const n = columns;
    // COPY's line is the CSV line when no field is quoted, no text needs a `'` or quotes for white space at an
    // edge, and the booleans are words: it is copied (without an id column that is no field) while scanned.
    return (src, s, e, out) => {
      out.ensure(e - s + 2);
      const buf = out.buf;
      const from = out.pos;
      let p = from;
      let field = 0;
      let at = s;
      let id = -1;
      for (let k = s; k < e; k++) {
        const b = src[k] as number;
        if (b === 34) return -1;
        if (b !== 44 && b !== 10) {
          if (field <= last) buf[p++] = b;
          continue;
        }
        // The end of field `field`: [at, k).
        const kind = kinds[field];
        if (kind === LINE_TEXT) {
          if (at < k && (isFormulaByte(src[at]) || startsWithSpace(src, at, k) || endsWithSpace(src, at, k)))
            return -1;
        } else if (kind === LINE_BOOLEAN) {
          if (k - at === 1) return -1;
        }
        if (field === idColumn) {
          id = 0;
          for (let d = at; d < k; d++) id = id * 10 + ((src[d] as number) - 48);
        }
        if (b === 10) {
          if (field !== n - 1 || k !== e - 1) return -1;
          break;
        }
        if (field < last) buf[p++] = 44;
        field++;
        at = k + 1;
      }
      if (id < 0) return -1;
      buf[p++] = 13;
      buf[p++] = 10;
      out.pos = p;
      return id;
    };
  },
  async layout(input) {
    const segments: FileSegment[] = [{ bytes: Buffer.from(csvHead(input.fields, input.language)) }];
    let part = 0;
    for await (const _ of input.parts()) segments.push({ part: part++ });
    return segments;
  },
};
