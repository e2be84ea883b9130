import type { ValueType } from "../../../contract";
import { ascii, fieldText, putRange, type RowFields } from "../bytes";
import { compactJson } from "../cells";
import { compactJsonb, jsonbEnd } from "../pg-text";
import { SEGMENT_TRAILER_BYTES, segmentStages } from "../segment";
import type { FormatWriter, LineEncoder, RowEncoder } from "../types";
import { type Numbered, NumberedMarkup } from "./numbered";
import { styles } from "./styles";
import {
  CELL_MARKUP,
  escapeFree,
  preservesSpace,
  STRING_HEAD,
  STRING_HEAD_PRESERVE,
  STRING_TAIL,
  XML_FIELD_PLAIN,
  XML_GROWTH,
  xmlText,
} from "./text";
import { columnName, DEFAULT_SHEET, type SheetOptions, workbookLayout } from "./workbook";

/** Excel's limit of rows per sheet, header included. */
const XLSX_MAX_ROWS = 1_048_576;
/** Data rows per sheet (the header takes one). */
const SHEET_ROWS = XLSX_MAX_ROWS - 1;

/** How the last cell written was left: closed, or inside its `<v>` or its inline string. */
const CLOSED = 0;
const IN_VALUE = 1;
const IN_STRING = 2;
/** What closes it, by that state; and the row's end after it. */
const CLOSES = ["", "</v></c>", STRING_TAIL];
const ROW_END = CLOSES.map((close) => ascii(`${close}</row>\n`));

/** Cell kinds by value type, as numbers (a cheaper switch per cell). */
const TEXT = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const DATETIME = 3;
const JSON_TEXT = 4;
const KIND: Record<ValueType, number> = {
  text: TEXT,
  integer: NUMBER,
  decimal: NUMBER,
  boolean: BOOLEAN,
  datetime: DATETIME,
  json: JSON_TEXT,
};
/** The line encoder's kind of the id column when it is no field. */
const ID_ONLY = 5;

/** The bytes that end an unquoted COPY field (`,`, LF) or that it cannot hold (a quote: the field was quoted). */
const FIELD_STOP = new Uint8Array(256);
FIELD_STOP[44] = 1;
FIELD_STOP[10] = 1;
FIELD_STOP[34] = 1;

/**
 * An Excel workbook (.xlsx): a row is a line of a page's part, with typed cells (numbers, booleans, serial
 * date-times with a date format, inline strings), and a new sheet every `sheetRows` data rows (Excel's limit).
 * A page never crosses a sheet's end and deflates its rows into its part (`segment.ts`); the workbook is
 * composed around those segments (`workbook.ts`), so nothing is copied or held in memory.
 */
