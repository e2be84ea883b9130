import type { ValueType } from "../../../contract";
import { ascii, fieldText, put, putRange, type RowFields } from "../bytes";
import { compactJson } from "../cells";
import { compactJsonb } from "../pg-text";
import { segmentStages } from "../segment";
import type { FormatWriter } from "../types";
import { DATE_STYLE, styles } from "./styles";
import { CELL_MARKUP, XML_GROWTH, xmlCell } from "./text";
import { columnName, workbookLayout } from "./workbook";

/** Excel's limit of rows per sheet, header included. */
const XLSX_MAX_ROWS = 1_048_576;
/** Data rows per sheet (the header takes one). */
const SHEET_ROWS = XLSX_MAX_ROWS - 1;

const ROW_OPEN = ascii('<row r="');
const TAG_END = ascii('">');
const ROW_CLOSE = ascii("</row>\n");
const DATE_OPEN = ascii(`" s="${DATE_STYLE}"><v>`);
const VALUE_CLOSE = ascii("</v></c>");
const BOOL_TRUE = ascii('" t="b"><v>1</v></c>');
const BOOL_FALSE = ascii('" t="b"><v>0</v></c>');

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
export function createXlsxWriter(sheetRows = SHEET_ROWS): FormatWriter {
  return {
    extension: "xlsx",
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    booleans: "tf",
    datetime: "serial",
    rowEncoder(fields, firstRow) {
      const kinds = Uint8Array.from(fields, (f) => KIND[f.type]);
      const jsonb = fields.map((f) => f.column.columnType === "PgJsonb");
      // jsonb compacted byte by byte (never longer than its source) before it is escaped.
      let compacted = Buffer.allocUnsafe(1024);
      const cellOpen = fields.map((_, i) => ascii(`<c r="${columnName(i)}`));
      const { cellStyle } = styles(fields);
      const numberOpen = cellStyle.map((style) => ascii(style ? `" s="${style}"><v>` : '"><v>'));
      const count = kinds.length;
      // The row number's digits, written once per row and once per cell.
      const r = new Uint8Array(16);
      let index = firstRow;
      // Room for a row: its markup, and every source byte of its fields escaped at worst.
      const room = (row: RowFields) =>
        64 + count * CELL_MARKUP + ((row.end[count - 1] ?? 0) - (row.start[0] ?? 0)) * XML_GROWTH;
      return (row, out) => {
        const { src, start, end, quoted } = row;
        let n = (index % sheetRows) + 2;
        let digits = 0;
        for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
        for (let k = digits - 1; k >= 0; k--) {
          r[k] = 48 + (n % 10);
          n = Math.floor(n / 10);
        }
        out.ensure(room(row));
        let buf = out.buf;
        let p = put(buf, out.pos, ROW_OPEN);
        p = put(buf, p, r, digits);
        p = put(buf, p, TAG_END);
        for (let i = 0; i < count; i++) {
          const s = start[i] as number;
          const e = end[i] as number;
          if (quoted[i] === 0 && s === e) continue; // NULL: no cell
          p = put(buf, p, cellOpen[i] as Uint8Array);
          p = put(buf, p, r, digits);
          switch (kinds[i]) {
            case NUMBER: {
              // Digits with an optional sign and point; NaN and ±Infinity stay text.
              const last = src[e - 1] as number;
              if (last >= 48 && last <= 57) {
                p = put(buf, p, numberOpen[i] as Uint8Array);
                p = putRange(buf, p, src, s, e);
                p = put(buf, p, VALUE_CLOSE);
              } else p = xmlCell(buf, p, src, s, e, quoted[i] === 1);
              break;
            }
            case BOOLEAN:
              p = put(buf, p, src[s] === 116 ? BOOL_TRUE : BOOL_FALSE);
              break;
            case DATETIME:
              p = put(buf, p, DATE_OPEN);
              p = putRange(buf, p, src, s, e);
              p = put(buf, p, VALUE_CLOSE);
              break;
            case JSON_TEXT: {
              if (jsonb[i]) {
                if (compacted.length < e - s) compacted = Buffer.allocUnsafe(2 * (e - s));
                const n = compactJsonb(compacted, 0, src, s, e, quoted[i] === 1, false);
                if (n >= 0) {
                  p = xmlCell(buf, p, compacted, 0, n, false);
                  break;
                }
              }
              // Compacted JSON can be longer than its source: room of its own, then the row's again.
              const text = Buffer.from(compactJson(fieldText(row, i)), "utf8");
              out.pos = p;
              out.ensure(CELL_MARKUP + text.length * XML_GROWTH + room(row));
              buf = out.buf;
              p = xmlCell(buf, out.pos, text, 0, text.length, false);
              break;
            }
            default:
              p = xmlCell(buf, p, src, s, e, quoted[i] === 1);
          }
        }
        out.pos = put(buf, p, ROW_CLOSE);
        index++;
      };
    },
    partStages(firstRow) {
      return segmentStages(Math.floor(firstRow / sheetRows));
    },
    pageLimit(firstRow, pageSize) {
      return Math.min(pageSize, sheetRows - (firstRow % sheetRows));
    },
    layout(input) {
      return workbookLayout(input, sheetRows);
    },
  };
}

export const xlsxWriter = createXlsxWriter();
