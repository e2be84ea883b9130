import { type EffectiveExportOptions, type ExportFormat, isDefaultOptions } from "../../contract";
import { csvWriter } from "./csv";
import { csvOptionsWriter } from "./csv-options";
import { jsonWriter } from "./json";
import { jsonOptionsWriter } from "./json-options";
import type { FormatWriter } from "./types";
import { createXlsxWriter, xlsxWriter } from "./xlsx/writer";
import { zoneOf } from "./zoned";

export type { FormatWriter } from "./types";

const WRITERS: Record<ExportFormat, FormatWriter> = { csv: csvWriter, xls: xlsxWriter, json: jsonWriter };

/** Writers with options, by format and options (few distinct ones: each made once). */
const withOptions = new Map<string, FormatWriter>();

/**
 * The writer of a format with an export's options (issue 17). The defaults (or no options: a row from before
 * them) give today's writers, so the default output and its code path are today's.
 */
export function writerFor(format: ExportFormat, options?: EffectiveExportOptions | null): FormatWriter {
  if (!options || isDefaultOptions(options) || !appliesTo(format, options)) return WRITERS[format];
  const key = `${format}\u0000${JSON.stringify(options)}`;
  let writer = withOptions.get(key);
  if (!writer) {
    writer =
      format === "csv"
        ? csvOptionsWriter(options)
        : format === "json"
          ? jsonOptionsWriter(options)
          : // Delimiter, decimal separator and gzip are not XLSX's (Excel shows numbers in the reader's locale).
            createXlsxWriter(undefined, { header: options.include_header, zone: zoneOf(options) });
    withOptions.set(key, writer);
  }
  return writer;
}

/** Whether an option that is not the default is one the format applies (only CSV has all of them). */
function appliesTo(format: ExportFormat, options: EffectiveExportOptions): boolean {
  if (format === "csv") return true;
  const zoned = zoneOf(options) !== null;
  return format === "json" ? zoned || options.compression === "gzip" : zoned || !options.include_header;
}

/** An export's writer, from its row. */
export function writerOf(row: {
  formatType: ExportFormat;
  options?: EffectiveExportOptions | null;
}): FormatWriter {
  return writerFor(row.formatType, row.options);
}