export function createXlsxWriter(sheetRows = SHEET_ROWS, sheet: SheetOptions = DEFAULT_SHEET): FormatWriter {
  // Data rows start under the header row, or at row 1 without one.
  const firstRowNumber = sheet.header ? 2 : 1;
  return {
    extension: "xlsx",
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    datetime: "serial",
    zone: sheet.zone,
    rowEncoder(fields, firstRow) {
      const kinds = Uint8Array.from(fields, (f) => KIND[f.type]);
      const jsonb = fields.map((f) => f.column.columnType === "PgJsonb");
      // jsonb needing an escape, moved aside (compacted, never longer than its source) to be escaped.
      let compacted = Buffer.allocUnsafe(1024);
      const { cellStyle } = styles(fields);
      // Each cell's opening with the row's number in it, joined to what closes the cell before (`numbered.ts`).
      const markup = new NumberedMarkup();
      const rowOpen = markup.piece('<row r="', '">');
      const pieces = (after: (i: number) => string | null) =>
        CLOSES.map((close) =>
          fields.map((_, i) => {
            const tail = after(i);
            return tail === null ? null : markup.piece(`${close}<c r="${columnName(i)}`, tail);
          }),
        );
      const scalar = (i: number) => kinds[i] === NUMBER || kinds[i] === DATETIME;
      const textOpen = pieces(() => STRING_HEAD);
      const preserveOpen = pieces(() => STRING_HEAD_PRESERVE);
      const valueOpen = pieces((i) =>
        scalar(i) ? (cellStyle[i] ? `" s="${cellStyle[i]}"><v>` : '"><v>') : null,
      );
      const trueCell = pieces((i) => (kinds[i] === BOOLEAN ? '" t="b"><v>1</v></c>' : null));
      const falseCell = pieces((i) => (kinds[i] === BOOLEAN ? '" t="b"><v>0</v></c>' : null));
      const count = kinds.length;
      let index = firstRow;
      // Room for a row: its markup, and every source byte of its fields escaped at worst.
      const room = (row: RowFields) =>
        64 + count * CELL_MARKUP + ((row.end[count - 1] ?? 0) - (row.start[0] ?? 0)) * XML_GROWTH;
      /** Writes `piece` at `p`, returns the position after it. */
      const write = (buf: Buffer, p: number, piece: Numbered | null | undefined) => {
        const bytes = markup.bytes(piece as Numbered);
        buf.set(bytes, p);
        return p + bytes.length;
      };
      /** An inline string cell of `src[s..e)` at `p`, after a cell left open as `close`, itself left open. */
      const text = (
        buf: Buffer,
        p: number,
        close: number,
        i: number,
        src: Buffer,
        s: number,
        e: number,
        doubled: boolean,
      ) => {
        const open = (preservesSpace(src, s, e) ? preserveOpen : textOpen)[close]?.[i];
        return xmlText(buf, write(buf, p, open), src, s, e, doubled);
      };
      const encode: RowEncoder = (row, out) => {
        const { src, start, end, quoted } = row;
        markup.setRow((index % sheetRows) + firstRowNumber);
        out.ensure(room(row));
        let buf = out.buf;
        let p = write(buf, out.pos, rowOpen);
        // How the last cell written is left open (its closing tags are joined to the next piece).
        let close = CLOSED;
        for (let i = 0; i < count; i++) {
          const s = start[i] as number;
          const e = end[i] as number;
          if (quoted[i] === 0 && s === e) continue; // NULL: no cell
          switch (kinds[i]) {
            case NUMBER: {
              // Digits with an optional sign and point; NaN and ±Infinity stay text.
              const last = src[e - 1] as number;
              if (last >= 48 && last <= 57) {
                p = putRange(buf, write(buf, p, valueOpen[close]?.[i]), src, s, e);
                close = IN_VALUE;
              } else {
                p = text(buf, p, close, i, src, s, e, quoted[i] === 1);
                close = IN_STRING;
              }
              break;
            }
            case BOOLEAN:
              p = write(buf, p, (src[s] === 116 ? trueCell : falseCell)[close]?.[i]);
              close = CLOSED;
              break;
            case DATETIME:
              p = putRange(buf, write(buf, p, valueOpen[close]?.[i]), src, s, e);
              close = IN_VALUE;
              break;
            case JSON_TEXT: {
              if (jsonb[i]) {
                // Compacted straight into the cell (compact JSON has no edge spaces); moved aside and escaped
                // only when a byte needs it.
                const open = markup.bytes(textOpen[close]?.[i] as Numbered);
                const at = p + open.length;
                const n = compactJsonb(buf, at, src, s, e, quoted[i] === 1, false);
                if (n >= 0) {
                  buf.set(open, p);
                  if (escapeFree(buf, at, n)) p = n;
                  else {
                    if (compacted.length < n - at) compacted = Buffer.allocUnsafe(2 * (n - at));
                    buf.copy(compacted, 0, at, n);
                    p = xmlText(buf, at, compacted, 0, n - at, false);
                  }
                  close = IN_STRING;
                  break;
                }
              }
              // Compacted JSON can be longer than its source: room of its own, then the row's again.
              const json = Buffer.from(compactJson(fieldText(row, i)), "utf8");
              out.pos = p;
              out.ensure(CELL_MARKUP + json.length * XML_GROWTH + room(row));
              buf = out.buf;
              p = text(buf, out.pos, close, i, json, 0, json.length, false);
              close = IN_STRING;
              break;
            }
            default:
              p = text(buf, p, close, i, src, s, e, quoted[i] === 1);
              close = IN_STRING;
          }
        }
        const tail = ROW_END[close] as Uint8Array;
        buf.set(tail, p);
        out.pos = p + tail.length;
        index++;
      };
      encode.restart = (row: number) => {
        index = row;
      };
      /**
       * The one-pass line encoder (`RowEncoder.line`): COPY's line straight to the row's cells, no `RowFields`
       * parse first, each field copied while it is scanned. It takes rows whose fields are unquoted (but a jsonb
       * one), numbers ending in a digit, text without an edge space, jsonb compacted without a byte to escape;
       * any other row is left (-1, the row number unchanged) to `encode`, whose bytes it writes. None for `json`
       * (not jsonb) values, which it would never take.
       */
      const lineFor = (columns: number, idColumn: number): LineEncoder | null => {
        if (kinds.some((kind, i) => kind === JSON_TEXT && !jsonb[i])) return null;
        const lineKinds = Uint8Array.from({ length: columns }, (_, i) =>
          i < count ? (kinds[i] as number) : ID_ONLY,
        );
        const last = columns - 1;
        return (src, s, e, out) => {
          if (e <= s || src[e - 1] !== 10) return -1;
          markup.setRow((index % sheetRows) + firstRowNumber);
          out.ensure(64 + count * CELL_MARKUP + (e - s) * XML_GROWTH);
          const buf = out.buf;
          let p = write(buf, out.pos, rowOpen);
          let close = CLOSED;
          let id = -1;
          let k = s;
          for (let i = 0; ; i++) {
            const at = k;
            let b = src[k] as number;
            if (b === 44 || b === 10) {
              // NULL (an empty string would be quoted): no cell.
            } else {
              switch (lineKinds[i]) {
                case NUMBER:
                case DATETIME: {
                  let q = write(buf, p, valueOpen[close]?.[i]);
                  while (FIELD_STOP[b] === 0) {
                    buf[q++] = b;
                    b = src[++k] as number;
                  }
                  // NaN and ±Infinity are text cells: the row encoder's.
                  const end = src[k - 1] as number;
                  if (b === 34 || end < 48 || end > 57) return -1;
                  p = q;
                  close = IN_VALUE;
                  break;
                }
                case BOOLEAN:
                  p = write(buf, p, (b === 116 ? trueCell : falseCell)[close]?.[i]);
                  while (FIELD_STOP[b] === 0) b = src[++k] as number;
                  if (b === 34) return -1;
                  close = CLOSED;
                  break;
                case TEXT: {
                  // Quoted, or a space at its start (`xml:space`): the row encoder's.
                  if (b === 34 || b === 32) return -1;
                  const from = write(buf, p, textOpen[close]?.[i]);
                  let q = from;
                  while (XML_FIELD_PLAIN[b] === 1) {
                    buf[q++] = b;
                    b = src[++k] as number;
                  }
                  if (b !== 44 && b !== 10) {
                    // A byte to escape or look at: the field escaped from its start, once its end is found.
                    while (FIELD_STOP[b] === 0) b = src[++k] as number;
                    if (b === 34) return -1;
                    q = xmlText(buf, from, src, at, k, false);
                  }
                  if (src[k - 1] === 32) return -1;
                  p = q;
                  close = IN_STRING;
                  break;
                }
                case JSON_TEXT: {
                  const open = markup.bytes(textOpen[close]?.[i] as Numbered);
                  const from = p + open.length;
                  let n: number;
                  if (b === 34) {
                    // A whole quoted jsonb field, compacted to its closing quote (the line's end as its bound).
                    n = compactJsonb(buf, from, src, k + 1, e, true, false);
                    if (n < 0 || jsonbEnd.at >= e) return -1;
                    k = jsonbEnd.at + 1;
                  } else {
                    // Unquoted: a number, true, false, null or an empty container.
                    while (FIELD_STOP[b] === 0) b = src[++k] as number;
                    if (b === 34) return -1;
                    n = compactJsonb(buf, from, src, at, k, false, false);
                    if (n < 0) return -1;
                  }
                  if (!escapeFree(buf, from, n)) return -1;
                  buf.set(open, p);
                  p = n;
                  b = src[k] as number;
                  close = IN_STRING;
                  break;
                }
                default:
                  while (FIELD_STOP[b] === 0) b = src[++k] as number;
                  if (b === 34) return -1;
              }
            }
            if (i === idColumn) {
              id = 0;
              for (let d = at; d < k; d++) id = id * 10 + ((src[d] as number) - 48);
            }
            if (i === last) {
              if (b !== 10 || k !== e - 1) return -1;
              break;
            }
            if (b !== 44) return -1;
            k++;
          }
          if (id < 0) return -1;
          const tail = ROW_END[close] as Uint8Array;
          buf.set(tail, p);
          out.pos = p + tail.length;
          index++;
          return id;
        };
      };
      let line: { columns: number; idColumn: number; encoder: LineEncoder | null } | null = null;
      encode.line = (columns: number, idColumn: number) => {
        if (line?.columns !== columns || line.idColumn !== idColumn) {
          line = { columns, idColumn, encoder: lineFor(columns, idColumn) };
        }
        return line.encoder;
      };
      return encode;
    },
    directAfterFirst: { trailer: SEGMENT_TRAILER_BYTES, maxRows: sheetRows },
    partStages(firstRow) {
      return segmentStages(Math.floor(firstRow / sheetRows));
    },
    pageLimit(firstRow, pageSize) {
      return Math.min(pageSize, sheetRows - (firstRow % sheetRows));
    },
    layout(input) {
      return workbookLayout(input, sheetRows, sheet);
    },
  };
}

export const xlsxWriter = createXlsxWriter();
