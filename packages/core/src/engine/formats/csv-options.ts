import type { EffectiveExportOptions } from "../../contract";
import type { ResourceField } from "../../resources/types";
import { type ByteWriter, endsWithSpace, fieldText, isFormulaByte, startsWithSpace } from "./bytes";
import { compactJson, headerLabels } from "./cells";
import { csvHead, csvWriter } from "./csv";
import { gzipLayout, gzipMember, gzipStages } from "./gzip";
import { DATETIME_NULL, isoDatetime } from "./pg-text";
import type { FileSegment, FormatWriter, PartFile, RowEncoder } from "./types";
import { ZONED_GROWTH, zonedIsoDatetime, zonedLabel, zoneOf, zoneSettings } from "./zoned";

/**
 * CSV with an export's options (issue 17): its delimiter, decimal separator, time zone, header or none, gzip. Chosen
 * once per export (formats/index.ts) only when an option differs from the defaults, so today's writer (csv.ts, with
 * its line encoder) keeps its code path and cost. Same rules otherwise: RFC 4180 quoting (a cell holding the
 * delimiter, a quote, CR or LF, or white space at an edge is quoted, quotes doubled), CRLF, a BOM, the `'` before
 * a formula character. A cell is decided field by field: COPY's line (comma-separated) is never the file's.
 */

const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");

/** Whether `src[s..e)` holds the byte `b`. */
function holds(src: Buffer, s: number, e: number, b: number): boolean {
  for (let k = s; k < e; k++) if (src[k] === b) return true;
  return false;
}

/** A date-time field's header label names its zone; others are as today. */
function labelsOf(fields: readonly ResourceField[], language: string, zone: string | null): string[] {
  const labels = headerLabels(fields, language);
  return zone === null
    ? labels
    : labels.map((l, i) => (fields[i]?.type === "datetime" ? zonedLabel(l, zone) : l));
}

export function csvOptionsWriter(options: EffectiveExportOptions): FormatWriter {
  const delimiter = options.delimiter;
  const D = delimiter.charCodeAt(0);
  const decimal = options.decimal_separator.charCodeAt(0);
  const zone = zoneOf(options);
  const gzip = options.compression === "gzip";
  const datetimeText = zone === null ? isoDatetime : zonedIsoDatetime;
  const needsQuotes = new RegExp(`["${delimiter === "\t" ? "\\t" : delimiter}\\r\\n]|^\\s|\\s$`);
  const cell = (text: string) => (needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const head = (fields: readonly ResourceField[], language: string) => {
    const text = options.include_header
      ? csvHead(fields, language, labelsOf(fields, language, zone), delimiter)
      : "\uFEFF";
    return Buffer.from(text);
  };

  const rowEncoder = (fields: readonly ResourceField[]): RowEncoder => {
    const types = fields.map((f) => f.type);
    const last = types.length - 1;
    return (row, out: ByteWriter) => {
      const { src, start, end, quoted } = row;
      for (let i = 0; i <= last; i++) {
        const s = start[i] as number;
        const e = end[i] as number;
        // NULL and the empty string are both an empty cell.
        if (s !== e) {
          switch (types[i]) {
            case "text": {
              const neutral = isFormulaByte(src[s]);
              if (quoted[i]) {
                const text = fieldText(row, i);
                out.string(cell(neutral ? `'${text}` : text));
              } else {
                // No quote, comma, CR or LF inside (COPY would have quoted it): the delimiter and edges decide.
                const quote =
                  (!neutral && startsWithSpace(src, s, e)) || endsWithSpace(src, s, e) || holds(src, s, e, D);
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
              out.ensure(e - s + ZONED_GROWTH);
              const p = datetimeText(out.buf, out.pos, src, s, e);
              if (p !== DATETIME_NULL) out.pos = p;
              break;
            }
            case "json": {
              const json = compactJson(fieldText(row, i));
              out.string(cell(isFormulaByte(json.charCodeAt(0)) ? `'${json}` : json));
              break;
            }
            case "decimal": {
              // Digits, a sign, a point: the point as the option's separator (never the delimiter).
              out.ensure(e - s);
              const buf = out.buf;
              let p = out.pos;
              for (let k = s; k < e; k++) {
                const b = src[k] as number;
                buf[p++] = b === 46 ? decimal : b;
              }
              out.pos = p;
              break;
            }
            default:
              out.range(src, s, e);
          }
        }
        if (i === last) {
          out.byte(13);
          out.byte(10);
        } else out.byte(D);
      }
    };
  };

  return {
    extension: gzip ? "csv.gz" : "csv",
    contentType: gzip ? "application/gzip" : csvWriter.contentType,
    datetime: "iso",
    zone,
    ...(zone === null ? {} : { sessionSettings: zoneSettings(zone) }),
    rowEncoder,
    ...(gzip ? { partStages: () => gzipStages() } : {}),
    directHead(fields, language) {
      const bytes = head(fields, language);
      return gzip ? gzipMember(bytes) : bytes;
    },
    async layout(input) {
      const bytes = head(input.fields, input.language);
      const files: PartFile[] = [];
      for await (const part of input.parts()) files.push(part);
      if (gzip) return gzipLayout(files, bytes, null, null, bytes);
      return [{ bytes }, ...files.map((_, part): FileSegment => ({ part }))];
    },
  };
}
