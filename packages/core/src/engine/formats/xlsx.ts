import { createInterface } from "node:readline";
import ExcelJS from "exceljs";
import { headerLabels, jsonValue, textValue, typedValue } from "./cells";
import { encodeRows, type FormatWriter } from "./types";

/** Excel's limit of rows per sheet, header included. */
export const XLSX_MAX_ROWS = 1_048_576;

/**
 * An Excel workbook (.xlsx) written by exceljs's streaming writer: rows are committed as they come, so
 * memory stays constant. Parts are JSON lines of API-shaped values; numbers and dates become typed cells.
 * A new sheet starts every 1,048,576 rows.
 */
export const xlsxWriter: FormatWriter = {
  format: "xls",
  extension: "xlsx",
  contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  encodePage(fields, rows) {
    const { encoded, failed } = encodeRows(rows, (row) =>
      JSON.stringify(
        fields.map((f) =>
          f.type === "json" ? textValue("json", row[f.name]) : jsonValue(f.type, row[f.name]),
        ),
      ),
    );
    return { data: encoded.length ? `${encoded.join("\n")}\n` : "", written: encoded.length, failed };
  },
  async assemble(out, { fields, language, parts }) {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: out,
      useStyles: true,
      useSharedStrings: false,
    });
    const labels = headerLabels(fields, language);
    let sheetNo = 0;
    let sheet: ExcelJS.Worksheet | undefined;
    let rowsInSheet = 0;
    const newSheet = () => {
      sheet?.commit();
      sheetNo++;
      sheet = workbook.addWorksheet(sheetNo === 1 ? "Export" : `Export ${sheetNo}`);
      sheet.columns = fields.map((f, i) => ({
        header: labels[i],
        key: f.name,
        width: Math.min(40, Math.max(10, (labels[i] ?? "").length + 2)),
        style: f.type === "datetime" ? { numFmt: "yyyy-mm-dd hh:mm:ss" } : {},
      }));
      sheet.getRow(1).font = { bold: true };
      sheet.getRow(1).commit();
      rowsInSheet = 1;
    };
    newSheet();
    for await (const part of parts()) {
      for await (const line of createInterface({ input: part, crlfDelay: Number.POSITIVE_INFINITY })) {
        if (line === "") continue;
        if (rowsInSheet >= XLSX_MAX_ROWS) newSheet();
        const values = JSON.parse(line) as unknown[];
        // Text was neutralised when the part was written; the rest becomes typed cells.
        const cells = fields.map((f, i) =>
          f.type === "text" || f.type === "json"
            ? ((values[i] as string | null) ?? null)
            : typedValue(f.type, values[i]),
        );
        sheet?.addRow(cells).commit();
        rowsInSheet++;
      }
    }
    sheet?.commit();
    await workbook.commit();
  },
};
