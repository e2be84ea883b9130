import { stringify } from "csv-stringify/sync";
import { ascii, endsWithSpace, fieldText, isFormulaByte, startsWithSpace } from "./bytes";
import { compactJson, headerLabels } from "./cells";
import { copyInto, end, write } from "./io";
import { encodePageWith, type FormatWriter } from "./types";

const OPTIONS = { record_delimiter: "\r\n", quoted_match: /^\s|\s$/ } as const;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const TRUE = ascii("true");
const FALSE = ascii("false");

/** A cell quoted exactly as csv-stringify quotes it with OPTIONS (RFC 4180, quotes doubled). */
export function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV (CRLF, quotes doubled), UTF-8 with a BOM so Excel reads "İstanbul" right. */
export const csvWriter: FormatWriter = {
  format: "csv",
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
        // The common row: COPY's line is already the CSV line, if no text cell needs an apostrophe or quotes
        // and the booleans are words.
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
  encodePage(fields, rows, firstRow) {
    return encodePageWith(csvWriter, fields, rows, firstRow);
  },
  async assemble(out, { fields, language, parts }) {
    await write(out, "\uFEFF");
    await write(out, stringify([headerLabels(fields, language)], OPTIONS));
    for await (const part of parts()) await copyInto(part.read(), out);
    await end(out);
  },
};
