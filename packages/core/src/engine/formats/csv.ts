import { stringify } from "csv-stringify/sync";
import { headerLabels, textValue } from "./cells";
import { copyInto, end, write } from "./io";
import { encodeRows, type FormatWriter } from "./types";

const OPTIONS = { record_delimiter: "\r\n", quoted_match: /^\s|\s$/ } as const;

/** RFC 4180 CSV (CRLF, quotes doubled), UTF-8 with a BOM so Excel reads "İstanbul" right. */
export const csvWriter: FormatWriter = {
  format: "csv",
  extension: "csv",
  contentType: "text/csv; charset=utf-8",
  encodePage(fields, rows) {
    const { encoded, failed } = encodeRows(rows, (row) => fields.map((f) => textValue(f.type, row[f.name])));
    return { data: encoded.length ? stringify(encoded, OPTIONS) : "", written: encoded.length, failed };
  },
  async assemble(out, { fields, language, parts }) {
    await write(out, "\uFEFF");
    await write(out, stringify([headerLabels(fields, language)], OPTIONS));
    for await (const part of parts()) await copyInto(part, out);
    await end(out);
  },
};
