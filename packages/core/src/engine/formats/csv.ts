import { stringify } from "csv-stringify/sync";
import type { ResourceField } from "../../resources/types";
import {
  ascii,
  type ByteWriter,
  endsWithSpace,
  fieldText,
  isAsciiSpace,
  isFormulaByte,
  startsWithSpace,
} from "./bytes";
import { compactJson, headerLabels } from "./cells";
import { copyInto, end, write } from "./io";
import { encodePageWith, type FileSegment, type FormatWriter } from "./types";

const OPTIONS = { record_delimiter: "\r\n", quoted_match: /^\s|\s$/ } as const;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const TRUE = ascii("true");
/**
 * White space as `/\s/` knows it beyond ASCII, as UTF-8 bytes read as latin1 (see `unicodeSpaceAt`): NBSP,
 * U+1680, U+2000–200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
 */
const UNICODE_SPACE =
  "\xC2\xA0|\xE1\x9A\x80|\xE2\x80[\x80-\x8A\xA8\xA9\xAF]|\xE2\x81\x9F|\xE3\x80\x80|\xEF\xBB\xBF";
/**
 * Where a line of COPY CSV may need more than a copy: a quote; a field (after a comma) starting with a formula
 * character, white space, or being `t`/`f`; white space ending a field (before a comma or the line's end).
 */
const SUSPECT = new RegExp(
  `"|,(?:[=+\\-@\\t-\\r ]|${UNICODE_SPACE}|[tf](?=[,\\n]))|(?:[\\t-\\r ]|${UNICODE_SPACE})(?=[,\\n])`,
  "g",
);
/** Column kinds for the line encoder. */
const LINE_TEXT = 1;
const LINE_BOOLEAN = 2;
const LINE_JSON = 3;
const FALSE = ascii("false");

/** A cell quoted exactly as csv-stringify quotes it with OPTIONS (RFC 4180, quotes doubled). */
export function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The BOM and the header line. */
function csvHead(fields: readonly ResourceField[], language: string): string {
  return `\uFEFF${stringify([headerLabels(fields, language)], OPTIONS)}`;
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
    // COPY's line is the CSV line when no field is quoted (no quote, comma, CR or LF inside, no empty string),
    // no text needs an apostrophe or quotes for white space at an edge, and the booleans are words: copied as
    // it is (without the id column, when that is not a field) with CRLF, while it is scanned.
    const scanLine = (src: Buffer, s: number, e: number, out: ByteWriter) => {
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
        // The end of field \`field\`: [at, k).
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
    // Faster still: one regular expression over each buffer of messages marks every place where any field
    // (not only text: a superset, so never a miss) could start with a quote, a formula character or white space,
    // end with white space, or be a one-letter boolean; lines without a mark (and whose first field starts
    // plainly) are copied in one piece. Marked lines take the scan above, which decides exactly.
    let scanned: Buffer | null = null;
    let marks: number[] = [];
    let next = 0;
    const idFirst = idColumn === 0;
    const idExtra = idColumn === n - 1 && idColumn > last;
    const fast = (src: Buffer, s: number, e: number, out: ByteWriter): number => {
      // The marks before this line's header belong to earlier lines.
      while (next < marks.length && (marks[next] as number) < s - 5) next++;
      if (next < marks.length && (marks[next] as number) < e) return scanLine(src, s, e, out);
      const b = src[s] as number;
      // The first field has no comma before it: its start is looked at here (a boolean's `t`/`f` too).
      if (
        b === 34 ||
        b === 44 ||
        b === 116 ||
        b === 102 ||
        b >= 0x80 ||
        isFormulaByte(b) ||
        isAsciiSpace(b)
      ) {
        return scanLine(src, s, e, out);
      }
      let id = 0;
      let cut = e - 1;
      if (idFirst) {
        let d = s;
        for (let c = src[d] as number; c !== 44 && c !== 10; c = src[++d] as number) id = id * 10 + (c - 48);
      } else if (idExtra) {
        let d = e - 2;
        for (let place = 1, c = src[d] as number; c !== 44; c = src[--d] as number, place *= 10) {
          id += (c - 48) * place;
        }
        cut = d;
      } else return scanLine(src, s, e, out);
      out.ensure(cut - s + 2);
      src.copy(out.buf, out.pos, s, cut);
      let p = out.pos + cut - s;
      out.buf[p++] = 13;
      out.buf[p++] = 10;
      out.pos = p;
      return id;
    };
    return {
      scan(data) {
        scanned = data;
        marks = [];
        next = 0;
        const text = data.toString("latin1");
        SUSPECT.lastIndex = 0;
        for (let m = SUSPECT.exec(text); m !== null; m = SUSPECT.exec(text)) marks.push(m.index);
      },
      line: (src, s, e, out) => (src === scanned ? fast(src, s, e, out) : scanLine(src, s, e, out)),
    };
  },
  encodePage(fields, rows, firstRow) {
    return encodePageWith(csvWriter, fields, rows, firstRow);
  },
  async assemble(out, input) {
    await write(out, csvHead(input.fields, input.language));
    for await (const part of input.parts()) await copyInto(part.read(), out);
    await end(out);
  },
  async layout(input) {
    const segments: FileSegment[] = [{ bytes: Buffer.from(csvHead(input.fields, input.language)) }];
    for await (const _ of input.parts()) segments.push({ part: segments.length - 1 });
    return segments;
  },
};
