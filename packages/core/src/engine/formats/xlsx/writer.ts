import type { ValueType } from "../../../contract";
import { ascii, fieldText, putRange, type RowFields } from "../bytes";
import { compactJson } from "../cells";
import { compactJsonb } from "../pg-text";
import { SEGMENT_TRAILER_BYTES, segmentStages } from "../segment";
import type { FormatWriter, RowEncoder } from "../types";
import { type Numbered, NumberedMarkup } from "./numbered";
import { styles } from "./styles";
import {
  CELL_MARKUP,
  escapeFree,
  preservesSpace,
  STRING_HEAD,
  STRING_HEAD_PRESERVE,
  STRING_TAIL,
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
    booleans: "tf",
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
